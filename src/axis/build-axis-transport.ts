// Builds the axis transport and the outbox relay from the validated `axis` configuration, for the
// composition root (src/app.ts): RabbitMQ when `axis.url` (AXIS_URL) is set, else the in-process axis.
// Large-package chunks and reassembled packages live under `<dataDir>/axis/`.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { AxisDeadLetterQueue, AxisTransport } from '../domain/axis-transport.ts';
import type { OutboxStore } from '../domain/outbox.ts';
import { AmqpAxisTransport, type AxisConnectionEvent } from './amqp-axis-transport.ts';
import type { AxisProblemListener } from './delivery-assembly.ts';
import { FileChunkStore } from './file-chunk-store.ts';
import { InProcessAxisTransport } from './in-process-axis-transport.ts';
import { OutboxRelay, type OutboxRelayEvent } from './outbox-relay.ts';
import { TempFilePayloadSink } from './temp-file-payload-sink.ts';

export type AxisConfig = Config['axis'];

export interface BuiltAxisTransport extends AxisTransport, AxisDeadLetterQueue {
  /** For the health endpoint: false while the RabbitMQ transport is reconnecting. */
  readonly connected: boolean;
  expireIncompleteChunks(now: Date, maxAgeMs: number): Promise<unknown[]>;
}

export interface AxisTransportWiring {
  readonly dataDir: string;
  readonly hostedOrganIds: readonly string[];
  readonly onProblem?: AxisProblemListener;
  readonly onConnectionEvent?: (event: AxisConnectionEvent, error?: unknown) => void;
}

export function buildAxisTransport(config: AxisConfig, wiring: AxisTransportWiring): BuiltAxisTransport {
  const dir = join(resolve(wiring.dataDir), 'axis');
  const common = {
    prefetch: config.prefetch,
    chunkSizeBytes: config.chunkSizeBytes,
    chunkStore: new FileChunkStore(join(dir, 'chunks')),
    payloadSink: new TempFilePayloadSink(join(dir, 'incoming')),
    chunkTimeoutMs: config.chunkTimeoutMs,
    ...(wiring.onProblem ? { onProblem: wiring.onProblem } : {}),
  };
  if (!config.url) return new InProcessAxisTransport({ ...common, deliveryLimit: config.deliveryLimit });
  return new AmqpAxisTransport({
    ...common,
    url: config.url,
    topology: { prefix: config.prefix, deliveryLimit: config.deliveryLimit },
    hostedOrganIds: wiring.hostedOrganIds,
    connectionName: `edoc-node ${hostname()} pid ${process.pid}`,
    reconnect: config.reconnect,
    publishTimeoutMs: config.publishTimeoutMs,
    ...(wiring.onConnectionEvent ? { onConnectionEvent: wiring.onConnectionEvent } : {}),
  });
}

export function buildOutboxRelay(config: AxisConfig, store: OutboxStore, transport: AxisTransport, onEvent?: (event: OutboxRelayEvent) => void): OutboxRelay {
  return new OutboxRelay({
    store, transport,
    retryScheduleMs: config.relay.retryScheduleMs,
    batchSize: config.relay.batchSize,
    concurrency: config.relay.concurrency,
    // The lease must outlast a publish that waits for its confirm time-out.
    leaseMs: Math.max(config.relay.leaseMs, config.publishTimeoutMs * 2),
    pollIntervalMs: config.relay.pollIntervalMs,
    lingerMs: config.relay.lingerMs,
    ...(onEvent ? { onEvent } : {}),
  });
}
