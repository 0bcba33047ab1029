// One agency node of `npm run bench:exchange`, run as a child process of scripts/bench-exchange.ts so that
// its memory and CPU are its own. It is a real node: `createNodeApp` on its own PostgreSQL database,
// the shared RabbitMQ broker under the bench's name prefix, the demo agencies and keys, the dev directory.
// Every document it sends carries its own 100 KB PDF (random padding: it hardly compresses, as a real one),
// signed by its leader's dev key (PAdES) while the drafts are prepared, before the clock starts: the run
// measures the exchange, not the PDF signer, and no two documents share a file (a recipient stores each anew).
// Parent → child (IPC): prepare {key, count, recipient}: drafts with their signed PDFs, not timed;
// run {key, concurrency, ratePerSecond}: issue + send each draft, time issue → status 03 applied here;
// stats: peak RSS and the size of a package on the wire; registered: a 03 another process of the agency
// applied. Child → parent: ready, prepared, done, stats, registered-elsewhere (a 03 for a document issued elsewhere).
// As a recipient, the node's văn thư accepts (registers) every document as soon as its receipt commits.
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { dirname, join } from 'node:path';
import { createNodeApp, type NodeApp } from '../src/app.ts';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import type { Actor } from '../src/domain/actor.ts';
import { demoNetwork } from '../src/domain/demo-network.ts';
import { DEMO_PIN } from '../src/services/demo-keys.ts';
import { actorFor, cheapHasher } from '../test/support/network.ts';
import { samplePdf } from '../test/unit/pki/signatures/support/sample-pdf.ts';

type Command =
  | { readonly type: 'prepare'; readonly key: string; readonly organId: string; readonly count: number; readonly recipient: string }
  | { readonly type: 'run'; readonly key: string; readonly organId: string; readonly concurrency: number; readonly ratePerSecond: number | null }
  | { readonly type: 'stats'; readonly organId: string }
  | { readonly type: 'registered'; readonly organId: string; readonly documentId: string; readonly at: number }
  | { readonly type: 'stop' };

const ROOT = new URL('../', import.meta.url).pathname;
// BENCH_ORGAN_IDS: the agencies this process hosts (the bench's BENCH_PROCESSES=1 puts all of them in one).
const organIds = required('BENCH_ORGAN_IDS').split(',');
const processName = organIds.join('+');
const now = (): number => performance.timeOrigin + performance.now();
const send = (message: unknown): void => { process.send?.(message); };

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function nodeConfig(): Config {
  const base = loadConfig({ configDir: join(ROOT, 'config'), env: { LOG_LEVEL: process.env.BENCH_LOG ?? 'error' } });
  return {
    ...base,
    dataDir: required('BENCH_DATA_DIR'),
    database: { ...base.database, url: required('BENCH_DATABASE_URL'), ...(process.env.BENCH_POOL_MAX ? { poolMax: Number(process.env.BENCH_POOL_MAX) } : {}) },
    demo: { ...base.demo, password: 'bench-password-1' },
    signing: { ...base.signing, unlockWindowSeconds: 3600 }, // the leader enters the PIN once for the preparation's signatures
    axis: {
      ...base.axis, url: required('BENCH_AXIS_URL'), prefix: required('BENCH_PREFIX'),
      ...(process.env.BENCH_INBOX_BATCH ? { inbox: { batchSize: Number(process.env.BENCH_INBOX_BATCH) } } : {}),
      ...(process.env.BENCH_RELAY_LINGER ? { relay: { ...base.axis.relay, lingerMs: Number(process.env.BENCH_RELAY_LINGER) } } : {}),
    },
    exchange: { ...base.exchange, hostedOrganIds: organIds },
  };
}

interface Agency {
  readonly specialist: Actor; readonly leader: Actor; readonly clerk: Actor; pinGiven: boolean;
  readonly issuedAt: Map<string, number>; onRegistered?: (documentId: string, at: number) => void;
}

let peakRssMb = 0;
const sampler = setInterval(() => { peakRssMb = Math.max(peakRssMb, process.memoryUsage.rss() / 2 ** 20); }, 100);

/** A draft to `recipient` with its own 100 KB PDF, signed by the leader (PAdES): the PIN the first time, then the unlock window. */
async function signedDraft(app: NodeApp, organId: string, agency: Agency, subject: string, recipient: { organId: string; organName: string }): Promise<string> {
  const draft = await app.registry.draftOutgoing(agency.specialist, organId, { typeName: 'Công văn', subject, priority: 0, recipients: [recipient] });
  await app.attachments.upload(agency.specialist, organId, draft.id, { fileName: 'van-ban.pdf', mediaType: 'application/pdf', role: 'main', content: once(incompressiblePdf(subject, 100_000)) });
  await app.signing.signPersonal(agency.leader, organId, draft.id, agency.pinGiven ? {} : { pin: DEMO_PIN });
  agency.pinGiven = true;
  return draft.id;
}

