// npm run bench:exchange — skeleton of the exchange benchmark (issue 5): for now the raw floors of this
// machine and of our transport on the real broker; the end-to-end figures (issue → registered → 03 back)
// come with the exchange services and are printed as null until then.
//   1. raw amqplib: 5 KB persistent messages, publisher confirms (window of 256), manual acks batched by 64,
//      publish+consume through a classic and a quorum queue;
//   2. AmqpAxisTransport: the same 5 KB packages, 64 publishes in flight, prefetch 32 (the default), ack per delivery;
//   3. InProcessAxisTransport, for comparison;
//   4. one 50 MB package through AmqpAxisTransport in 1 MB chunks: time and peak RSS of the process
//      (sender and receiver in this one process; the receiver holds at most prefetch × chunk size).
//   5. the exchange machinery without signatures: a sender node (its own PostgreSQL database) issues
//      documents (one outbox row per single-row commit), the relay publishes them, a receiver node (its
//      own database) records each in its inbox with a registration row; documents per second at
//      saturation, then latency (issue commit → receipt commit) p50/p95/p99 at half that rate;
//   6. raw floors: single-row commits in PostgreSQL (5 KB row), RSA-2048 signatures (node:crypto).
// Environment: AXIS_URL (default amqp://guest:guest@127.0.0.1:5672), BENCH_MESSAGES (default 5000),
// BENCH_DOCUMENTS (default 2000), TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
// Everything is declared under a fresh name prefix and deleted at the end.
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
const documents = Number(process.env.BENCH_DOCUMENTS ?? 2000);
const postgresAdminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = `bench${randomBytes(3).toString('hex')}.`;
const SENDER = '000.00.01.H53';
const RECIPIENT = '000.00.02.H53';
const body5k = randomBytes(5 * 1024);
const digest5k = createHash('sha256').update(body5k).digest('hex');

