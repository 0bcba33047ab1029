// The node survives a broker restart (issue 5 item 1): `rabbitmqctl stop_app && start_app` drops every
// connection; the transport reconnects by itself, the quorum inbox kept what was published before, and
// consuming resumes. The broker is always started again, even when the test fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AmqpAxisTransport, type AxisConnectionEvent } from '../../../src/axis/amqp-axis-transport.ts';
import { FileChunkStore } from '../../../src/axis/file-chunk-store.ts';
import { TempFilePayloadSink } from '../../../src/axis/temp-file-payload-sink.ts';
import { AGENCY_A, AGENCY_B, axisMessage } from '../../unit/axis/support/transport-behaviour.ts';
import { eventually } from '../../unit/axis/support/wait.ts';
import { rabbitmqctl, testPrefix, type TestVhost } from './support/broker.ts';

export function brokerRestartCases(vhost: () => TestVhost): void {
  describe('AmqpAxisTransport across a broker restart (real RabbitMQ)', function () {
    this.timeout(120_000);
    let root: string;
    let sender: AmqpAxisTransport | undefined;
    let receiver: AmqpAxisTransport | undefined;

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'edoc-axis-restart-'));
    });
    after(async () => {
      await sender?.close();
      await receiver?.close();
      await rm(root, { recursive: true, force: true });
    });

    const transport = (node: string, prefix: string, hosted: string[], events: AxisConnectionEvent[]): AmqpAxisTransport => new AmqpAxisTransport({
      url: vhost().url, topology: { prefix, deliveryLimit: 5 }, hostedOrganIds: hosted, prefetch: 16, chunkSizeBytes: 1024 * 1024,
      chunkStore: new FileChunkStore(join(root, node, 'chunks')), payloadSink: new TempFilePayloadSink(join(root, node, 'payloads')),
      connectionName: `edoc-node-test-${node}`, reconnect: { initialDelayMs: 250, maxDelayMs: 2000 }, publishTimeoutMs: 5_000,
      onConnectionEvent: (e) => events.push(e),
    });

    it('keeps the packages waiting in an inbox through the restart, and resumes publishing and consuming by itself', async () => {
      const prefix = testPrefix();
      const senderEvents: AxisConnectionEvent[] = [];
      const receiverEvents: AxisConnectionEvent[] = [];
      sender = transport('sender', prefix, [AGENCY_A], senderEvents);
      receiver = transport('receiver', prefix, [AGENCY_B], receiverEvents);
      await sender.start();
      await receiver.start();

      // A consumer registered before the restart must resume by itself.
      const received = new Set<string>();
      await receiver.consume(AGENCY_B, async (d) => {
        received.add(d.headers.messageId);
        return 'ack';
      });
      const early = Array.from({ length: 20 }, (_, i) => axisMessage(AGENCY_B, `early ${i}`));
      for (const m of early) await sender.publish(m);
      await eventually(() => early.every((m) => received.has(m.headers.messageId)), 'the early packages');
      // Packages waiting in an inbox nobody consumes yet must survive the restart (durable quorum queue).
      const waiting = Array.from({ length: 50 }, (_, i) => axisMessage(AGENCY_A, `waiting ${i}`, { from: AGENCY_B }));
      for (const m of waiting) await receiver.publish(m);

      try {
        await rabbitmqctl('stop_app');
      } finally {
        await rabbitmqctl('start_app');
      }
      await rabbitmqctl('await_startup');
      await eventually(() => senderEvents.filter((e) => e === 'connected').length === 2 && receiverEvents.filter((e) => e === 'connected').length === 2, 'both transports reconnected', 60_000);

      const late = Array.from({ length: 50 }, (_, i) => axisMessage(AGENCY_B, `late ${i}`));
      for (const m of late) await sender.publish(m);
      await eventually(() => late.every((m) => received.has(m.headers.messageId)), 'the packages sent after the restart, on the resumed consumer', 60_000);

      const survived = new Set<string>();
      await sender.consume(AGENCY_A, async (d) => {
        survived.add(d.headers.messageId);
        return 'ack';
      });
      await eventually(() => survived.size === 50, 'the packages that waited through the restart', 60_000);
      expect([...survived].sort()).to.deep.equal(waiting.map((m) => m.headers.messageId).sort());
      expect(received.size).to.equal(70);
      expect(senderEvents).to.include('disconnected');
      expect(receiverEvents).to.include('disconnected');
    });
  });
}
