// npm run bench:exchange — the exchange benchmark of issue 5 ("Benchmark (a script, not a timed test)").
// End to end, with the real exchange services: N agencies (BENCH_AGENCIES, default 3) each run as a real
// node (`createNodeApp`) in its own child process (scripts/bench-exchange-node.ts) with its own PostgreSQL
// database, on one RabbitMQ broker under a fresh name prefix. They send in a ring (agency i → agency i+1),
// so every node issues, receives, verifies and registers. M documents in all (BENCH_DOCUMENTS, default
// 1000), each carrying the same 100 KB PDF signed (PAdES) once per sending node by its leader's dev key.
// One document's path: the sender's văn thư issues it and sends it (number, signed envelope, outbox) →
// RabbitMQ → the recipient parses, verifies the envelope and the PDF signature, stores it and answers 01 →
// the recipient's văn thư accepts it (registers it: số đến) as soon as its receipt commits → status 03
// (signed) → applied at the sender: that is "end to end". First at saturation (BENCH_CONCURRENCY issues
// in flight per node, default 8) → documents per second; then paced at half that rate → p50/p95/p99 of
// issue → 03 applied. Peak RSS per process (each node, and this one). In the same run, the raw floors of
// the machine: quorum-queue publish+consume with confirms of the package's size, single-row commits in
// PostgreSQL (knex, 5 KB row), RSA-2048 signatures and verifications (node:crypto). Ends with one JSON line.
// BENCH_MACHINERY=1 also runs the axis machinery measurements (5 KB messages: raw amqplib classic/quorum,
// AmqpAxisTransport, InProcessAxisTransport, a 50 MB package in chunks, outbox → inbox without signatures).
// BENCH_INBOX_BATCH=<n> and BENCH_RELAY_LINGER=<ms> override the nodes' axis.inbox.batchSize and
// axis.relay.lingerMs (to compare).
// BENCH_PG_SOCKET=<dir>: the nodes (and the commit floor) reach PostgreSQL over its Unix socket in <dir>;
// default /var/run/postgresql when PostgreSQL is on this machine (127.0.0.1/localhost) and its socket is
// there, as a node beside its database is configured; BENCH_PG_SOCKET=tcp keeps TCP.
// BENCH_NODE_ARGS='<flags>': Node.js flags for the node processes (e.g. V8 tracing); default the flag
// `edoc-node start` runs with (--initial-old-space-size=256, bin/edoc-node.js); BENCH_NODE_ARGS=' ' runs without.
// BENCH_CPU_PROF=<dir>: each node writes a V8 CPU profile of its saturation run there (<organ id>.cpuprofile).
// BENCH_WARMUP=<n>: documents exchanged before the timed runs, not counted (default 300: JIT and caches; a node serves for days).
// BENCH_RATE=<n>: the paced run at n documents/s instead of half the saturation rate (latency at low load).
// BENCH_PROCESSES=<n>: n node processes, each hosting every agency, on one shared database and data directory
// (the scale-out of DESIGN.md: several processes per agency), instead of one process (and database) per agency.
// Environment: AXIS_URL (default amqp://guest:guest@127.0.0.1:5672), TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/postgres), BENCH_MESSAGES (machinery, default 5000).
// Everything is created under a fresh prefix / fresh databases and deleted at the end.
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import amqp from 'amqplib';
import knexFactory, { type Knex } from 'knex';
import { AmqpAxisTransport } from '../src/axis/amqp-axis-transport.ts';
import { FileChunkStore } from '../src/axis/file-chunk-store.ts';
import { InboxConsumer } from '../src/axis/inbox-consumer.ts';
import { InProcessAxisTransport } from '../src/axis/in-process-axis-transport.ts';
import { OutboxRelay } from '../src/axis/outbox-relay.ts';
import { TempFilePayloadSink } from '../src/axis/temp-file-payload-sink.ts';
import { openDatabase, type Database } from '../src/db/connection.ts';
import { KnexInboxStore, KnexTransactionUnitOfWork } from '../src/db/knex-inbox-store.ts';
import { KnexOutboxStore } from '../src/db/knex-outbox-store.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { bytesPayload, type AxisOutgoingMessage, type AxisTransport } from '../src/domain/axis-transport.ts';

const url = process.env.AXIS_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const messages = Number(process.env.BENCH_MESSAGES ?? 5000);
const machineryDocuments = Number(process.env.BENCH_MACHINERY_DOCUMENTS ?? 2000);
const postgresAdminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pgSocketDir = postgresSocketDir();
const prefix = `bench${randomBytes(3).toString('hex')}.`;
const SENDER = '000.00.01.H53';
const RECIPIENT = '000.00.02.H53';
const body5k = randomBytes(5 * 1024);
const digest5k = createHash('sha256').update(body5k).digest('hex');