async function rawFloor(queueType: 'classic' | 'quorum'): Promise<number> {
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
      if (consumed % 64 === 0 || consumed === messages) consumer.ack(m, true);
      if (consumed === messages) finish();
    });
    const window = 256;
    let inFlight: Promise<void>[] = [];
    for (let i = 0; i < messages; i++) {
      inFlight.push(new Promise((resolve, reject) => {
        publisher.sendToQueue(queue, body5k, { persistent: true }, (err) => (err ? reject(err) : resolve()));
      }));
      if (inFlight.length >= window) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    await allConsumed;
    const rate = messages / ((performance.now() - started) / 1000);
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
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
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

type Stores = (name: string) => { chunkStore: FileChunkStore; payloadSink: TempFilePayloadSink };

interface BenchDatabase { readonly database: Database; drop(): Promise<void> }

async function benchDatabase(admin: Knex, tag: string): Promise<BenchDatabase> {
  const name = `edoc_bench_${tag}_${randomBytes(3).toString('hex')}`;
  await admin.raw(`CREATE DATABASE ${name}`);
  const u = new URL(postgresAdminUrl);
  u.pathname = `/${name}`;
  const database = await openDatabase({ url: u.toString(), dataDir: '', poolMax: 20 });
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

function rawRsaSignFloor(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = randomBytes(32);
  const until = performance.now() + 1000;
  let n = 0;
  while (performance.now() < until) {
    sign('sha256', data, privateKey);
    n += 1;
  }
  return n;
}

async function cleanUp(transport: AmqpAxisTransport): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  const t = transport.topology;
  for (const q of [t.inboxQueue(SENDER), t.inboxQueue(RECIPIENT), t.deadLetterQueue]) await channel.deleteQueue(q);
  for (const x of [t.exchange, t.deadLetterExchange]) await channel.deleteExchange(x);
  await connection.close();
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'edoc-bench-exchange-'));
  const stores: Stores = (name) => ({ chunkStore: new FileChunkStore(join(root, name, 'chunks')), payloadSink: new TempFilePayloadSink(join(root, name, 'in')) });
  console.log(`bench:exchange — ${messages} messages of 5 KB, broker ${new URL(url).host}, prefix ${prefix}`);
  const rawClassic = await rawFloor('classic');
  console.log(`raw amqplib publish+consume, confirms, classic queue : ${rawClassic.toFixed(0)} msg/s`);
  const rawQuorum = await rawFloor('quorum');
  console.log(`raw amqplib publish+consume, confirms, quorum queue  : ${rawQuorum.toFixed(0)} msg/s`);

  const amqpTransport = new AmqpAxisTransport({
    url, topology: { prefix, deliveryLimit: 5 }, hostedOrganIds: [SENDER, RECIPIENT], prefetch: 32, chunkSizeBytes: 1024 * 1024,
    connectionName: `edoc-node bench ${prefix}`, ...stores('amqp'),
  });
  await amqpTransport.start();
  let transport = 0;
  let large = { seconds: 0, peakRssMb: 0, baselineRssMb: 0 };
  try {
    transport = await transportRate(amqpTransport);
    console.log(`AmqpAxisTransport publish+consume (quorum inbox)    : ${transport.toFixed(0)} msg/s (${(transport / rawQuorum * 100).toFixed(0)} % of the raw quorum floor)`);
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
  console.log(`InProcessAxisTransport publish+consume              : ${inProcessRate.toFixed(0)} msg/s`);

  const admin = knexFactory({ client: 'pg', connection: postgresAdminUrl, pool: { min: 0, max: 1 } });
  let saturated = { perSecond: 0, p50: NaN, p95: NaN, p99: NaN };
  let halfLoad = { perSecond: 0, p50: NaN, p95: NaN, p99: NaN };
  let rawCommit = 0;
  try {
    saturated = await outboxToInbox(admin, documents, 8, undefined, stores);
    console.log(`outbox → RabbitMQ → inbox, PostgreSQL both sides    : ${saturated.perSecond.toFixed(0)} documents/s at saturation (${documents} documents, 5 KB, no signatures)`);
    const rate = Math.max(1, Math.floor(saturated.perSecond / 2));
    halfLoad = await outboxToInbox(admin, Math.min(documents, rate * 5), 8, rate, stores);
    console.log(`  latency at half load (${rate}/s), issue → receipt      : p50 ${halfLoad.p50.toFixed(1)} ms, p95 ${halfLoad.p95.toFixed(1)} ms, p99 ${halfLoad.p99.toFixed(1)} ms`);
    rawCommit = await rawCommitFloor(admin);
    console.log(`raw PostgreSQL single-row commits (knex, 5 KB row)  : ${rawCommit.toFixed(0)} commits/s`);
  } finally {
    await admin.destroy();
  }
  const rawRsa = rawRsaSignFloor();
  console.log(`raw RSA-2048 signatures (node:crypto, one core)     : ${rawRsa.toFixed(0)} signs/s`);
  await rm(root, { recursive: true, force: true });

  const round = (n: number): number => Math.round(n);
  const ms = (n: number): number => Number(n.toFixed(1));
  console.log(JSON.stringify({
    bench: 'exchange', documents: null, docsPerSecond: null, p50Ms: null, p95Ms: null, p99Ms: null,
    peakRssMb: round(large.peakRssMb), rawPublishConsumePerSecond: round(rawQuorum), rawPublishConsumeClassicPerSecond: round(rawClassic),
    transportPublishConsumePerSecond: round(transport), inProcessPublishConsumePerSecond: round(inProcessRate),
    largePackageMb: 50, largePackageSeconds: Number(large.seconds.toFixed(2)),
    axisMachineryDocuments: documents, axisMachineryDocsPerSecond: round(saturated.perSecond),
    axisMachineryHalfLoadP50Ms: ms(halfLoad.p50), axisMachineryHalfLoadP95Ms: ms(halfLoad.p95), axisMachineryHalfLoadP99Ms: ms(halfLoad.p99),
    rawCommitPerSecond: round(rawCommit), rawRsaSignPerSecond: round(rawRsa),
  }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
