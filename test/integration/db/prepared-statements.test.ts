// Named prepared statements on real PostgreSQL (src/db/prepared-statements.ts): a statement text used
// again is prepared once per connection; one-off texts are not; a connection holds a bounded number; and a
// table changed under a prepared statement (another process migrating) costs no failed call.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { runTransaction } from '../../../src/db/knex-unit-of-work.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import knexFactory from 'knex';

/** The statements prepared on the connection of `trx` that read `table`. */
async function preparedOn(trx: Knex.Transaction, table: string): Promise<string[]> {
  const rows = (await trx.raw('SELECT name, statement FROM pg_prepared_statements')).rows as Array<{ name: string; statement: string }>;
  return rows.filter((r) => r.statement.includes(table)).map((r) => r.name);
}

describe('prepared statements (PostgreSQL)', function () {
  this.timeout(60_000);
  let test: TestDatabase;
  let knex: Knex;

  before(async () => {
    test = await createTestDatabase('postgres', { poolMax: 1 }); // one connection: every call below shares it
    knex = test.database.knex;
    await knex.raw('CREATE TABLE prep_probe (id integer PRIMARY KEY, label text)');
    await knex('prep_probe').insert([{ id: 1, label: 'một' }, { id: 2, label: 'hai' }]);
  });
  after(() => test.drop());

  it('prepares a statement text from its second use, once per connection, and gives the same rows', async () => {
    const first = await knex('prep_probe').where({ id: 1 }).select('label');
    const again = await knex('prep_probe').where({ id: 2 }).select('label');
    const third = await knex('prep_probe').where({ id: 1 }).select('label');
    expect([first, again, third]).to.deep.equal([[{ label: 'một' }], [{ label: 'hai' }], [{ label: 'một' }]]);
    await knex.transaction(async (trx) => {
      expect(await preparedOn(trx, 'prep_probe')).to.have.length(1);
      await trx('prep_probe').whereIn('id', [1, 2, 3]).select('id'); // used once: not prepared
      expect(await preparedOn(trx, 'prep_probe')).to.have.length(1);
    });
  });

  it('runs a statement again when another process changed its table, inside and outside a transaction', async () => {
    const read = (db: Knex) => db('prep_probe').where({ id: 1 }).select('*');
    await read(knex); await read(knex); await read(knex);
    await runTransaction(knex, async (trx) => { await read(trx); await read(trx); });
    const other = knexFactory({ client: 'pg', connection: test.url as string, pool: { min: 0, max: 1 } });
    try {
      await other.raw('ALTER TABLE prep_probe ADD COLUMN note text');
    } finally {
      await other.destroy();
    }
    expect(await read(knex)).to.deep.equal([{ id: 1, label: 'một', note: null }]);
    await read(knex); await read(knex); // prepared again under a new name
    await knex.raw('ALTER TABLE prep_probe ADD COLUMN extra integer'); // the same once more, for the transaction
    const inTransaction = await runTransaction(knex, (trx) => read(trx));
    expect(inTransaction).to.deep.equal([{ id: 1, label: 'một', note: null, extra: null }]);
  });

  it('keeps at most 256 named statements on a connection', async () => {
    for (let n = 1; n <= 300; n += 1) {
      const ids = Array.from({ length: n }, (_, i) => i);
      await knex('prep_probe').whereIn('id', ids).count('* as n');
      await knex('prep_probe').whereIn('id', ids).count('* as n');
    }
    const count = await knex.transaction(async (trx) => Number(((await trx.raw('SELECT count(*) AS n FROM pg_prepared_statements')).rows[0] as { n: string }).n));
    expect(count).to.be.at.most(256).and.at.least(200);
    expect(await knex('prep_probe').whereIn('id', [1, 2]).count('* as n')).to.deep.equal([{ n: 2 }]); // unnamed beyond the bound still works
  });
});
