// Exactly-once effect across two nodes (each its own PostgreSQL database, one RabbitMQ broker): the sender's
// outbox relay and the receiver's inbox consumer, with the broker connection cut in the middle of a batch
// of 500 packages and relay "crashes" between the confirm and markSent. Afterwards every package is
// registered exactly once at the receiver and every outbox entry is sent (issue 5, fault injection).
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { AmqpAxisTransport, type AxisConnectionEvent } from '../../../src/axis/amqp-axis-transport.ts';
import { FileChunkStore } from '../../../src/axis/file-chunk-store.ts';
import { InboxConsumer, type InboxResult } from '../../../src/axis/inbox-consumer.ts';
import { OutboxRelay, type OutboxRelayEvent } from '../../../src/axis/outbox-relay.ts';
import { TempFilePayloadSink } from '../../../src/axis/temp-file-payload-sink.ts';
import { KnexInboxStore, KnexTransactionUnitOfWork } from '../../../src/db/knex-inbox-store.ts';
import { KnexOutboxStore } from '../../../src/db/knex-outbox-store.ts';
import { openDatabase } from '../../../src/db/connection.ts';
import { isDomainError } from '../../../src/domain/errors.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { AGENCY_A, AGENCY_B } from '../../unit/axis/support/transport-behaviour.ts';
import { eventually } from '../../unit/axis/support/wait.ts';
import { testPrefix, type TestVhost } from './support/broker.ts';
import { CuttableProxy } from './support/cuttable-proxy.ts';

const DOCUMENTS = 500;

