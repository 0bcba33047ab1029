// (Registered by rabbitmq.test.ts.) AmqpAxisTransport against real RabbitMQ: the shared behaviour, plus what only a broker can show —
// the topology assertion, persistent quorum inboxes, and reconnection after the connection is cut.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { expect } from 'chai';
import { AmqpAxisTransport, type AmqpAxisTransportOptions, type AxisConnectionEvent } from '../../../src/axis/amqp-axis-transport.ts';
import type { AxisProblem } from '../../../src/axis/delivery-assembly.ts';
import { FileChunkStore } from '../../../src/axis/file-chunk-store.ts';
import { TempFilePayloadSink } from '../../../src/axis/temp-file-payload-sink.ts';
import { axisTopology } from '../../../src/axis/topology.ts';
import { isDomainError } from '../../../src/domain/errors.ts';
import {
  AGENCY_A, AGENCY_B, axisMessage, DEFAULT_SETTINGS, transportBehaviour, type TransportSettings, type TransportUnderTest,
} from '../../unit/axis/support/transport-behaviour.ts';
import { eventually } from '../../unit/axis/support/wait.ts';
import { testPrefix, type TestVhost } from './support/broker.ts';

interface AmqpUnderTest extends TransportUnderTest {
  readonly transport: AmqpAxisTransport;
  readonly events: AxisConnectionEvent[];
  readonly prefix: string;
}

