// npm run bench:registry — gapless registration throughput with 8 concurrent registrants, all on ONE
// agency's incoming book (every registration serialises on that book's counter), on PostgreSQL and on
// PGlite; beside it, the machine's raw rate of single-row INSERT commits through `pg` on one connection.
// The machine is shared, so raw floor and registrations are measured in alternating rounds and the
// ratio is the median of the rounds' ratios; the CPU spent per registration (this Node process and the
// PostgreSQL backends of the bench database, from /proc) is printed too, as it does not depend on load.
// Environment: BENCH_ROUNDS (default 3), BENCH_REGISTRATIONS per round (default 1500).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { KnexUnitOfWork } from '../src/db/knex-unit-of-work.ts';
import { RegistryService } from '../src/services/registry-service.ts';
import { BatchingRegistrationWriter } from '../src/db/batching-registration-writer.ts';
import { createTestDatabase, postgresAdminUrl, type DatabaseKind, type TestDatabase } from '../test/support/databases.ts';
import { actorFor, seedNetwork } from '../test/support/network.ts';
import { registerConcurrently } from '../test/support/registrants.ts';

const VPCP = '000.00.00.G22';
const clock = { now: () => new Date() };
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const perRound = Number(process.env.BENCH_REGISTRATIONS ?? 1500);
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** CPU time (user + system, ms) of the given processes, from /proc/<pid>/stat (clock ticks of 10 ms). */
function cpuMsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch { /* the backend ended */ }
  }
  return ticks * 10;
}

class RegistryBench {
  private done = 0;
  private constructor(private readonly db: TestDatabase, private readonly registry: RegistryService, private readonly actor: Awaited<ReturnType<typeof actorFor>>) {}

  static async open(kind: DatabaseKind): Promise<RegistryBench> {
    const db = await createTestDatabase(kind, { poolMax: 9 });
    await seedNetwork(db.database);
    // As the node runs it (src/app.ts): registrations of one book arriving together are written together.
    const registry = new RegistryService(new KnexUnitOfWork(db.database.knex, clock), clock, new BatchingRegistrationWriter(db.database.knex));
    const bench = new RegistryBench(db, registry, await actorFor(db.database, 'van_thu', VPCP));
    await bench.run(50); // warm-up
    return bench;
  }

  /** The PostgreSQL backends of this database (the pool opened on demand: fill it first). */
  async backends(): Promise<number[]> {
    const knex = this.db.database.knex;
    await Promise.all(Array.from({ length: 9 }, () => knex.raw('SELECT pg_sleep(0.02)')));
    const rows = (await knex.raw<{ rows: { pid: number }[] }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).rows;
    return rows.map((r) => r.pid);
  }

  async run(total: number): Promise<{ perSecond: number; nodeCpuMs: number }> {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const failures = await registerConcurrently(this.registry, this.actor, VPCP, total, 8);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (failures > 0) throw new Error(`${failures} registrations failed`);
    this.done += total;
    const used = process.cpuUsage(cpu);
    return { perSecond: total / seconds, nodeCpuMs: (used.user + used.system) / 1000 };
  }

  async assertGapless(): Promise<void> {
    const numbers = (await this.db.database.knex('documents').select('arrival_number').orderBy('arrival_number')).map((r) => r.arrival_number as number);
    if (numbers.length !== this.done || !numbers.every((n, i) => n === i + 1)) throw new Error('numbering was not gapless');
  }

  close(): Promise<void> { return this.db.drop(); }
}

async function rawInserts(client: pg.Client, total: number): Promise<number> {
  const payload = 'x'.repeat(500);
  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i += 1) await client.query('INSERT INTO edoc_bench_raw (payload) VALUES ($1)', [payload]); // autocommit: one commit each
  return total / (Number(process.hrtime.bigint() - started) / 1e9);
}

const client = new pg.Client({ connectionString: postgresAdminUrl });
await client.connect();
// A logged table (a TEMP table would skip the WAL flush that every real commit pays).
await client.query('DROP TABLE IF EXISTS edoc_bench_raw');
await client.query('CREATE TABLE edoc_bench_raw (id serial primary key, payload text not null, at timestamptz default now())');
const pgBench = await RegistryBench.open('postgres');
const backends = await pgBench.backends();
const raws: number[] = [];
const rates: number[] = [];
const ratios: number[] = [];
let nodeCpuMs = 0;
let pgCpuMs = 0;
try {
  for (let round = 1; round <= rounds; round += 1) {
    const raw = await rawInserts(client, perRound);
    const pgCpu = cpuMsOf(backends);
    const result = await pgBench.run(perRound);
    pgCpuMs += cpuMsOf(backends) - pgCpu;
    nodeCpuMs += result.nodeCpuMs;
    raws.push(raw);
    rates.push(result.perSecond);
    ratios.push(result.perSecond / raw);
    console.log(`round ${round}: raw ${raw.toFixed(0)} single-row INSERT commits/s (pg, one connection); `
      + `${perRound} registrations, 8 registrants, one book: ${result.perSecond.toFixed(0)}/s → ratio ${(result.perSecond / raw).toFixed(2)} (load ${loadavg()[0]?.toFixed(1)})`);
  }
  await pgBench.assertGapless();
} finally {
  await pgBench.close();
  await client.query('DROP TABLE IF EXISTS edoc_bench_raw').catch(() => {});
  await client.end();
}
const registrations = rounds * perRound;
console.log(`CPU per registration: ${(nodeCpuMs / registrations).toFixed(3)} ms in this Node process (registrants included), ${(pgCpuMs / registrations).toFixed(3)} ms in PostgreSQL`);

const pglite = await RegistryBench.open('pglite');
let pgliteRate: number;
try {
  pgliteRate = (await pglite.run(1000)).perSecond;
  await pglite.assertGapless();
  console.log(`pglite   1000 registrations, 8 registrants, one book: ${pgliteRate.toFixed(0)}/s (gapless: true)`);
} finally {
  await pglite.close();
}
console.log(`ratio PostgreSQL registrations / raw commits, median of ${rounds} rounds: ${median(ratios).toFixed(2)} (target ≥ 0.5)`);
console.log(JSON.stringify({
  bench: 'registry', pgPerSecond: Math.round(median(rates)), pglitePerSecond: Math.round(pgliteRate), rawInsertPerSecond: Math.round(median(raws)),
  ratio: Number(median(ratios).toFixed(2)), nodeCpuMsPerRegistration: Number((nodeCpuMs / registrations).toFixed(3)), pgCpuMsPerRegistration: Number((pgCpuMs / registrations).toFixed(3)),
  loadAverage: Number(loadavg()[0]?.toFixed(1)),
}));
