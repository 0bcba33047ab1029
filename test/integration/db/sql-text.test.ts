// runSql (src/db/sql-text.ts): statements of SQL text past knex's runner, on a transaction's connection
// or one of the pool's, with what the runner gave that the node relies on — bindings by position, the
// `query` event, the refusal of a statement on an ended transaction, statements carried with the next one.
import { expect } from 'chai';
import { SEND_WITH_NEXT } from '../../../src/db/pipelined-statements.ts';
import { insertRows, runSql } from '../../../src/db/sql-text.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';

for (const kind of databaseKinds) {
  describe(`runSql: SQL text past knex's runner (${kind})`, function () {
    this.timeout(60_000);
    let test: TestDatabase;

    before(async () => {
      test = await createTestDatabase(kind);
      await test.database.knex.raw('CREATE TABLE sql_text_probe (id int PRIMARY KEY, label text NOT NULL, tags text[] NOT NULL DEFAULT \'{}\')');
      await test.database.knex.raw("CREATE TABLE sql_insert_probe (id int PRIMARY KEY, label text NOT NULL DEFAULT 'mặc định', at timestamptz, note text)");
    });
    after(async () => { await test.drop(); });

    it('binds by position (arrays as arrays, \\? a literal question mark) and answers the rows', async () => {
      await runSql(test.database.knex, 'INSERT INTO sql_text_probe (id, label, tags) VALUES (?, ?, ?), (?, ?, ?)', [1, 'một?', ['a', 'b'], 2, 'hai', []]);
      const { rows } = await runSql<{ id: number; label: string; tags: string[]; q: string }>(test.database.knex,
        "SELECT id, label, tags, '\\?' AS q FROM sql_text_probe WHERE id = ANY(?::int[]) ORDER BY id", [[1, 2]]);
      expect(rows).to.deep.equal([{ id: 1, label: 'một?', tags: ['a', 'b'], q: '?' }, { id: 2, label: 'hai', tags: [], q: '?' }]);
    });

    it('runs on the transaction it is given: rolled back with it, heard by its query listeners', async () => {
      const heard: string[] = [];
      await test.database.knex.transaction(async (trx) => {
        trx.client.on('query', (q: { sql: string }) => heard.push(q.sql));
        await runSql(trx, 'INSERT INTO sql_text_probe (id, label) VALUES (?, ?)', [3, 'ba']);
        expect((await runSql(trx, 'SELECT label FROM sql_text_probe WHERE id = ?', [3])).rows).to.deep.equal([{ label: 'ba' }]);
        await trx.rollback();
      }).catch(() => undefined);
      expect((await runSql(test.database.knex, 'SELECT label FROM sql_text_probe WHERE id = ?', [3])).rows).to.deep.equal([]);
      expect(heard.slice(0, 2)).to.deep.equal(['INSERT INTO sql_text_probe (id, label) VALUES ($1, $2)', 'SELECT label FROM sql_text_probe WHERE id = $1']);
    });

    it('refuses a statement on a transaction that has ended, and an undefined binding', async () => {
      let ended: Parameters<Parameters<typeof test.database.knex.transaction>[0]>[0] | undefined;
      await test.database.knex.transaction(async (trx) => { ended = trx; });
      if (!ended) throw new Error('no transaction');
      const done = ended;
      let error: unknown;
      await runSql(done, 'SELECT 1', []).catch((e: unknown) => { error = e; });
      expect(String(error)).to.match(/transaction that has ended/);
      error = undefined;
      await runSql(test.database.knex, 'SELECT ?::int', [undefined]).catch((e: unknown) => { error = e; });
      expect(String(error)).to.match(/undefined binding/);
    });

    it('a statement sent with the next one takes effect with it, and its error fails the transaction', async () => {
      await test.database.knex.transaction(async (trx) => {
        await runSql(trx, 'INSERT INTO sql_text_probe (id, label) VALUES (?, ?)', [4, 'bốn'], SEND_WITH_NEXT);
        expect((await runSql(trx, 'SELECT label FROM sql_text_probe WHERE id = ?', [4])).rows).to.deep.equal([{ label: 'bốn' }]);
      });
      let error: unknown;
      await test.database.knex.transaction(async (trx) => {
        await runSql(trx, 'INSERT INTO sql_text_probe (id, label) VALUES (?, ?)', [4, 'again'], SEND_WITH_NEXT); // duplicate key
        await runSql(trx, 'INSERT INTO sql_text_probe (id, label) VALUES (?, ?)', [5, 'năm']);
      }).catch((e: unknown) => { error = e; });
      expect((error as { code?: string } | undefined)?.code).to.equal('23505');
      expect((await runSql(test.database.knex, 'SELECT id FROM sql_text_probe WHERE id >= ? ORDER BY id', [4])).rows).to.deep.equal([{ id: 4 }]);
    });

    it('gives back the pool\'s connection after each statement, answered or failed', async () => {
      for (let i = 0; i < 40; i++) {
        await runSql(test.database.knex, i % 2 === 0 ? 'SELECT ?::int AS n' : 'SELECT no_such_column FROM sql_text_probe WHERE id = ?', [i]).catch(() => undefined);
      }
      const pool = (test.database.knex.client as { pool?: { numUsed(): number } }).pool;
      expect(pool?.numUsed() ?? 0).to.equal(0);
    });

    it('insertRows: several rows in one statement, a column undefined in every row left to its default, knex.fn.now() written into the text', async () => {
      const knex = test.database.knex;
      const heard: string[] = [];
      const listen = (q: { sql: string }): void => { heard.push(q.sql); };
      knex.client.on('query', listen);
      const { rows } = await insertRows<{ id: number; label: string; note: string | null }>(knex, 'sql_insert_probe', [
        { id: 1, label: undefined, at: knex.fn.now(), note: 'một' },
        { id: 2, label: undefined, at: knex.fn.now(), note: null },
      ], 'RETURNING id, label, note');
      knex.client.removeListener('query', listen);
      expect(rows).to.deep.equal([{ id: 1, label: 'mặc định', note: 'một' }, { id: 2, label: 'mặc định', note: null }]);
      expect(heard).to.deep.equal(['INSERT INTO "sql_insert_probe" ("id", "at", "note") VALUES ($1, CURRENT_TIMESTAMP, $2), ($3, CURRENT_TIMESTAMP, $4) RETURNING id, label, note']);
      const { rows: [stamped] } = await runSql<{ fresh: boolean }>(knex, "SELECT at > now() - interval '1 minute' AS fresh FROM sql_insert_probe WHERE id = ?", [2]);
      expect(stamped?.fresh).to.equal(true);
    });

    it('insertRows refuses rows that differ in their columns, and no rows', async () => {
      let error: unknown;
      await insertRows(test.database.knex, 'sql_insert_probe', [{ id: 3, note: 'a' }, { id: 4, note: undefined }]).catch((e: unknown) => { error = e; });
      expect(String(error)).to.match(/differ in their columns/);
      error = undefined;
      await insertRows(test.database.knex, 'sql_insert_probe', []).catch((e: unknown) => { error = e; });
      expect(String(error)).to.match(/no rows/);
      expect((await runSql(test.database.knex, 'SELECT count(*)::int AS n FROM sql_insert_probe WHERE id >= ?', [3])).rows).to.deep.equal([{ n: 0 }]);
    });
  });
}