export function amqpTransportCases(vhost: () => TestVhost): void {
  describe('AmqpAxisTransport (real RabbitMQ)', function () {
    const opened: AmqpUnderTest[] = [];

    afterEach(async () => {
      for (const under of opened.splice(0)) await under.close();
    });

    async function amqpTransport(settings: TransportSettings, overrides: Partial<AmqpAxisTransportOptions> = {}, prefix = testPrefix()): Promise<AmqpUnderTest> {
      const root = await mkdtemp(join(tmpdir(), 'edoc-axis-'));
      const problems: AxisProblem[] = [];
      const events: AxisConnectionEvent[] = [];
      const payloadDir = join(root, 'payloads');
      const transport = new AmqpAxisTransport({
        url: vhost().url,
        topology: { prefix, deliveryLimit: settings.deliveryLimit },
        hostedOrganIds: [AGENCY_A, AGENCY_B],
        prefetch: settings.prefetch,
        chunkSizeBytes: settings.chunkSizeBytes,
        chunkStore: new FileChunkStore(join(root, 'chunks')),
        payloadSink: new TempFilePayloadSink(payloadDir),
        connectionName: `edoc-node-test-${prefix}`,
        reconnect: { initialDelayMs: 300, maxDelayMs: 1000 },
        publishTimeoutMs: 10_000,
        onProblem: (p) => problems.push(p),
        onConnectionEvent: (e) => events.push(e),
        ...overrides,
      });
      const under: AmqpUnderTest = {
        transport, problems, payloadDir, events, prefix,
        close: async () => {
          await transport.close();
          await rm(root, { recursive: true, force: true });
        },
      };
      opened.push(under);
      await transport.start();
      return under;
    }

    transportBehaviour('AmqpAxisTransport', (settings) => amqpTransport(settings));

    describe('topology', () => {
      it('declares durable quorum inboxes with the delivery limit and dead-letter exchange, and persistent messages', async () => {
        const { transport } = await amqpTransport(DEFAULT_SETTINGS);
        const topology = transport.topology;
        const connection = await amqp.connect(vhost().url);
        try {
          const channel = await connection.createChannel();
          channel.on('error', () => undefined); // the refused declaration below closes the channel
          // Re-declaring with the same arguments succeeds: the queue is exactly what topology.ts says.
          await channel.assertQueue(topology.inboxQueue(AGENCY_B), { durable: true, arguments: topology.inboxArguments() });
          await transport.publish(axisMessage(AGENCY_B, 'persistent?'));
          const message = await channel.get(topology.inboxQueue(AGENCY_B), { noAck: true });
          expect(message && message.properties.deliveryMode).to.equal(2);
          expect(message && message.properties.headers).to.include({ from: AGENCY_A, to: AGENCY_B, messagetype: 'edoc', servicetype: 'eDoc' });
          // A classic declaration of the same name is refused by the broker: it is a quorum queue.
          const refused = await channel.assertQueue(topology.inboxQueue(AGENCY_B), { durable: true }).then(() => 'accepted', (e: Error) => e.message);
          expect(refused).to.match(/PRECONDITION_FAILED/);
        } finally {
          await connection.close().catch(() => undefined);
        }
      });

      it('lists a dead letter that lacks its axis headers, and never re-drives it (it has no recipient)', async () => {
        const { transport } = await amqpTransport(DEFAULT_SETTINGS);
        await transport.consume(AGENCY_B, async () => 'ack');
        const connection = await amqp.connect(vhost().url);
        try {
          const channel = await connection.createConfirmChannel();
          // Straight into the inbox without from/to/messagetype: dead-lettered at once (axis.invalid_headers).
          channel.sendToQueue(transport.topology.inboxQueue(AGENCY_B), Buffer.from('no headers'), { persistent: true, messageId: 'headerless-1' });
          await channel.waitForConfirms();
        } finally {
          await connection.close().catch(() => undefined);
        }
        let letters: Awaited<ReturnType<typeof transport.listDeadLetters>> = [];
        await eventually(async () => (letters = await transport.listDeadLetters(10)).length === 1, 'the headerless message dead-lettered');
        expect(letters[0]).to.deep.include({ headers: { messageId: 'headerless-1' }, reason: 'rejected', size: 10 });
        expect(await transport.redriveDeadLetters(() => true, 10)).to.deep.equal([]);
        expect((await transport.listDeadLetters(10)).map((l) => l.headers.messageId)).to.deep.equal(['headerless-1']);
      });

      it('declares the inbox of a recipient hosted elsewhere on the first publishes to it, once, and keeps them', async () => {
        const { transport } = await amqpTransport(DEFAULT_SETTINGS);
        const elsewhere = '000.21.32.H53';
        const messages = Array.from({ length: 30 }, (_, i) => axisMessage(elsewhere, `to a commune ${i}`));
        await Promise.all(messages.map((m) => transport.publish(m))); // all start before the inbox exists
        const received = new Set<string>();
        await transport.consume(elsewhere, async (d) => {
          received.add(d.headers.messageId);
          return 'ack';
        });
        await eventually(() => received.size === 30, 'thirty packages');
        expect([...received].sort()).to.deep.equal(messages.map((m) => m.headers.messageId).sort());
      });

      it('puts no broker message above the chunk size: a large package is count chunk messages with their manifest', async () => {
        const chunkSizeBytes = 64 * 1024;
        const { transport } = await amqpTransport({ ...DEFAULT_SETTINGS, chunkSizeBytes });
        const big = Buffer.alloc(chunkSizeBytes * 4 + 10, 7);
        const message = axisMessage(AGENCY_B, big);
        await transport.publish(message);
        const connection = await amqp.connect(vhost().url);
        try {
          const channel = await connection.createChannel();
          const seen: Array<[number, number, number]> = [];
          for (let m = await channel.get(transport.topology.inboxQueue(AGENCY_B), { noAck: true }); m; m = await channel.get(transport.topology.inboxQueue(AGENCY_B), { noAck: true })) {
            const h = m.properties.headers as Record<string, number>;
            expect(m.properties.messageId).to.equal(message.headers.messageId);
            seen.push([h['chunk-index']!, h['chunk-count']!, m.content.byteLength]);
          }
          expect(seen).to.deep.equal([[0, 5, chunkSizeBytes], [1, 5, chunkSizeBytes], [2, 5, chunkSizeBytes], [3, 5, chunkSizeBytes], [4, 5, 10]]);
        } finally {
          await connection.close();
        }
      });

      it('refuses to start when an inbox exists with other settings', async () => {
        const prefix = testPrefix();
        const topology = axisTopology({ prefix, deliveryLimit: DEFAULT_SETTINGS.deliveryLimit });
        const connection = await amqp.connect(vhost().url);
        try {
          const channel = await connection.createChannel();
          await channel.assertQueue(topology.inboxQueue(AGENCY_A), { durable: true }); // classic, no limit
          const error = await amqpTransport(DEFAULT_SETTINGS, {}, prefix).then(() => undefined, (e: unknown) => e);
          expect(isDomainError(error, 'axis.topology_mismatch')).to.equal(true);
          expect(isDomainError(error) && error.details[0]?.field).to.equal(`queue ${topology.inboxQueue(AGENCY_A)}`);
          await channel.deleteQueue(topology.inboxQueue(AGENCY_A));
        } finally {
          await connection.close().catch(() => undefined);
        }
      });

      it('fails to start (does not hang) when the broker cannot be reached', async () => {
        const error = await amqpTransport(DEFAULT_SETTINGS, { url: 'amqp://guest:guest@127.0.0.1:1' }).then(() => undefined, (e: unknown) => e);
        expect(isDomainError(error, 'axis.unavailable')).to.equal(true);
      });
    });

    describe('reconnection', () => {
      it('reconnects after the connection is cut and resumes consuming; publishing meanwhile fails retryably', async () => {
        const { transport, events } = await amqpTransport(DEFAULT_SETTINGS);
        const received: string[] = [];
        await transport.consume(AGENCY_B, async (d) => {
          received.push(Buffer.from(await d.payload.bytes()).toString());
          return 'ack';
        });
        await transport.publish(axisMessage(AGENCY_B, 'before'));
        await eventually(() => received.length === 1, 'the first package');

        await vhost().cutConnections();
        await eventually(() => events.includes('disconnected'), 'the disconnection to be noticed');
        if (!transport.connected) {
          const error = await transport.publish(axisMessage(AGENCY_B, 'during')).then(() => undefined, (e: unknown) => e);
          expect(isDomainError(error, 'axis.unavailable')).to.equal(true);
        }
        await eventually(() => events.filter((e) => e === 'connected').length === 2, 'the reconnection');
        await transport.publish(axisMessage(AGENCY_B, 'after'));
        await eventually(() => received.length === 2, 'the package sent after reconnecting');
        expect(received).to.deep.equal(['before', 'after']);
        expect(transport.connected).to.equal(true);
      });

      it('recovers a consumer whose inbox was deleted under it (lost channel), re-declaring the inbox', async () => {
        const { transport, events } = await amqpTransport(DEFAULT_SETTINGS);
        const received: string[] = [];
        await transport.consume(AGENCY_B, async (d) => {
          received.push(Buffer.from(await d.payload.bytes()).toString());
          return 'ack';
        });
        const connection = await amqp.connect(vhost().url);
        try {
          const channel = await connection.createChannel();
          await channel.deleteQueue(transport.topology.inboxQueue(AGENCY_B)); // the broker cancels our consumer
        } finally {
          await connection.close();
        }
        await eventually(() => events.filter((e) => e === 'connected').length === 2, 'the recovery');
        await transport.publish(axisMessage(AGENCY_B, 'after recovery'));
        await eventually(() => received.length === 1, 'the package on the re-declared inbox');
        expect(received).to.deep.equal(['after recovery']);
      });

      it('settles every publish in flight during a cut: confirmed ones are delivered, the rest fail with a retryable error', async () => {
        const { transport, events } = await amqpTransport(DEFAULT_SETTINGS);
        const delivered = new Set<string>();
        await transport.consume(AGENCY_B, async (d) => {
          delivered.add(d.headers.messageId);
          return 'ack';
        });
        const confirmed: string[] = [];
        const failures: unknown[] = [];
        let publishing = true;
        const publisher = async (): Promise<void> => {
          while (publishing) {
            const message = axisMessage(AGENCY_B, 'x'.repeat(5 * 1024));
            try {
              await transport.publish(message);
              confirmed.push(message.headers.messageId);
            } catch (error) {
              failures.push(error);
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        };
        const publishers = Array.from({ length: 8 }, publisher);
        await eventually(() => confirmed.length >= 200, 'publishing under way');
        await vhost().cutConnections();
        await eventually(() => events.filter((e) => e === 'connected').length === 2, 'the reconnection');
        const afterReconnect = confirmed.length;
        await eventually(() => confirmed.length > afterReconnect + 50, 'publishing resumed');
        publishing = false;
        await Promise.all(publishers);

        expect(failures.length).to.be.greaterThan(0);
        for (const failure of failures) {
          expect(isDomainError(failure) && ['axis.unavailable', 'axis.publish_refused'].includes(failure.code), String(failure)).to.equal(true);
        }
        await eventually(() => confirmed.every((id) => delivered.has(id)), 'every confirmed package delivered');
      });
    });
  });
}
