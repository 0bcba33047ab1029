// Delivery rows of an agency are locked under the agency's advisory lock (src/db/knex-exchange-repository.ts):
// two consumers of one agency (two node processes on one database) applying batches of statuses then
// wait for each other instead of deadlocking (seen at 7 Dec: 21 deadlocks in a 600-document run of
// `BENCH_PROCESSES=2 npm run bench:exchange`, each costing its batch PostgreSQL's 1 s deadlock timeout).
import { expect } from 'chai';
import type { Knex } from 'knex';
import knexFactory from 'knex';
import { KnexExchangeRepository } from '../../../src/db/knex-exchange-repository.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';

const AGENCY = '000.00.00.G22';
const OTHER = '000.00.00.G10';

describe('the lock on an agency\'s deliveries (PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestDatabase;
  let other: Knex;

  /** Whether another connection can take the agency's delivery lock now (it gives it back at once). */
  const free = async (organId: string): Promise<boolean> => other.transaction(async (trx) => {
    const result = await trx.raw<{ rows: { taken: boolean }[] }>("SELECT pg_try_advisory_xact_lock(hashtextextended('exchange_deliveries:' || ?, 0)) AS taken", [organId]);
    return result.rows[0]?.taken === true;
  });

  before(async () => {
    test = await createTestDatabase('postgres');
    other = knexFactory({ client: 'pg', connection: test.url as string, pool: { min: 0, max: 1 } });
  });
  after(async () => {
    await other.destroy();
    await test.drop();
  });

  it('is taken with the first delivery locked, held to the end of the transaction, for that agency only', async () => {
    expect(await free(AGENCY)).to.equal(true);
    await test.database.knex.transaction(async (trx) => {
      const repository = new KnexExchangeRepository(trx);
      expect(await repository.findDeliveryForUpdate(AGENCY, 'no such document', OTHER)).to.equal(null);
      expect(await free(AGENCY), 'held by the open transaction').to.equal(false);
      expect(await free(OTHER), 'another agency\'s deliveries').to.equal(true);
      expect(await repository.findDeliveryForUpdate(AGENCY, 'another document', OTHER)).to.equal(null); // taken once, not again
      expect(await free(AGENCY)).to.equal(false);
    });
    expect(await free(AGENCY), 'given back at the commit').to.equal(true);
  });

  it('makes a second transaction wait for the first before it locks a delivery of the agency', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const first = test.database.knex.transaction(async (trx) => {
      await new KnexExchangeRepository(trx).findDeliveryForUpdate(AGENCY, 'd1', OTHER);
      order.push('first locked');
      await held;
      order.push('first commits');
    });
    while (order.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const second = test.database.knex.transaction(async (trx) => {
      await new KnexExchangeRepository(trx).findDeliveryForUpdate(AGENCY, 'd2', OTHER);
      order.push('second locked');
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await Promise.all([first, second]);
    expect(order).to.deep.equal(['first locked', 'first commits', 'second locked']);
  });
});