async function rawFloor(queueType: 'classic' | 'quorum', body: Buffer = body5k, count = messages): Promise<number> {
  const connection = await amqp.connect(url, { noDelay: true });
  const queue = `${prefix}raw.${queueType}`;
  try {
    const publisher = await connection.createConfirmChannel();
    const consumer = await connection.createChannel();
    await publisher.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': queueType } });
    await consumer.prefetch(256);
    let consumed = 0;
    let finish: () => void = () => undefined;
    const allConsumed = new Promise<void>((resolve) => { finish = resolve; });
    const started = performance.now();
    await consumer.consume(queue, (m) => {
      if (!m) return;
      consumed += 1;
      if (consumed % 64 === 0 || consumed === count) consumer.ack(m, true);
      if (consumed === count) finish();
    });
    const window = 256;
    let inFlight: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      inFlight.push(new Promise((resolve, reject) => {
        publisher.sendToQueue(queue, body, { persistent: true }, (err) => (err ? reject(err) : resolve()));
      }));
      if (inFlight.length >= window) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    await allConsumed;
    const rate = count / ((performance.now() - started) / 1000);
    await publisher.deleteQueue(queue);
    return rate;
  } finally {
    await connection.close();
  }
}

function message(to: string): AxisOutgoingMessage {
  return {
    headers: { from: SENDER, to, messageType: 'edoc', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: digest5k },
    payload: bytesPayload(body5k),
  };
}

async function transportRate(transport: AxisTransport): Promise<number> {
  let consumed = 0;
  let finish: () => void = () => undefined;
  const allConsumed = new Promise<void>((resolve) => { finish = resolve; });
  const subscription = await transport.consume(RECIPIENT, async () => {
    consumed += 1;
    if (consumed === messages) finish();
    return 'ack';
  });
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next++ < messages) await transport.publish(message(RECIPIENT));
  }));
  await allConsumed;
  const rate = messages / ((performance.now() - started) / 1000);
  await subscription.cancel();
  return rate;
}

async function largePackage(transport: AxisTransport, sizeMb: number): Promise<{ seconds: number; peakRssMb: number; baselineRssMb: number }> {
  const size = sizeMb * 1024 * 1024;
  const piece = randomBytes(1024 * 1024);
  const hash = createHash('sha256');
  for (let i = 0; i < sizeMb; i++) hash.update(piece);
  const packageDigest = hash.digest('hex');
  global.gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 10);
  let done: () => void = () => undefined;
  const received = new Promise<void>((resolve) => { done = resolve; });
  let verified = false;
  const messageId = randomUUID();
  const subscription = await transport.consume(RECIPIENT, async (d) => {
    if (d.headers.messageId !== messageId) return 'ack'; // a 5 KB message of the previous run, redelivered
    const check = createHash('sha256');
    for await (const part of d.payload.chunks()) check.update(part);
    verified = check.digest('hex') === packageDigest && d.payload.size === size;
    done();
    return 'ack';
  });
  const started = performance.now();
  await transport.publish({
    headers: { from: SENDER, to: RECIPIENT, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest },
    payload: { size, chunks: async function* () { for (let i = 0; i < sizeMb; i++) yield piece; }, bytes: async () => { throw new Error('streamed only'); } },
  });
  await received;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await subscription.cancel();
  if (!verified) throw new Error('the large package did not verify');
  return { seconds, peakRssMb: peak / 2 ** 20, baselineRssMb: baseline / 2 ** 20 };
}

/** Where the nodes reach PostgreSQL's Unix socket, or null for TCP (BENCH_PG_SOCKET, see the file's comment). */
function postgresSocketDir(): string | null {
  const chosen = process.env.BENCH_PG_SOCKET;
  if (chosen === 'tcp') return null;
  if (chosen) return chosen;
  const u = new URL(postgresAdminUrl);
  const local = u.hostname === '127.0.0.1' || u.hostname === 'localhost';
  return local && existsSync(`/var/run/postgresql/.s.PGSQL.${u.port || '5432'}`) ? '/var/run/postgresql' : null;
}

/** The URL of database `name`, over the socket when one is chosen. */
function databaseUrlOf(name: string): string {
  const u = new URL(postgresAdminUrl);
  u.pathname = `/${name}`;
  if (pgSocketDir) u.searchParams.set('host', pgSocketDir);
  return u.toString();
}