/**
 * A valid 100 KB PDF whose padding stream is random bytes: a real PDF (fonts, scanned pages) hardly
 * compresses, whereas the test fixture's padding of '%' would shrink to nothing in the edXML zip.
 */
function incompressiblePdf(text: string, size: number): Buffer {
  const pdf = samplePdf({ text, padTo: size });
  const padding = pdf.indexOf('%'.repeat(1000));
  let end = padding;
  while (pdf[end] === 0x25) end += 1;
  randomFillSync(pdf, padding, end - padding); // same length: the cross-reference offsets stay right
  return pdf;
}

/** Starts the V8 profiler; the returned function stops it and writes the profile. */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string) => new Promise<unknown>((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async (file) => {
    const { profile } = await post('Profiler.stop') as { profile: unknown };
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  };
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> { yield bytes; }

async function main(): Promise<void> {
  const app = await createNodeApp(nodeConfig(), { hasher: cheapHasher() });
  await app.migrate();
  await app.seedDemo();
  await app.exchange.start();
  const sqlBytes = new Map<string, { count: number; bytes: number }>();
  const roundTrips = { count: 0 };
  let tracing = false; // on during this node's saturation run only: not its preparation, not the half-load run
  if (process.env.BENCH_TRACE_SQL) {
    app.database.knex.on('query', (q: { sql: string; bindings?: unknown[] }) => {
      if (!tracing) return;
      const key = q.sql.slice(0, 60).replace(/trx\d+/g, 'trxN');
      const size = q.sql.length + (q.bindings ?? []).reduce<number>((n, b) => n + (Buffer.isBuffer(b) ? b.byteLength : typeof b === 'string' ? b.length : 8), 0);
      const e = sqlBytes.get(key) ?? { count: 0, bytes: 0 };
      e.count += 1; e.bytes += size; sqlBytes.set(key, e);
    });
    // Round trips: pg answers each one with ReadyForQuery (statements carried with the next one share it).
    const pgClient = (createRequire(import.meta.url)('pg') as { Client: { prototype: { _handleReadyForQuery: (...args: unknown[]) => unknown } } }).Client.prototype;
    const answer = pgClient._handleReadyForQuery;
    pgClient._handleReadyForQuery = function (this: unknown, ...args: unknown[]) { if (tracing) roundTrips.count += 1; return answer.apply(this, args); };
  }
  const agencies = new Map<string, Agency>();
  for (const organId of organIds) {
    agencies.set(organId, {
      specialist: await actorFor(app.database, 'chuyen_vien', organId), leader: await actorFor(app.database, 'lanh_dao', organId),
      clerk: await actorFor(app.database, 'van_thu', organId), pinGiven: false, issuedAt: new Map(),
    });
  }
  const agency = (organId: string): Agency => agencies.get(organId) as Agency;

  // Recipient side: the văn thư accepts each received document as soon as its receipt commits (2 at a time).
  const toAccept: Array<{ organId: string; documentId: string }> = [];
  let accepting = 0;
  const acceptNext = (): void => {
    while (accepting < 2 && toAccept.length > 0) {
      const { organId, documentId } = toAccept.shift() as { organId: string; documentId: string };
      accepting += 1;
      app.exchange.clerk.accept(agency(organId).clerk, organId, documentId)
        .catch((error: unknown) => console.error(`bench node ${organId}: accept ${documentId} failed`, error))
        .finally(() => { accepting -= 1; acceptNext(); });
    }
  };
  // Sender side: issue → 03 applied here, per document (a status goes to the document's sender: headers.to).
  app.exchange.onCommitted(({ headers, outcome, duplicate }) => {
    if (duplicate) return;
    if (headers.messageType === 'edoc' && outcome.status === '01' && typeof outcome.documentId === 'string') {
      toAccept.push({ organId: headers.to, documentId: outcome.documentId });
      acceptNext();
    } else if (headers.messageType === 'status' && outcome.applied === true && outcome.statusCode === '03' && typeof outcome.documentId === 'string') {
      const sender = agencies.get(headers.to);
      // Another process of the agency (BENCH_PROCESSES=n) may have issued it: the parent passes it on.
      if (sender?.issuedAt.has(outcome.documentId)) sender.onRegistered?.(outcome.documentId, now());
      else send({ type: 'registered-elsewhere', organId: headers.to, documentId: outcome.documentId, at: now() });
    }
  });

  const prepared = new Map<string, string[]>();
  process.on('message', (command: Command) => {
    void (async () => {
      if (command.type === 'prepare') {
        const recipient = { organId: command.recipient, organName: demoNetwork.find((a) => a.organId === command.recipient)?.name ?? command.recipient };
        const ids: string[] = [];
        for (let i = 0; i < command.count; i++) ids.push(await signedDraft(app, command.organId, agency(command.organId), `Đo thông lượng ${command.key} ${i}`, recipient));
        prepared.set(`${command.key}@${command.organId}`, ids);
        send({ type: 'prepared', key: `${command.key}@${command.organId}`, count: ids.length });
      } else if (command.type === 'run') {
        if (command.key === 'saturation' && command.organId === organIds[0]) tracing = true; // the trace counts the timed run only
        const profiling = command.key === 'saturation' && command.organId === organIds[0] && process.env.BENCH_CPU_PROF ? await startProfile() : undefined;
        const a = agency(command.organId);
        const result = await run(app, command.organId, a.clerk, prepared.get(`${command.key}@${command.organId}`) ?? [], command, a.issuedAt, (listener) => { a.onRegistered = listener; });
        if (command.key === 'saturation') tracing = false;
        if (profiling) await profiling(join(process.env.BENCH_CPU_PROF as string, `${processName}.cpuprofile`));
        send({ type: 'done', key: `${command.key}@${command.organId}`, ...result });
      } else if (command.type === 'registered') {
        agencies.get(command.organId)?.onRegistered?.(command.documentId, command.at); // ignored unless issued here
      } else if (command.type === 'stats') {
        const row = await app.database.knex('axis_outbox').where({ message_type: 'edoc' }).select(app.database.knex.raw('COALESCE(octet_length(package), package_size) as bytes')).first() as { bytes: number | string } | undefined;
        if (process.env.BENCH_TRACE_SQL && command.organId === organIds[0]) {
          console.log(processName, 'statements from the saturation run on:', [...sqlBytes.values()].reduce((n, e) => n + e.count, 0), '— round trips to PostgreSQL:', roundTrips.count);
          for (const [sql, e] of [...sqlBytes].sort((a, b) => b[1].count - a[1].count).slice(0, 100)) console.log(processName, e.count, (e.bytes / 1e6).toFixed(1), 'MB', sql);
        }
        send({ type: 'stats', key: command.organId, organId: command.organId, peakRssMb, packageBytes: Number(row?.bytes ?? 0) });
      } else {
        clearInterval(sampler);
        await app.close();
        send({ type: 'stopped' });
        process.disconnect?.();
      }
    })().catch((error: unknown) => {
      console.error(`bench node ${processName}: ${command.type} failed`, error);
      process.exit(1);
    });
  });
  send({ type: 'ready' });
}

async function run(app: NodeApp, organId: string, clerk: Actor, ids: readonly string[], command: Extract<Command, { type: 'run' }>, issuedAt: Map<string, number>,
  listen: (listener: (documentId: string, at: number) => void) => void): Promise<{ latenciesMs: number[]; firstIssueAt: number; lastRegisteredAt: number; failed: number }> {
  const latenciesMs: number[] = [];
  let lastRegisteredAt = 0;
  let finish: () => void = () => undefined;
  const allRegistered = new Promise<void>((resolve) => { finish = resolve; });
  let failed = 0;
  const check = (): void => { if (latenciesMs.length + failed === ids.length) finish(); };
  listen((documentId, at) => {
    const started = issuedAt.get(documentId);
    if (started === undefined) return;
    issuedAt.delete(documentId);
    latenciesMs.push(at - started);
    lastRegisteredAt = Math.max(lastRegisteredAt, at);
    check();
  });
  const firstIssueAt = now();
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(command.concurrency, ids.length) }, async () => {
    for (let i = next++; i < ids.length; i = next++) {
      if (command.ratePerSecond) {
        const wait = firstIssueAt + (i * 1000) / command.ratePerSecond - now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const documentId = ids[i] as string;
      issuedAt.set(documentId, now());
      try {
        await app.registry.issueOutgoing(clerk, organId, documentId);
        await app.exchange.sending.send(clerk, organId, documentId);
      } catch (error) {
        console.error(`bench node ${organId}: issue/send ${documentId} failed`, error);
        issuedAt.delete(documentId);
        failed += 1;
        check();
      }
    }
  }));
  if (ids.length === 0) finish();
  await allRegistered;
  return { latenciesMs, firstIssueAt, lastRegisteredAt, failed };
}

main().catch((error: unknown) => {
  console.error(`bench node ${processName} failed to start`, error);
  process.exit(1);
});