export function exactlyOnceCases(vhost: () => TestVhost): void {
  describe('exactly-once effect over real RabbitMQ and PostgreSQL', function () {
    this.timeout(120_000);
    let senderDb: TestDatabase;
    let receiverDb: TestDatabase;
    let root: string;
    const cleanups: Array<() => Promise<unknown>> = [];

    before(async () => {
      senderDb = await createTestDatabase('postgres');
      receiverDb = await createTestDatabase('postgres');
      await receiverDb.database.knex.schema.createTable('axis_test_registrations', (t) => {
        t.text('message_id').notNullable();
        t.integer('incoming_number').notNullable();
      });
      root = await mkdtemp(join(tmpdir(), 'edoc-axis-e1-'));
    });
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      await senderDb?.drop();
      await receiverDb?.drop();
      await rm(root, { recursive: true, force: true });
    });

    const transportFor = (node: string, prefix: string, hosted: string[], events: AxisConnectionEvent[], deliveryLimit = 20): AmqpAxisTransport => {
      const transport = new AmqpAxisTransport({
        url: vhost().url, topology: { prefix, deliveryLimit }, hostedOrganIds: hosted, prefetch: 32, chunkSizeBytes: 1024 * 1024,
        chunkStore: new FileChunkStore(join(root, node, 'chunks')), payloadSink: new TempFilePayloadSink(join(root, node, 'payloads')),
        connectionName: `edoc-node-test-${node}`, reconnect: { initialDelayMs: 200, maxDelayMs: 1000 }, publishTimeoutMs: 5_000,
        onConnectionEvent: (e) => events.push(e),
      });
      cleanups.push(() => transport.close());
      return transport;
    };

    it(`registers ${DOCUMENTS} packages exactly once despite a connection cut mid-batch and relay crashes before markSent`, async () => {
      const prefix = testPrefix();
      const senderEvents: AxisConnectionEvent[] = [];
      const receiverEvents: AxisConnectionEvent[] = [];
      const senderTransport = transportFor('sender', prefix, [AGENCY_A], senderEvents);
      const receiverTransport = transportFor('receiver', prefix, [AGENCY_B], receiverEvents);
      await senderTransport.start();
      await receiverTransport.start();

      // Receiver: registration with a gapless incoming number, in the inbox transaction.
      const rk = receiverDb.database.knex;
      const duplicates: InboxResult[] = [];
      const consumer = new InboxConsumer<Knex.Transaction>({
        transport: receiverTransport, unitOfWork: new KnexTransactionUnitOfWork(rk), inbox: new KnexInboxStore(),
        handler: async (trx, delivery) => {
          await trx.raw('LOCK TABLE axis_test_registrations IN EXCLUSIVE MODE'); // numbering takes a lock, like a register row
          const counted = (await trx('axis_test_registrations').count({ n: '*' })) as Array<{ n: number | string }>;
          const incomingNumber = Number(counted[0]!.n) + 1;
          await trx('axis_test_registrations').insert({ message_id: delivery.headers.messageId, incoming_number: incomingNumber });
          return { status: '01', incomingNumber };
        },
        afterCommit: async (_d, result) => {
          if (result.duplicate) duplicates.push(result);
        },
      });
      await consumer.start([AGENCY_B]);
      cleanups.push(() => consumer.stop());

      // Sender: the issuing transactions write the outbox; one entry in 25 "crashes" after its confirm.
      const sk = senderDb.database.knex;
      const outbox = new KnexOutboxStore(sk);
      for (let start = 0; start < DOCUMENTS; start += 100) {
        await sk.transaction(async (trx) => {
          for (let i = start; i < start + 100; i++) {
            const body = Buffer.from(`<edXML>document ${i}</edXML>`.padEnd(5 * 1024, ' '));
            await outbox.enqueue(trx, {
              id: randomUUID(), documentId: null, package: body,
              headers: { from: AGENCY_A, to: AGENCY_B, messageType: 'edoc', serviceType: 'eDoc', messageId: `doc-${i}-${randomUUID()}`, packageDigest: createHash('sha256').update(body).digest('hex') },
            });
          }
        });
      }
      // Every third markSent, four times, "crashes": the pass's entries were confirmed but not marked.
      const crashed: string[] = [];
      let markSentCalls = 0;
      const crashingStore = Object.create(outbox) as KnexOutboxStore;
      crashingStore.markSent = async (ids: readonly string[], at: Date) => {
        markSentCalls += 1;
        if (markSentCalls % 3 === 0 && markSentCalls <= 12) {
          crashed.push(...ids);
          throw new Error('relay process killed after the confirms, before markSent');
        }
        return outbox.markSent(ids, at);
      };
      // After a quarter of the batch is confirmed, slow publishing down until the cut is done, so the cut
      // lands in the middle of the batch with publishes in flight whatever the speed of the machine.
      let confirmed = 0;
      let cutDone = false;
      let startCut: () => void = () => undefined;
      const cutWanted = new Promise<void>((resolve) => { startCut = resolve; });
      const pacedTransport = Object.create(senderTransport) as AmqpAxisTransport;
      pacedTransport.publish = async (message) => {
        if (confirmed >= DOCUMENTS / 4 && !cutDone) await new Promise((r) => setTimeout(r, 50));
        await senderTransport.publish(message);
        if (++confirmed === DOCUMENTS / 4) startCut();
      };
      const relayEvents: OutboxRelayEvent[] = [];
      const relay = new OutboxRelay({
        store: crashingStore, transport: pacedTransport, retryScheduleMs: [100, 200, 400, 800, 1600, 3200, 3200, 3200, 3200, 3200],
        batchSize: 50, concurrency: 8, leaseMs: 2_000, pollIntervalMs: 100, onEvent: (e) => relayEvents.push(e),
      });
      relay.start();
      cleanups.push(() => relay.stop());

      const registered = async (): Promise<number> => Number(((await rk('axis_test_registrations').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
      await cutWanted;
      await vhost().cutConnections(); // both nodes lose the broker mid-batch
      cutDone = true;
      const registeredAtCut = await registered();
      await eventually(() => senderEvents.filter((e) => e === 'connected').length >= 2 && receiverEvents.filter((e) => e === 'connected').length >= 2, 'both nodes reconnected', 30_000);
      await eventually(async () => Number(((await sk('axis_outbox').where({ state: 'sent' }).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n) === DOCUMENTS, 'every outbox entry sent', 90_000);
      await eventually(async () => (await registered()) === DOCUMENTS, 'every package registered', 60_000);
      await relay.stop();

      const rows = (await rk('axis_test_registrations').select('message_id', 'incoming_number')) as Array<{ message_id: string; incoming_number: number }>;
      expect(new Set(rows.map((r) => r.message_id)).size).to.equal(DOCUMENTS); // none twice
      expect(rows.map((r) => r.incoming_number).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: DOCUMENTS }, (_, i) => i + 1)); // gapless
      const sentIds = (await sk('axis_outbox').select('message_id')) as Array<{ message_id: string }>;
      expect(rows.map((r) => r.message_id).sort()).to.deep.equal(sentIds.map((r) => r.message_id).sort());
      expect(await sk('axis_outbox').whereNot({ state: 'sent' }).count({ n: '*' })).to.deep.equal([{ n: 0 }]);
      if (process.env.AXIS_TEST_VERBOSE) console.log({ registeredAtCut, retries: relayEvents.filter((e) => e.kind === 'retry').length, crashed: crashed.length, duplicates: duplicates.length });
      expect(registeredAtCut).to.be.lessThan(DOCUMENTS); // the cut did land mid-batch
      expect(relayEvents.filter((e) => e.kind === 'retry').length).to.be.greaterThan(0); // publishes hit by the cut were retried
      expect(crashed.length).to.be.greaterThan(0);
      // The entries whose markSent "crashed" were published again after their lease: the inbox deduped them.
      // (Each crash leaves one more copy on the broker: wait until the receiver has seen them all.)
      await eventually(() => duplicates.length >= crashed.length, 'the re-sent copies to be deduped', 30_000);
      expect(await registered()).to.equal(DOCUMENTS);
      expect(duplicates.every((d) => d.outcome.status === '01' && typeof d.outcome.incomingNumber === 'number')).to.equal(true);
      expect(relayEvents.some((e) => e.kind === 'failed')).to.equal(false);
    });

    it('a receiver that dies after its commit and before its ack: the redelivery changes nothing and gets the recorded outcome', async () => {
      const prefix = testPrefix();
      const sender = transportFor('sender-2', prefix, [AGENCY_A], []);
      const firstReceiver = transportFor('receiver-2a', prefix, [AGENCY_B], []);
      await sender.start();
      await firstReceiver.start();
      const rk = receiverDb.database.knex;
      await rk.schema.createTable('axis_test_deaths', (t) => {
        t.text('message_id').notNullable();
      });
      const consumerOn = (transport: AmqpAxisTransport, afterCommit: (result: InboxResult) => Promise<void>): InboxConsumer<Knex.Transaction> => new InboxConsumer<Knex.Transaction>({
        transport, unitOfWork: new KnexTransactionUnitOfWork(rk), inbox: new KnexInboxStore(),
        handler: async (trx, delivery) => {
          await trx('axis_test_deaths').insert({ message_id: delivery.headers.messageId });
          return { status: '01', storedBy: 'first process' };
        },
        afterCommit: (_d, result) => afterCommit(result),
      });
      const firstResults: InboxResult[] = [];
      await consumerOn(firstReceiver, async (result) => {
        firstResults.push(result);
        await firstReceiver.close(); // the process dies: committed, never acked
      }).start([AGENCY_B]);

      const body = Buffer.from('<edXML>dies before ack</edXML>');
      const messageId = randomUUID();
      await sender.publish({
        headers: { from: AGENCY_A, to: AGENCY_B, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(body).digest('hex') },
        payload: { size: body.byteLength, chunks: async function* () { yield body; }, bytes: async () => body },
      });
      await eventually(() => firstResults.length === 1, 'the first process to commit');

      const secondReceiver = transportFor('receiver-2b', prefix, [AGENCY_B], []);
      await secondReceiver.start();
      const secondResults: InboxResult[] = [];
      const second = consumerOn(secondReceiver, async (result) => {
        secondResults.push(result);
      });
      await second.start([AGENCY_B]);
      cleanups.push(() => second.stop());
      await eventually(() => secondResults.length === 1, 'the redelivery to the restarted process');

      expect(firstResults).to.deep.equal([{ duplicate: false, outcome: { status: '01', storedBy: 'first process' } }]);
      expect(secondResults).to.deep.equal([{ duplicate: true, outcome: { status: '01', storedBy: 'first process' } }]);
      expect(await rk('axis_test_deaths').where({ message_id: messageId }).count({ n: '*' })).to.deep.equal([{ n: 1 }]);
    });

    it('waits out the receiver\'s PostgreSQL being unavailable for seconds mid-batch: nothing dead-lettered, each registered once', async () => {
      const prefix = testPrefix();
      // A low delivery limit (same on both nodes, or the topology assertion refuses): an outage must not burn it.
      const sender = transportFor('sender-3', prefix, [AGENCY_A], [], 2);
      const receiver = transportFor('receiver-3', prefix, [AGENCY_B], [], 2);
      await sender.start();
      await receiver.start();
      const target = new URL(receiverDb.url!);
      const proxy = await CuttableProxy.start(target.hostname, Number(target.port || 5432));
      cleanups.push(() => proxy.close());
      const viaProxy = new URL(receiverDb.url!);
      viaProxy.port = String(proxy.port);
      const db = await openDatabase({ url: viaProxy.toString(), dataDir: '', poolMax: 8, acquireTimeoutMs: 1_000 });
      cleanups.push(() => db.close());
      const poolWarnings: string[] = []; // knex logs each failed acquire during the outage: keep them out of the test output
      (db.knex.client as { logger: { warn: (message: string) => void } }).logger.warn = (message) => poolWarnings.push(message);
      await db.knex.schema.createTable('axis_test_outage', (t) => {
        t.text('message_id').notNullable();
      });
      const unavailable: unknown[] = [];
      const consumer = new InboxConsumer<Knex.Transaction>({
        transport: receiver, unitOfWork: new KnexTransactionUnitOfWork(db.knex), inbox: new KnexInboxStore(),
        handler: async (trx, delivery) => {
          await trx('axis_test_outage').insert({ message_id: delivery.headers.messageId });
          return { status: '01' };
        },
        onError: (error) => unavailable.push(error),
      });
      await consumer.start([AGENCY_B]);
      cleanups.push(() => consumer.stop());

      const count = async (): Promise<number> => Number(((await receiverDb.database.knex('axis_test_outage').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
      const ids: string[] = [];
      const publishSome = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) {
          const body = Buffer.from(`<edXML>outage ${ids.length}</edXML>`);
          const messageId = randomUUID();
          ids.push(messageId);
          await sender.publish({
            headers: { from: AGENCY_A, to: AGENCY_B, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(body).digest('hex') },
            payload: { size: body.byteLength, chunks: async function* () { yield body; }, bytes: async () => body },
          });
        }
      };
      await publishSome(50);
      await eventually(async () => (await count()) === 50, 'the first fifty registered');
      proxy.cut(); // PostgreSQL unreachable for the receiver
      await publishSome(100);
      await eventually(() => unavailable.length >= 3, 'the receiver to hit the outage');
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      proxy.restore();
      await eventually(async () => (await count()) === 150, 'every package registered after the outage', 60_000);

      const rows = (await receiverDb.database.knex('axis_test_outage').select('message_id')) as Array<{ message_id: string }>;
      expect(rows.map((r) => r.message_id).sort()).to.deep.equal(ids.slice().sort());
      expect(await receiver.takeDeadLetters(10)).to.deep.equal([]);
      const others = unavailable.filter((e) => !isDomainError(e, 'db.unavailable'));
      expect(others.map((e) => (e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e))), 'errors other than db.unavailable').to.deep.equal([]);
    });
  });
}
