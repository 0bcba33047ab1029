// npm run bench:sql — the node's CPU per statement, by the way it is sent: knex's builder, knex's raw text,
// `runSql` (src/db/sql-text.ts: past knex's runner) and pg alone, each 2,000 selects by primary key in one
// transaction on the local PostgreSQL (TEST_POSTGRES_URL, over its Unix socket when it has one); then a
// transaction's own cost: knex.transaction around one select, against BEGIN, select, COMMIT through pg.
// Why the exchange's hot statements are SQL text run by `runSql` (docs/exchange.md, Figures, 7 Dec).
import { existsSync } from 'node:fs';
import type { Knex } from 'knex';
import { openDatabase } from '../src/db/connection.ts';
import { runSql } from '../src/db/sql-text.ts';

const STATEMENTS = 2_000;
const adminUrl = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
if (['127.0.0.1', 'localhost'].includes(adminUrl.hostname) && existsSync(`/var/run/postgresql/.s.PGSQL.${adminUrl.port || '5432'}`)) adminUrl.searchParams.set('host', '/var/run/postgresql');

type Way = (trx: Knex.Transaction, key: string) => Promise<unknown>;
const ways: Record<string, Way> = {
  'knex builder': (trx, key) => trx('bench_sql').where({ id: key }).first(),
  'knex raw text': (trx, key) => trx.raw('SELECT * FROM bench_sql WHERE id = ? LIMIT 1', [key]),
  runSql: (trx, key) => runSql(trx, 'SELECT * FROM bench_sql WHERE id = ? LIMIT 1', [key]),
  'pg alone (named)': async (trx, key) => {
    const connection = await (trx.client as { acquireConnection(): Promise<{ query(q: object): Promise<unknown> }> }).acquireConnection();
    return connection.query({ text: 'SELECT * FROM bench_sql WHERE id = $1 LIMIT 1', values: [key], name: 'bench_sql_select' });
  },
};

async function cpuPerStatement(knex: Knex, way: Way): Promise<{ cpuMs: number; wallMs: number }> {
  const run = (): Promise<void> => knex.transaction(async (trx) => { for (let i = 0; i < STATEMENTS; i++) await way(trx, `k${i % 10}`); });
  await run(); // warm-up: the JIT and the prepared statements
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000 / STATEMENTS, wallMs: (performance.now() - started) / STATEMENTS };
}

/** A transaction's own cost: knex.transaction around one runSql select, against BEGIN, the select, COMMIT straight through pg. */
const transactionWays: Record<string, (knex: Knex) => Promise<unknown>> = {
  'knex.transaction': (knex) => knex.transaction((trx) => runSql(trx, 'SELECT * FROM bench_sql WHERE id = ? LIMIT 1', ['k1'])),
  'pg alone': async (knex) => {
    const client = knex.client as { acquireConnection(): Promise<{ query(q: object | string): Promise<unknown> }>; releaseConnection(c: unknown): Promise<unknown> };
    const connection = await client.acquireConnection();
    try {
      await connection.query('BEGIN');
      await connection.query({ text: 'SELECT * FROM bench_sql WHERE id = $1 LIMIT 1', values: ['k1'], name: 'bench_sql_select' });
      await connection.query('COMMIT');
    } finally {
      await client.releaseConnection(connection);
    }
  },
};

async function cpuPerTransaction(knex: Knex, way: (knex: Knex) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < STATEMENTS / 4; i++) await way(knex); // warm-up
  const cpu = process.cpuUsage();
  for (let i = 0; i < STATEMENTS; i++) await way(knex);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000 / STATEMENTS;
}

async function main(): Promise<void> {
  const database = await openDatabase({ url: adminUrl.toString(), dataDir: '', poolMax: 1 }); // one connection: the temp table lives on it
  const knex = database.knex;
  const results: Record<string, number> = {};
  const transactions: Record<string, number> = {};
  try {
    await knex.raw('CREATE TEMP TABLE IF NOT EXISTS bench_sql (id text PRIMARY KEY, label text)');
    console.log(`bench:sql — ${STATEMENTS} selects by primary key in one transaction, each way (${adminUrl.searchParams.get('host') ?? adminUrl.host})`);
    for (const [name, way] of Object.entries(ways)) {
      const { cpuMs, wallMs } = await cpuPerStatement(knex, way);
      results[name] = Number(cpuMs.toFixed(3));
      console.log(`${name.padEnd(20)}: ${cpuMs.toFixed(3)} ms of the node's CPU a statement, ${wallMs.toFixed(3)} ms elapsed`);
    }
    console.log(`${STATEMENTS} transactions of one such select, each way:`);
    for (const [name, way] of Object.entries(transactionWays)) {
      const cpuMs = await cpuPerTransaction(knex, way);
      transactions[name] = Number(cpuMs.toFixed(3));
      console.log(`${name.padEnd(20)}: ${cpuMs.toFixed(3)} ms of the node's CPU a transaction`);
    }
  } finally {
    await database.close();
  }
  console.log(JSON.stringify({ bench: 'sql', statements: STATEMENTS, cpuMsPerStatement: results, cpuMsPerTransaction: transactions }));
}

await main();