type Stores = (name: string) => { chunkStore: FileChunkStore; payloadSink: TempFilePayloadSink };

interface BenchDatabase { readonly database: Database; drop(): Promise<void> }

async function benchDatabase(admin: Knex, tag: string): Promise<BenchDatabase> {
  const name = `edoc_bench_${tag}_${randomBytes(3).toString('hex')}`;
  await admin.raw(`CREATE DATABASE ${name}`);
  const database = await openDatabase({ url: databaseUrlOf(name), dataDir: '', poolMax: 20 });
  await migrateToLatest(database.knex);
  return { database, drop: async () => { await database.close(); await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

/** Sender outbox → relay → RabbitMQ → receiver inbox, each node with its own database. */
async function outboxToInbox(admin: Knex, count: number, issueConcurrency: number, pacedPerSecond: number | undefined, stores: Stores): Promise<{ perSecond: number; p50: number; p95: number; p99: number }> {
  const sender = await benchDatabase(admin, 'sender');
  const receiver = await benchDatabase(admin, 'receiver');
  const runPrefix = `${prefix}m${randomBytes(2).toString('hex')}.`;
  const transportFor = (node: string, hosted: string[]) => new AmqpAxisTransport({
    url, topology: { prefix: runPrefix, deliveryLimit: 5 }, hostedOrganIds: hosted, prefetch: 32, chunkSizeBytes: 1024 * 1024,
    connectionName: `edoc-node bench ${node}`, ...stores(node),
  });
  const senderTransport = transportFor('sender', [SENDER]);
  const receiverTransport = transportFor('receiver', [RECIPIENT]);
  const issuedAt = new Map<string, number>();
  const latencies: number[] = [];
  let finish: () => void = () => undefined;
  const allReceived = new Promise<void>((resolve) => { finish = resolve; });
  const rk = receiver.database.knex;
  await rk.schema.createTable('bench_registrations', (t) => { t.text('message_id').primary(); t.binary('package').notNullable(); });
  const consumer = new InboxConsumer<Knex.Transaction>({
    transport: receiverTransport, unitOfWork: new KnexTransactionUnitOfWork(rk), inbox: new KnexInboxStore(),
    handler: async (trx, d) => {
      await trx('bench_registrations').insert({ message_id: d.headers.messageId, package: Buffer.from(await d.payload.bytes()) });
      return { status: '01' };
    },
    afterCommit: async (d, result) => {
      if (result.duplicate) return;
      latencies.push(performance.now() - (issuedAt.get(d.headers.messageId) ?? NaN));
      if (latencies.length === count) finish();
    },
  });
  const outbox = new KnexOutboxStore(sender.database.knex);
  const relay = new OutboxRelay({ store: outbox, transport: senderTransport, retryScheduleMs: [100, 500, 1000], batchSize: 100, concurrency: 16, leaseMs: 60_000, pollIntervalMs: 50 });
  try {
    await senderTransport.start();
    await receiverTransport.start();
    await consumer.start([RECIPIENT]);
    relay.start();
    const started = performance.now();
    let next = 0;
    const issue = async (): Promise<void> => {
      const messageId = randomUUID();
      await sender.database.knex.transaction((trx) => outbox.enqueue(trx, { id: randomUUID(), documentId: null, package: body5k,
        headers: { from: SENDER, to: RECIPIENT, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: digest5k } }));
      issuedAt.set(messageId, performance.now());
      relay.wake();
    };
    await Promise.all(Array.from({ length: issueConcurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        if (pacedPerSecond) {
          const due = started + (i * 1000) / pacedPerSecond;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        await issue();
      }
    }));
    await allReceived;
    const perSecond = count / ((performance.now() - started) / 1000);
    const sorted = latencies.slice().sort((a, b) => a - b);
    return { perSecond, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99) };
  } finally {
    await relay.stop();
    await consumer.stop();
    await cleanUp(senderTransport).catch(() => undefined);
    await senderTransport.close();
    await receiverTransport.close();
    await sender.drop();
    await receiver.drop();
  }
}

async function rawCommitFloor(admin: Knex): Promise<number> {
  const db = await benchDatabase(admin, 'commit');
  try {
    const k = db.database.knex;
    await k.schema.createTable('bench_rows', (t) => { t.uuid('id').primary(); t.text('a').index(); t.text('b').index(); t.binary('body'); });
    const until = performance.now() + 2000;
    let n = 0;
    while (performance.now() < until) {
      await k.transaction((trx) => trx('bench_rows').insert({ id: randomUUID(), a: String(n), b: 'x', body: body5k }));
      n += 1;
    }
    return n / 2;
  } finally {
    await db.drop();
  }
}

/** RSA-2048 signatures and verifications per second on one core, each timed for a second. */
function rawRsaFloors(): { sign: number; verify: number } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = randomBytes(32);
  const signature = sign('sha256', data, privateKey);
  const rate = (work: () => unknown): number => {
    const until = performance.now() + 1000;
    let n = 0;
    while (performance.now() < until) { work(); n += 1; }
    return n;
  };
  return { sign: rate(() => sign('sha256', data, privateKey)), verify: rate(() => verify('sha256', data, publicKey, signature)) };
}

async function cleanUp(transport: AmqpAxisTransport): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  const t = transport.topology;
  for (const q of [t.inboxQueue(SENDER), t.inboxQueue(RECIPIENT), t.deadLetterQueue]) await channel.deleteQueue(q);
  for (const x of [t.exchange, t.deadLetterExchange]) await channel.deleteExchange(x);
  await connection.close();
}


