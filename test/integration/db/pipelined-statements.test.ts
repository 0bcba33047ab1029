// Statements that ride with the next one, on real PostgreSQL (src/db/pipelined-statements.ts): a
// transaction's BEGIN with its first statement, a `sendWithNext` statement (the audit append) with the next
// one — usually COMMIT. One round trip fewer each, and still a transaction in every case: first statement
// named or not, with bindings or without, failing, a held statement failing, or no statement at all.
import { expect } from 'chai';
import type { Knex } from 'knex';
import knexFactory from 'knex';
import { SEND_WITH_NEXT } from '../../../src/db/pipelined-statements.ts';
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

describe('statements sent with the next one (PostgreSQL)', function () {
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

  const held = (trx: Knex.Transaction, id: number, label: string) => trx.raw('INSERT INTO begin_probe (id, label) VALUES (?, ?) RETURNING id', [id, label]).options({ sendWithNext: true });

  it('sends a statement marked sendWithNext with COMMIT: two round trips for a statement, the held one and COMMIT', async () => {
    const transaction = () => knex.transaction(async (trx) => { await trx('begin_probe').where({ id: 0 }).first(); await held(trx, next, `số ${next}`); next += 1; });
    let next = 40;
    await transaction(); await transaction(); // the statements prepared
    expect(await roundTrips(transaction)).to.equal(2);
    expect(await committed()).to.deep.equal(['số 40', 'số 41', 'số 42']);
    const prepared = (await knex.raw('SELECT statement FROM pg_prepared_statements')).rows as Array<{ statement: string }>;
    expect(prepared.filter((p) => p.statement.startsWith('INSERT INTO begin_probe'))).to.have.length(1); // carried by Bind alone
    // The same for a statement of knex's query builder.
    const update = () => knex.transaction(async (trx) => { await trx('begin_probe').where({ id: 0 }).first(); await trx('begin_probe').where({ id: 40 }).update({ label: `số 40 (${next})` }).options(SEND_WITH_NEXT); next += 1; });
    await update(); await update();
    expect(await roundTrips(update)).to.equal(2);
    expect((await committed())[0]).to.equal('số 40 (45)');
  });

  it('runs held statements before the next one, in order, and gives that one only its own rows', async () => {
    const rowsSeen = await knex.transaction(async (trx) => {
      await held(trx, 50, 'năm mươi');
      await held(trx, 51, 'năm mốt');
      return trx('begin_probe').orderBy('id').select('id');
    });
    expect(rowsSeen).to.deep.equal([{ id: 50 }, { id: 51 }]);
    await knex.transaction(async (trx) => { await held(trx, 52, 'năm hai'); await trx.transaction((nested) => nested('begin_probe').insert({ id: 53, label: 'năm ba' })); }); // SAVEPOINT next
    expect(await committed()).to.deep.equal(['năm mươi', 'năm mốt', 'năm hai', 'năm ba']);
  });

  it('fails the COMMIT with the error of a held statement: nothing of the transaction stays, and the connection is clean', async () => {
    await knex('begin_probe').insert({ id: 60, label: 'sáu mươi' });
    const failing = knex.transaction(async (trx) => { await trx('begin_probe').insert({ id: 61, label: 'sáu mốt' }); await held(trx, 60, 'trùng'); });
    expect((await rejection(failing)).message).to.match(/duplicate key/);
    await knex('begin_probe').insert({ id: 62, label: 'sáu hai' }); // autocommitted: seen at once by another connection
    await knex.transaction((trx) => trx('begin_probe').insert({ id: 63, label: 'sáu ba' }));
    expect(await committed()).to.deep.equal(['sáu mươi', 'sáu hai', 'sáu ba']);
  });

  it('drops what is held when the transaction rolls back, and holds nothing outside a transaction', async () => {
    const rolledBack = knex.transaction(async (trx) => { await trx('begin_probe').insert({ id: 70, label: 'bảy mươi' }); await held(trx, 71, 'bảy mốt'); throw new Error('rolled back on purpose'); });
    expect((await rejection(rolledBack)).message).to.equal('rolled back on purpose');
    await knex.raw('INSERT INTO begin_probe (id, label) VALUES (?, ?)', [72, 'bảy hai']).options({ sendWithNext: true }); // no transaction: sent at once
    expect(await committed()).to.deep.equal(['bảy hai']);
  });

  it('sends nothing for a transaction without a statement, and leaves nothing held on the connection', async () => {
    expect(await roundTrips(() => knex.transaction(async () => 'nothing'))).to.equal(0);
    expect((await rejection(knex.transaction(async () => { throw new Error('before any statement'); }))).message).to.equal('before any statement');
    await knex('begin_probe').insert({ id: 30, label: 'ba mươi' });
    expect(await committed()).to.deep.equal(['ba mươi']);
  });
});
