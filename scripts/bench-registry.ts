// npm run bench:registry — gapless registration throughput with 8 concurrent registrants, all on ONE
// agency's incoming book (every registration serialises on that book's counter), on PostgreSQL and on
// PGlite; beside it, the machine's raw rate of single-row INSERT commits through `pg` on one connection.
import pg from 'pg';
import { KnexUnitOfWork } from '../src/db/knex-unit-of-work.ts';
import { RegistryService } from '../src/services/registry-service.ts';
import { BatchingRegistrationWriter } from '../src/db/batching-registration-writer.ts';
import { createTestDatabase, postgresAdminUrl, type DatabaseKind } from '../test/support/databases.ts';
import { actorFor, seedNetwork } from '../test/support/network.ts';
import { registerConcurrently } from '../test/support/registrants.ts';

const VPCP = '000.00.00.G22';
const clock = { now: () => new Date() };

async function registrationsPerSecond(kind: DatabaseKind, total: number): Promise<number> {
  const db = await createTestDatabase(kind, { poolMax: 9 });
  try {
    await seedNetwork(db.database);
    // As the node runs it (src/app.ts): registrations of one book arriving together are written together.
    const registry = new RegistryService(new KnexUnitOfWork(db.database.knex, clock), clock, new BatchingRegistrationWriter(db.database.knex));
    const actor = await actorFor(db.database, 'van_thu', VPCP);
    await registerConcurrently(registry, actor, VPCP, 50, 8); // warm-up
    const started = process.hrtime.bigint();
    const failures = await registerConcurrently(registry, actor, VPCP, total, 8);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const numbers = (await db.database.knex('documents').select('arrival_number').orderBy('arrival_number')).map((r) => r.arrival_number as number);
    const gapless = failures === 0 && numbers.every((n, i) => n === i + 1) && numbers.length === total + 50;
    console.log(`${kind.padEnd(8)} ${total} registrations, 8 registrants, one book: ${(total / seconds).toFixed(0)}/s (gapless: ${gapless})`);
    if (!gapless) throw new Error('numbering was not gapless');
    return total / seconds;
  } finally {
    await db.drop();
  }
}

async function rawInsertsPerSecond(total: number): Promise<number> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    // A logged table (a TEMP table would skip the WAL flush that every real commit pays).
    await client.query('DROP TABLE IF EXISTS edoc_bench_raw');
    await client.query('CREATE TABLE edoc_bench_raw (id serial primary key, payload text not null, at timestamptz default now())');
    const payload = 'x'.repeat(500);
    const started = process.hrtime.bigint();
    for (let i = 0; i < total; i += 1) await client.query('INSERT INTO edoc_bench_raw (payload) VALUES ($1)', [payload]); // autocommit: one commit each
    const rate = total / (Number(process.hrtime.bigint() - started) / 1e9);
    console.log(`raw      ${total} single-row INSERT commits through pg, one connection: ${rate.toFixed(0)}/s`);
    return rate;
  } finally {
    await client.query('DROP TABLE IF EXISTS edoc_bench_raw').catch(() => {});
    await client.end();
  }
}

const raw = await rawInsertsPerSecond(3000);
const pgRate = await registrationsPerSecond('postgres', 3000);
const pgliteRate = await registrationsPerSecond('pglite', 1000);
console.log(`ratio PostgreSQL registrations / raw commits: ${(pgRate / raw).toFixed(2)} (target ≥ 0.5)`);
console.log(JSON.stringify({ bench: 'registry', pgPerSecond: Math.round(pgRate), pglitePerSecond: Math.round(pgliteRate), rawInsertPerSecond: Math.round(raw) }));