// ---- end to end: real nodes in child processes --------------------------------------------------------

const agencyCount = Number(process.env.BENCH_AGENCIES ?? 3);
const documents = Number(process.env.BENCH_DOCUMENTS ?? 1000);
const issueConcurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const warmupDocuments = Number(process.env.BENCH_WARMUP ?? 300);
/** Shared: `processCount` processes each host every agency on one database; else one process and database per agency. */
const shared = process.env.BENCH_PROCESSES !== undefined && process.env.BENCH_PROCESSES !== '';
const processCount = shared ? Math.max(1, Number(process.env.BENCH_PROCESSES)) : agencyCount;
/** The Node.js flags of `npm start` and bin/edoc-node.js (the V8 heap's first limit). */
const NODE_START_FLAGS = '--initial-old-space-size=256';
/** libuv's thread pool size of `npm start` (unless UV_THREADPOOL_SIZE is set): blob store I/O and RSA signatures. */
const NODE_START_THREADPOOL = '8';
/** Demo agencies that have dev keys (certs-dev/agencies/), in ring order. */
const RING = ['000.00.00.G22', '000.00.00.G10', '000.00.00.H53', '000.00.13.H53', '000.00.32.H53', '000.21.32.H53'];

interface RunResult { readonly latenciesMs: number[]; readonly firstIssueAt: number; readonly lastRegisteredAt: number; readonly failed: number }
interface NodeStats { readonly organId: string; readonly peakRssMb: number; readonly packageBytes: number }

class BenchNode {
  private readonly waiting = new Map<string, (message: Record<string, unknown>) => void>();
  readonly exited: Promise<number | null>;

  constructor(readonly organId: string, readonly child: ChildProcess) {
    child.on('message', (message: Record<string, unknown>) => {
      const key = `${String(message.type)}:${String(message.key ?? '')}`;
      const resolve = this.waiting.get(key);
      this.waiting.delete(key);
      resolve?.(message);
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      for (const [key, fail] of this.waiting) fail({ type: 'exit', error: `node ${organId} exited (${code}) while waiting for ${key}` });
      this.waiting.clear();
      resolve(code);
    }));
  }

  /** Resolves with the child's next message of this type (and key). */
  expect<T>(type: string, key = ''): Promise<T> {
    return new Promise((resolve, reject) => this.waiting.set(`${type}:${key}`, (message) => {
      if (message.type === 'exit') reject(new Error(String(message.error)));
      else resolve(message as T);
    }));
  }

  async request<T>(command: Record<string, unknown>, reply: string, key = ''): Promise<T> {
    const answer = this.expect<T>(reply, key);
    this.child.send(command);
    return answer;
  }
}

/**
 * The node processes: one per agency (default), or with BENCH_PROCESSES=n, n processes each hosting every
 * agency on one database and one data directory (still exchanging through RabbitMQ; started one after the
 * other, so one migrates and seeds first). A BenchNode stands for one agency of a process. A status 03 is
 * applied by whichever process consumes it: one that did not issue the document reports it here, and it
 * goes to the other processes (the one that issued it times it).
 */
