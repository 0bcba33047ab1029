// Light transactions (src/db/light-transactions.ts): on PostgreSQL and PGlite a transaction's `trx` inherits knex's
// methods from one shared prototype instead of having them made again — and must behave as knex's own:
// the builder and raw on its connection, commit and rollback, savepoints, the refusal of a statement
// after it ended, its events, one context per transaction.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';

for (const kind of databaseKinds) describe(`light transactions (${kind})`, function () {
  this.timeout(60_000);
  let test: TestDatabase;
  let knex: Knex;
  const labels = async (): Promise<string[]> => (await knex('light_probe').orderBy('id').select('label')).map((r: { label: string }) => r.label);

  before(async () => {
    test = await createTestDatabase(kind);
    knex = test.database.knex;
    await knex.raw('CREATE TABLE light_probe (id int PRIMARY KEY, label text NOT NULL)');
  });
  after(async () => { await test.drop(); });
  beforeEach(async () => { await knex('light_probe').delete(); });

  it('makes trx from the shared prototype, not a knex instance of its own', async () => {
    const [first, second] = await Promise.all([
      knex.transaction(async (trx) => trx),
      knex.transaction(async (trx) => trx),
    ]);
    expect(Object.getPrototypeOf(first)).to.not.equal(Function.prototype);
    expect(Object.getPrototypeOf(first)).to.equal(Object.getPrototypeOf(second));
    expect(Object.prototype.hasOwnProperty.call(first, 'select')).to.equal(false); // inherited, not made per transaction
    const contextOf = (trx: Knex.Transaction): unknown => (trx as unknown as { context: unknown }).context;
    expect(contextOf(first)).to.not.equal(contextOf(second));
    expect(first.client).to.not.equal(second.client);
    expect(first.isTransaction).to.equal(true);
  });

  it('commits what the builder and raw wrote when the work resolves; rolls all of it back when it throws', async () => {
    await knex.transaction(async (trx) => {
      await trx('light_probe').insert({ id: 1, label: 'một' });
      await trx.raw('INSERT INTO light_probe (id, label) VALUES (?, ?)', [2, 'hai']);
      expect(Number((await trx('light_probe').count({ n: '*' }).first())?.n)).to.equal(2);
    });
    await knex.transaction(async (trx) => {
      await trx('light_probe').insert({ id: 3, label: 'ba' });
      throw new Error('the work fails');
    }).catch((e: Error) => expect(e.message).to.equal('the work fails'));
    expect(await labels()).to.deep.equal(['một', 'hai']);
  });

  it('rolls a savepoint back alone, keeps its sibling and the outer work, and refuses statements after the end', async () => {
    let ended: Knex.Transaction | undefined;
    await knex.transaction(async (trx) => {
      ended = trx;
      await trx('light_probe').insert({ id: 1, label: 'ngoài' });
      await trx.transaction(async (inner) => {
        expect(inner.isTransaction).to.equal(true);
        await inner('light_probe').insert({ id: 2, label: 'giữ' });
      });
      await trx.savepoint(async (inner) => {
        await inner('light_probe').insert({ id: 3, label: 'bỏ' });
        throw new Error('this savepoint rolls back');
      }).catch(() => undefined);
      expect(trx.isCompleted()).to.equal(false);
    });
    expect(await labels()).to.deep.equal(['ngoài', 'giữ']);
    expect(ended?.isCompleted()).to.equal(true);
    let refused: Error | undefined;
    await (ended as Knex.Transaction)('light_probe').select('id').catch((e: Error) => { refused = e; });
    expect(refused?.message).to.match(/Transaction query already complete/);
  });

  it('rolls back on an explicit rollback, commits on an explicit commit', async () => {
    await knex.transaction(async (trx) => {
      await trx('light_probe').insert({ id: 1, label: 'hủy' });
      await trx.rollback();
    }).catch(() => undefined);
    await knex.transaction(async (trx) => {
      await trx('light_probe').insert({ id: 2, label: 'lưu' });
      await trx.commit();
    });
    expect(await labels()).to.deep.equal(['lưu']);
  });

  it('gives its query events to the transactor, the Transaction and the knex instance', async () => {
    const onTrx: string[] = [];
    const onKnex: string[] = [];
    const listen = (q: { sql: string }): void => { onKnex.push(q.sql); };
    knex.on('query', listen);
    try {
      await knex.transaction(async (trx) => {
        trx.on('query', (q: { sql: string }) => onTrx.push(q.sql));
        await trx('light_probe').where({ id: 7 }).select('label');
      });
    } finally {
      knex.off('query', listen);
    }
    expect(onTrx).to.deep.equal(['select "label" from "light_probe" where "id" = $1', 'COMMIT;']);
    expect(onKnex).to.include('select "label" from "light_probe" where "id" = $1');
  });

  it('refuses user params on a transaction, as knex does', async () => {
    await knex.transaction(async (trx) => {
      expect(() => trx.withUserParams({ a: 1 })).to.throw(/Cannot set user params on a transaction/);
    });
  });
});
