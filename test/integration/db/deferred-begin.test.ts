// A transaction's BEGIN sent with its first statement, on real PostgreSQL (src/db/deferred-begin.ts): one
// round trip fewer per transaction, and still a transaction in every case — first statement named or not,
// with bindings or without, failing, or no statement at all.
import { expect } from 'chai';
import type { Knex } from 'knex';
import knexFactory from 'knex';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';

/** The error `work` was rejected with. */
async function rejection(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

interface RawSession { connection: { on(event: 'readyForQuery', listener: () => void): void; off(event: 'readyForQuery', listener: () => void): void } }

describe('BEGIN with the first statement (PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestDatabase;
  let knex: Knex;
  let other: Knex;
  let session: RawSession;

  /** Round trips (ReadyForQuery answers) on the one connection while `work` runs. */
  async function roundTrips(work: () => Promise<unknown>): Promise<number> {
    let count = 0;
    const counted = (): void => { count += 1; };
    session.connection.on('readyForQuery', counted);
    try {
      await work();
    } finally {
      session.connection.off('readyForQuery', counted);
    }
    return count;
  }

  /** The labels another connection sees: only what was committed. */
  const committed = async (): Promise<string[]> => (await other('begin_probe').orderBy('id').pluck('label')) as string[];

  before(async () => {
    test = await createTestDatabase('postgres', { poolMax: 1 }); // one connection: every call below shares it
    knex = test.database.knex;
    other = knexFactory({ client: 'pg', connection: test.url as string, pool: { min: 0, max: 1 } });
    await knex.raw('CREATE TABLE begin_probe (id integer PRIMARY KEY, label text NOT NULL)');
    const client = knex.client as { acquireConnection(): Promise<RawSession>; releaseConnection(c: RawSession): Promise<void> };
    session = await client.acquireConnection();
    await client.releaseConnection(session);
  });
  beforeEach(() => knex('begin_probe').delete());
  after(async () => {
    await other.destroy();
    await test.drop();
  });

  it('sends BEGIN in the round trip of the first statement: three round trips for two statements and COMMIT', async () => {
    const insert = (trx: Knex.Transaction, id: number, label: string) => trx('begin_probe').insert({ id, label }).returning('id');
    const warm = await roundTrips(() => knex.transaction(async (trx) => { await insert(trx, 1, 'một'); await insert(trx, 2, 'hai'); }));
    let ids: unknown[] = [];
    const named = await roundTrips(() => knex.transaction(async (trx) => { ids = await insert(trx, 3, 'ba'); await insert(trx, 4, 'bốn'); }));
    expect(ids).to.deep.equal([{ id: 3 }]);
    expect(named).to.equal(3);
    expect(warm).to.be.within(3, 4); // the statement not yet prepared takes BEGIN on its own
    expect(await committed()).to.deep.equal(['một', 'hai', 'ba', 'bốn']);
  });

  it('is a transaction whatever the first statement: named, unnamed, without bindings, a savepoint', async () => {
    const firsts: Array<(trx: Knex.Transaction) => Promise<unknown>> = [
      (trx) => trx('begin_probe').insert({ id: 10, label: 'mười' }),
      (trx) => trx('begin_probe').insert({ id: 10, label: 'mười' }), // named from its second use
      (trx) => trx.raw("INSERT INTO begin_probe (id, label) VALUES (10, 'mười')"), // simple protocol
      (trx) => trx.transaction((nested) => nested('begin_probe').insert({ id: 10, label: 'mười' })), // SAVEPOINT first
    ];
    for (const first of firsts) {
      const rolledBack = knex.transaction(async (trx) => {
        await first(trx);
        expect(await trx('begin_probe').pluck('label')).to.deep.equal(['mười']);
        throw new Error('rolled back on purpose');
      });
      expect((await rejection(rolledBack)).message).to.equal('rolled back on purpose');
      expect(await committed()).to.deep.equal([]);
      expect(await knex('begin_probe').count('* as n')).to.deep.equal([{ n: 0 }]);
    }
  });

  it('fails the transaction with the error of its first statement, and leaves nothing held on the connection', async () => {
    await knex('begin_probe').insert({ id: 20, label: 'hai mươi' });
    const duplicate = knex.transaction((trx) => trx('begin_probe').insert({ id: 20, label: 'lặp' }));
    expect((await rejection(duplicate)).message).to.match(/duplicate key/);
    await knex('begin_probe').insert({ id: 21, label: 'hai mốt' }); // autocommitted: seen at once by another connection
    expect(await committed()).to.deep.equal(['hai mươi', 'hai mốt']);
  });

  it('sends nothing for a transaction without a statement, and leaves nothing held on the connection', async () => {
    expect(await roundTrips(() => knex.transaction(async () => 'nothing'))).to.equal(0);
    expect((await rejection(knex.transaction(async () => { throw new Error('before any statement'); }))).message).to.equal('before any statement');
    await knex('begin_probe').insert({ id: 30, label: 'ba mươi' });
    expect(await committed()).to.deep.equal(['ba mươi']);
  });
});