async function startNodes(admin: Knex, root: string, runPrefix: string): Promise<{ nodes: BenchNode[]; databases: string[] }> {
  const nodes: BenchNode[] = [];
  const databases: string[] = [];
  const children: ChildProcess[] = [];
  const agencies = RING.slice(0, agencyCount);
  const groups = shared ? Array.from({ length: processCount }, () => agencies) : agencies.map((a) => [a]);
  let databaseUrl = '';
  for (const group of groups) {
    const organId = group.join('+');
    if (!shared || databases.length === 0) {
      const name = `edoc_bench_${(group.length === 1 ? organId : 'all').replace(/\./g, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
      await admin.raw(`CREATE DATABASE ${name}`);
      databases.push(name);
      databaseUrl = databaseUrlOf(name);
    }
    const child = fork(new URL('./bench-exchange-node.ts', import.meta.url).pathname, [], {
      execArgv: [...(process.env.BENCH_NODE_ARGS ?? NODE_START_FLAGS).split(' ').filter(Boolean), '--import', 'tsx'],
      env: { UV_THREADPOOL_SIZE: NODE_START_THREADPOOL, ...process.env, BENCH_ORGAN_IDS: group.join(','), BENCH_DATABASE_URL: databaseUrl, BENCH_AXIS_URL: url, BENCH_PREFIX: runPrefix, BENCH_DATA_DIR: join(root, organId) },
    });
    child.on('message', (message: { type?: string }) => {
      if (message.type !== 'registered-elsewhere') return;
      for (const other of children) if (other !== child && other.connected) other.send({ ...message, type: 'registered' });
    });
    children.push(child);
    const added = group.map((agency) => new BenchNode(agency, child));
    nodes.push(...added);
    if (shared) await added[0]?.expect('ready'); // one at a time: the first migrates and seeds the shared database
  }
  if (!shared) await Promise.all(nodes.map((n) => n.expect('ready')));
  return { nodes, databases };
}

/**
 * Each node sends its share of `count` documents to the next node of the ring; returns the merged result.
 * The drafts (each with its signed PDF) are prepared first; `onPrepared` runs before the clock starts.
 */
async function endToEnd(nodes: BenchNode[], key: string, count: number, ratePerSecond: number | null, onPrepared: () => Promise<void> = async () => undefined): Promise<RunResult & { perSecond: number }> {
  const share = (i: number): number => Math.floor(count / nodes.length) + (i < count % nodes.length ? 1 : 0);
  await Promise.all(nodes.map((n, i) => n.request({ type: 'prepare', key, organId: n.organId, count: share(i), recipient: nodes[(i + 1) % nodes.length]!.organId }, 'prepared', `${key}@${n.organId}`)));
  await onPrepared();
  const perNode = ratePerSecond === null ? null : ratePerSecond / nodes.length;
  const results = await Promise.all(nodes.map((n) => n.request<RunResult>({ type: 'run', key, organId: n.organId, concurrency: perNode === null ? issueConcurrency : 64, ratePerSecond: perNode }, 'done', `${key}@${n.organId}`)));
  const merged = {
    latenciesMs: results.flatMap((r) => r.latenciesMs),
    firstIssueAt: Math.min(...results.map((r) => r.firstIssueAt)),
    lastRegisteredAt: Math.max(...results.map((r) => r.lastRegisteredAt)),
    failed: results.reduce((sum, r) => sum + r.failed, 0),
  };
  return { ...merged, perSecond: merged.latenciesMs.length / ((merged.lastRegisteredAt - merged.firstIssueAt) / 1000) };
}

async function deleteTopology(runPrefix: string, organIds: readonly string[]): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  for (const q of [...organIds.map((o) => `${runPrefix}axis.inbox.${o}`), `${runPrefix}axis.dead-letter`]) await channel.deleteQueue(q);
  for (const x of [`${runPrefix}axis.packages`, `${runPrefix}axis.dead-letter`]) await channel.deleteExchange(x);
  await connection.close();
}

type Kind = 'nodes' | 'postgres' | 'rabbitmq';

/**
 * CPU seconds and minor page faults so far of the processes of each kind (Linux /proc; live processes
 * only). Faults matter on this VM: a first touch of a page costs ~14 µs (large strings and buffers).
 */
async function cpuByKind(nodePids: readonly number[]): Promise<Record<Kind, number> & { faults: Record<Kind, number>; kernel: Record<Kind, number>; switches: Record<Kind, number> }> {
  const { readdir, readFile } = await import('node:fs/promises');
  const ticks = 100; // USER_HZ
  const totals = { nodes: 0, postgres: 0, rabbitmq: 0 };
  const faults = { nodes: 0, postgres: 0, rabbitmq: 0 };
  const kernel = { nodes: 0, postgres: 0, rabbitmq: 0 };
  const switches = { nodes: 0, postgres: 0, rabbitmq: 0 };
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const match = /^\d+ \((.*)\) (.*)$/.exec(stat.trim());
    if (!match) continue;
    const fields = match[2]!.split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / ticks; // utime + stime
    const minflt = Number(fields[7]);
    const comm = match[1]!;
    const kind: Kind | undefined = nodePids.includes(Number(entry)) ? 'nodes' : comm.startsWith('postgres') ? 'postgres' : comm.startsWith('beam') || comm.startsWith('erl') ? 'rabbitmq' : undefined;
    if (!kind) continue;
    totals[kind] += seconds; faults[kind] += minflt; kernel[kind] += Number(fields[12]) / ticks;
    switches[kind] += await contextSwitches(entry);
  }
  return { ...totals, faults, kernel, switches };
}

/** Context switches (voluntary and not) of every thread of process `pid` so far. */
async function contextSwitches(pid: string): Promise<number> {
  const { readdir, readFile } = await import('node:fs/promises');
  let n = 0;
  for (const task of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const status = await readFile(`/proc/${pid}/task/${task}/status`, 'utf8').catch(() => '');
    for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) n += Number(m[1]);
  }
  return n;
}

const loadAverage = async (): Promise<string> => (await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ');

async function machinery(admin: Knex, stores: Stores): Promise<Record<string, number>> {
  const rawClassic = await rawFloor('classic');
  console.log(`raw amqplib 5 KB publish+consume, confirms, classic  : ${rawClassic.toFixed(0)} msg/s`);
  const rawQuorum = await rawFloor('quorum');
  console.log(`raw amqplib 5 KB publish+consume, confirms, quorum   : ${rawQuorum.toFixed(0)} msg/s`);
  const amqpTransport = new AmqpAxisTransport({
    url, topology: { prefix, deliveryLimit: 5 }, hostedOrganIds: [SENDER, RECIPIENT], prefetch: 32, chunkSizeBytes: 1024 * 1024,
    connectionName: `edoc-node bench ${prefix}`, ...stores('amqp'),
  });
  await amqpTransport.start();
  let transport = 0;
  let large = { seconds: 0, peakRssMb: 0, baselineRssMb: 0 };
  try {
    transport = await transportRate(amqpTransport);
    console.log(`AmqpAxisTransport 5 KB publish+consume (quorum inbox): ${transport.toFixed(0)} msg/s (${(transport / rawQuorum * 100).toFixed(0)} % of the raw quorum floor)`);
    large = await largePackage(amqpTransport, 50);
    console.log(`50 MB package in 1 MB chunks over RabbitMQ          : ${large.seconds.toFixed(2)} s, RSS ${large.baselineRssMb.toFixed(0)} → peak ${large.peakRssMb.toFixed(0)} MB`);
  } finally {
    await cleanUp(amqpTransport).catch((e: unknown) => console.error('clean-up failed', e));
    await amqpTransport.close();
  }
  const inProcess = new InProcessAxisTransport({ prefetch: 32, deliveryLimit: 5, chunkSizeBytes: 1024 * 1024, ...stores('in-process') });
  await inProcess.start();
  const inProcessRate = await transportRate(inProcess);
  await inProcess.close();
  console.log(`InProcessAxisTransport 5 KB publish+consume         : ${inProcessRate.toFixed(0)} msg/s`);
  const saturated = await outboxToInbox(admin, machineryDocuments, 8, undefined, stores);
  console.log(`outbox → RabbitMQ → inbox, no signatures, 5 KB       : ${saturated.perSecond.toFixed(0)} documents/s at saturation (${machineryDocuments} documents)`);
  const rate = Math.max(1, Math.floor(saturated.perSecond / 2));
  const halfLoad = await outboxToInbox(admin, Math.min(machineryDocuments, rate * 5), 8, rate, stores);
  console.log(`  latency at half load (${rate}/s), issue → receipt      : p50 ${halfLoad.p50.toFixed(1)} ms, p95 ${halfLoad.p95.toFixed(1)} ms, p99 ${halfLoad.p99.toFixed(1)} ms`);
  const ms = (n: number): number => Number(n.toFixed(1));
  return {
    rawPublishConsumeClassic5kPerSecond: Math.round(rawClassic), rawPublishConsumeQuorum5kPerSecond: Math.round(rawQuorum),
    transportPublishConsumePerSecond: Math.round(transport), inProcessPublishConsumePerSecond: Math.round(inProcessRate),
    largePackageSeconds: Number(large.seconds.toFixed(2)), largePackagePeakRssMb: Math.round(large.peakRssMb),
    axisMachineryDocsPerSecond: Math.round(saturated.perSecond), axisMachineryHalfLoadP50Ms: ms(halfLoad.p50), axisMachineryHalfLoadP95Ms: ms(halfLoad.p95), axisMachineryHalfLoadP99Ms: ms(halfLoad.p99),
  };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'edoc-bench-exchange-'));
  const stores: Stores = (name) => ({ chunkStore: new FileChunkStore(join(root, name, 'chunks')), payloadSink: new TempFilePayloadSink(join(root, name, 'in')) });
  const admin = knexFactory({ client: 'pg', connection: postgresAdminUrl, pool: { min: 0, max: 1 } });
  const runPrefix = `${prefix}e2e.`;
  console.log(`bench:exchange — ${agencyCount} agencies (${shared ? `${processCount} node process(es) hosting all of them on one PostgreSQL database` : "one node process each, PostgreSQL each"}, node flags '${(process.env.BENCH_NODE_ARGS ?? NODE_START_FLAGS).trim()}', PostgreSQL over ${pgSocketDir ? `its Unix socket in ${pgSocketDir}` : 'TCP'}, RabbitMQ ${new URL(url).host}, prefix ${runPrefix}), ${documents} documents with a signed 100 KB PDF; load average ${await loadAverage()}`);
  const extra: Record<string, number> = {};
  let nodes: BenchNode[] = [];
  let databases: string[] = [];
  const round = (n: number): number => Math.round(n);
  const ms = (n: number): number => Number(n.toFixed(1));
  try {
    ({ nodes, databases } = await startNodes(admin, root, runPrefix));
    // Warm-up (JIT, validation caches, connections), not counted: a node serves for days, and V8 optimises
    // a function only after many calls, so the timed run measures the steady state (BENCH_WARMUP documents).
    const warm = await endToEnd(nodes, 'warm-up', warmupDocuments, null);
    console.log(`warm-up (not counted)                           : ${warmupDocuments} documents at ${warm.perSecond.toFixed(1)} documents/s`);
    const pids = nodes.map((n) => n.child.pid ?? -1);
    let cpuBefore = await cpuByKind(pids);
    const saturated = await endToEnd(nodes, 'saturation', documents, null, async () => {
      cpuBefore = await cpuByKind(pids); // the preparation (PDF signing) is not counted
      console.log(`saturation run: ${documents} documents prepared, clock started`);
    });
    const cpuAfter = await cpuByKind(pids);
    const cpuMs = (kind: Kind): number => ((cpuAfter[kind] - cpuBefore[kind]) * 1000) / Math.max(1, saturated.latenciesMs.length);
    console.log(`end to end at saturation (${issueConcurrency} in flight per node)   : ${saturated.perSecond.toFixed(1)} documents/s (${saturated.latenciesMs.length} documents registered, ${saturated.failed} failed; load average ${await loadAverage()})`);
    console.log(`  CPU per document at saturation: nodes ${cpuMs('nodes').toFixed(1)} ms, PostgreSQL ${cpuMs('postgres').toFixed(1)} ms, RabbitMQ ${cpuMs('rabbitmq').toFixed(1)} ms (2 cores = 2,000 ms per second)`);
    const kernelMs = (kind: Kind): number => ((cpuAfter.kernel[kind] - cpuBefore.kernel[kind]) * 1000) / Math.max(1, saturated.latenciesMs.length);
    console.log(`    of which in the kernel (system time): nodes ${kernelMs('nodes').toFixed(1)} ms, PostgreSQL ${kernelMs('postgres').toFixed(1)} ms, RabbitMQ ${kernelMs('rabbitmq').toFixed(1)} ms`);
    const faultsPerDocument = (kind: Kind): number => (cpuAfter.faults[kind] - cpuBefore.faults[kind]) / Math.max(1, saturated.latenciesMs.length);
    console.log(`  minor page faults per document: nodes ${faultsPerDocument('nodes').toFixed(0)}, PostgreSQL ${faultsPerDocument('postgres').toFixed(0)} (PostgreSQL backends that exit are not counted)`);
    const switchesPerDocument = (kind: Kind): number => (cpuAfter.switches[kind] - cpuBefore.switches[kind]) / Math.max(1, saturated.latenciesMs.length);
    console.log(`  context switches per document (all threads): nodes ${switchesPerDocument('nodes').toFixed(0)}, PostgreSQL ${switchesPerDocument('postgres').toFixed(0)}, RabbitMQ ${switchesPerDocument('rabbitmq').toFixed(0)}`);
    const rate = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : Math.max(1, Math.floor(saturated.perSecond / 2));
    const halfCount = Math.max(50, Math.min(documents, rate * 15));
    const half = await endToEnd(nodes, 'half-load', halfCount, rate);
    const sorted = half.latenciesMs.slice().sort((a, b) => a - b);
    const [p50, p95, p99] = [percentile(sorted, 0.5), percentile(sorted, 0.95), percentile(sorted, 0.99)];
    console.log(`  at half that rate (${rate}/s, ${halfCount} documents), issue → 03  : p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (achieved ${half.perSecond.toFixed(1)}/s; load average ${await loadAverage()})`);
    const stats = await Promise.all(nodes.map((n) => n.request<NodeStats>({ type: 'stats', organId: n.organId }, 'stats', n.organId)));
    for (const s of stats) console.log(`  peak RSS of node ${s.organId}${shared ? ' (a process hosting all)' : ''}                  : ${s.peakRssMb.toFixed(0)} MB`);
    const packageBytes = Math.max(...stats.map((s) => s.packageBytes));
    // Whole in the row, in the blob store or kept as its parts: its size is on the row (package_size) either way.
    if (packageBytes < 100_000) throw new Error(`a document's package on the wire measured ${packageBytes} bytes: it carries a 100 KB PDF (is the size read from the outbox row right?)`);
    const processes = [...new Map(nodes.map((n) => [n.child, n])).values()]; // one agency per process
    await Promise.all(processes.map((n) => n.request({ type: 'stop' }, 'stopped')));
    await Promise.all(nodes.map((n) => n.exited));
    nodes = [];

    const rawPackage = await rawFloor('quorum', randomBytes(packageBytes), 2000);
    console.log(`raw amqplib publish+consume, confirms, quorum, ${(packageBytes / 1024).toFixed(0)} KB (the package size): ${rawPackage.toFixed(0)} msg/s`);
    const rawCommit = await rawCommitFloor(admin);
    console.log(`raw PostgreSQL single-row commits (knex, 5 KB row)  : ${rawCommit.toFixed(0)} commits/s`);
    const rawRsa = rawRsaFloors();
    console.log(`raw RSA-2048 (node:crypto, one core)                : ${rawRsa.sign.toFixed(0)} signs/s, ${rawRsa.verify.toFixed(0)} verifications/s`);
    if (process.env.BENCH_MACHINERY === '1') Object.assign(extra, await machinery(admin, stores));
    console.log(`load average at the end: ${await loadAverage()}`);
    console.log(JSON.stringify({
      bench: 'exchange', documents: saturated.latenciesMs.length, docsPerSecond: Number(saturated.perSecond.toFixed(1)),
      p50Ms: ms(p50), p95Ms: ms(p95), p99Ms: ms(p99), halfLoadPerSecond: rate,
      peakRssMb: round(Math.max(...stats.map((s) => s.peakRssMb))), peakRssMbPerNode: Object.fromEntries(stats.map((s) => [s.organId, round(s.peakRssMb)])),
      peakRssMbBenchProcess: round(process.resourceUsage().maxRSS / 1024),
      rawPublishConsumePerSecond: round(rawPackage), packageBytes,
      rawCommitPerSecond: round(rawCommit), rawRsaSignPerSecond: round(rawRsa.sign), rawRsaVerifyPerSecond: round(rawRsa.verify),
      cpuMsPerDocument: { nodes: ms(cpuMs('nodes')), postgres: ms(cpuMs('postgres')), rabbitmq: ms(cpuMs('rabbitmq')) }, minorFaultsPerDocument: { nodes: round(faultsPerDocument('nodes')), postgres: round(faultsPerDocument('postgres')) }, contextSwitchesPerDocument: { nodes: round(switchesPerDocument('nodes')), postgres: round(switchesPerDocument('postgres')), rabbitmq: round(switchesPerDocument('rabbitmq')) }, agencies: agencyCount, nodeProcesses: processCount, postgresOver: pgSocketDir ? 'unix socket' : 'tcp', nodeFlags: (process.env.BENCH_NODE_ARGS ?? NODE_START_FLAGS).trim(), failed: saturated.failed + half.failed, ...extra,
    }));
  } finally {
    for (const n of nodes) n.child.kill('SIGTERM');
    await Promise.all(nodes.map((n) => n.exited));
    await deleteTopology(runPrefix, RING.slice(0, agencyCount)).catch((e: unknown) => console.error('broker clean-up failed', e));
    for (const name of databases) await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((e: unknown) => console.error('database clean-up failed', e));
    await admin.destroy();
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
