// The axis over RabbitMQ (amqplib), used whenever `AXIS_URL` is set. What it guarantees:
// - publish resolves only after the broker's publisher confirm of every wire message (persistent, to a
//   quorum inbox), and rejects with a retryable DomainError (`axis.unavailable`, `axis.publish_refused`)
//   when the connection is down, drops mid-publish, the broker nacks or returns it, or no confirm comes
//   within `publishTimeoutMs`: the outbox relay retries, the receiver's inbox dedupes re-sends;
// - consumers ack only when the handler's verdict is `ack` (after its commit), nack-requeue on `requeue`
//   or a crash of the handler, reject (dead-letter) on `dead-letter`; a prefetch bounds unsettled work;
// - the connection re-establishes itself after a broker restart or a cut connection (exponential
//   backoff), re-declares and re-asserts the topology and resumes every consumer. Deliveries that were
//   in flight when the connection dropped are redelivered by the broker (their late verdict is dropped).
// STACK.md: `noDelay: true` (Nagle makes an awaited confirm take ~45 ms instead of ~1 ms).
import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { AxisChunkStore, AxisPayloadSink, IncompleteAssembly } from '../domain/axis-chunks.ts';
import type {
  AxisDeadLetter, AxisDeadLetterQueue, AxisDeliveryHandler, AxisDeliveryVerdict, AxisOutgoingMessage, AxisSubscription, AxisTransport,
} from '../domain/axis-transport.ts';
import { DomainError, isDomainError } from '../domain/errors.ts';
import { coalesceWrites } from './amqp-write-coalescing.ts';
import { deadLetterOf, UnroutableDeadLetter, walkDeadLetters, type DeadLetterDecision } from './amqp-dead-letters.ts';
import { DeliveryAssembler, type AxisProblemListener } from './delivery-assembly.ts';
import { assertTopology, axisTopology, declareInbox, declareSharedTopology, type AxisTopology, type AxisTopologyOptions } from './topology.ts';
import { fromAmqpHeaders, toAmqpHeaders, toWireMessages, type WireMessage } from './wire-message.ts';

export type AxisConnectionEvent = 'connected' | 'disconnected' | 'reconnect-failed';

export interface AmqpAxisTransportOptions {
  readonly url: string;
  readonly topology: AxisTopologyOptions;
  /** Agencies hosted by this node: their inboxes are declared and asserted at start-up. */
  readonly hostedOrganIds: readonly string[];
  readonly prefetch: number;
  readonly chunkSizeBytes: number;
  readonly chunkStore: AxisChunkStore;
  readonly payloadSink: AxisPayloadSink;
  /** Shown by `rabbitmqctl list_connections name`; lets an operator (or a test) close this connection. */
  readonly connectionName: string;
  readonly reconnect?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  readonly publishTimeoutMs?: number;
  readonly onProblem?: AxisProblemListener;
  /** A large package whose chunks stop arriving for this long is reported and dropped (default: never). */
  readonly chunkTimeoutMs?: number;
  readonly onConnectionEvent?: (event: AxisConnectionEvent, error?: unknown) => void;
}

interface Subscription {
  readonly organId: string;
  readonly handler: AxisDeliveryHandler;
  channel: Channel | undefined;
}

interface Connected {
  readonly model: ChannelModel;
  readonly publisher: ConfirmChannel;
  readonly declaredInboxes: Set<string>;
  readonly declaring: Map<string, Promise<void>>;
  drained: Promise<void> | undefined;
}

export class AmqpAxisTransport implements AxisTransport, AxisDeadLetterQueue {
  readonly topology: AxisTopology;
  private readonly assembler: DeliveryAssembler;
  private stopExpiry: () => void = () => undefined;
  private readonly subscriptions = new Set<Subscription>();
  private readonly inFlight = new Set<(error: unknown) => void>();
  private readonly returned = new Set<string>();
  private current: Connected | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly options: AmqpAxisTransportOptions) {
    this.topology = axisTopology(options.topology);
    this.assembler = new DeliveryAssembler({ chunkStore: options.chunkStore, payloadSink: options.payloadSink, onProblem: (p) => this.problem(p.error, p.headers) });
  }

  get connected(): boolean {
    return this.current !== undefined;
  }

  /** Connects and declares/asserts the topology; fails fast (no retry) so a misconfigured node does not start. */
  async start(): Promise<void> {
    this.stopExpiry();
    if (this.options.chunkTimeoutMs) this.stopExpiry = this.assembler.startExpiry(this.options.chunkTimeoutMs);
    this.closing = false;
    await this.connect();
  }

  async publish(message: AxisOutgoingMessage): Promise<void> {
    for await (const wire of toWireMessages(message, this.options.chunkSizeBytes)) {
      await this.publishWire(wire);
    }
  }

  async consume(organId: string, handler: AxisDeliveryHandler): Promise<AxisSubscription> {
    const subscription: Subscription = { organId, handler, channel: undefined };
    this.subscriptions.add(subscription);
    if (this.current) {
      try {
        await this.openConsumer(this.current, subscription);
      } catch (error) {
        this.subscriptions.delete(subscription);
        throw error;
      }
    }
    return {
      cancel: async () => {
        this.subscriptions.delete(subscription);
        const channel = subscription.channel;
        subscription.channel = undefined;
        await channel?.close().catch(() => undefined); // unsettled deliveries return to the queue
      },
    };
  }

  async close(): Promise<void> {
    this.stopExpiry();
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    const current = this.current;
    this.current = undefined;
    for (const subscription of this.subscriptions) subscription.channel = undefined;
    this.subscriptions.clear();
    this.failInFlight(new DomainError('axis.unavailable', { message: 'the axis transport is closing' }));
    await current?.model.close().catch(() => undefined);
  }

  async deadLetterCount(): Promise<number> {
    const channel = await this.requireConnected().model.createChannel();
    channel.on('error', () => undefined);
    try {
      return (await channel.checkQueue(this.topology.deadLetterQueue)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async listDeadLetters(max: number): Promise<AxisDeadLetter[]> {
    const letters: AxisDeadLetter[] = [];
    await this.withDeadLetters((letter) => { if (letters.length < max) letters.push(letter); return 'keep'; });
    return letters;
  }

  async redriveDeadLetters(select: (letter: AxisDeadLetter) => boolean, max: number): Promise<AxisDeadLetter[]> {
    const redriven: AxisDeadLetter[] = [];
    await this.withDeadLetters((letter) => {
      if (redriven.length >= max || !letter.headers.to || !select(letter)) return 'keep'; // no recipient: nowhere to send it
      redriven.push(letter);
      return 'redrive';
    });
    return redriven;
  }

  /** A pass over the dead-letter queue on a confirm channel of its own (see amqp-dead-letters.ts). */
  private async withDeadLetters(decide: (letter: AxisDeadLetter) => DeadLetterDecision): Promise<void> {
    const current = this.requireConnected();
    const channel = await current.model.createConfirmChannel();
    channel.on('error', () => undefined); // surfaces as the rejected operation below
    try {
      await walkDeadLetters(channel, this.topology, decide);
    } catch (error) {
      if (error instanceof UnroutableDeadLetter) throw new DomainError('axis.publish_refused', { message: error.message });
      throw new DomainError('axis.unavailable', { cause: error, message: `the dead-letter queue could not be walked: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async takeDeadLetters(max: number): Promise<AxisDeadLetter[]> {
    const current = this.requireConnected();
    const channel = await current.model.createChannel();
    try {
      const letters: AxisDeadLetter[] = [];
      while (letters.length < max) {
        const message = await channel.get(this.topology.deadLetterQueue, { noAck: false });
        if (!message) break;
        letters.push(deadLetterOf(message));
        channel.ack(message);
      }
      return letters;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }


  expireIncompleteChunks(now: Date, maxAgeMs: number): Promise<IncompleteAssembly[]> {
    return this.assembler.expireIncomplete(now, maxAgeMs);
  }

  private async connect(): Promise<void> {
    let model: ChannelModel;
    try {
      model = await amqp.connect(this.options.url, { noDelay: true, clientProperties: { connection_name: this.options.connectionName } });
    } catch (cause) {
      throw new DomainError('axis.unavailable', { cause, details: [{ field: 'axis.url', message: cause instanceof Error ? cause.message : String(cause) }] });
    }
    coalesceWrites(model);
    model.on('error', (error: unknown) => this.problem(error));
    model.on('handler-error', (error: unknown) => this.problem(error));
    try {
      const setup = await model.createChannel();
      setup.on('error', () => undefined); // a failed assertion closes the channel; the error is thrown below
      await declareSharedTopology(setup, this.topology);
      for (const organId of this.options.hostedOrganIds) await declareInbox(setup, this.topology, organId);
      await assertTopology(setup, this.topology, this.options.hostedOrganIds);
      await setup.close();
      const publisher = await model.createConfirmChannel();
      publisher.on('error', (error: unknown) => this.problem(error));
      publisher.on('return', (message: ConsumeMessage) => this.returned.add(String(message.properties.correlationId)));
      const connected: Connected = { model, publisher, declaredInboxes: new Set(this.options.hostedOrganIds), declaring: new Map(), drained: undefined };
      // A channel lost while its connection lives (channel error, queue deleted) would leave publishing or
      // consuming dead: recover the way a lost connection is recovered (rascal's "lost channels").
      publisher.on('close', () => this.channelLost(connected, 'publisher channel closed'));
      for (const subscription of this.subscriptions) await this.openConsumer(connected, subscription);
      model.on('close', (error?: unknown) => this.connectionLost(connected, error));
      this.current = connected;
      this.options.onConnectionEvent?.('connected');
    } catch (error) {
      await model.close().catch(() => undefined);
      throw isDomainError(error) ? error : new DomainError('axis.unavailable', { cause: error });
    }
  }

  private connectionLost(lost: Connected, error: unknown): void {
    if (this.current !== lost) return;
    this.current = undefined;
    for (const subscription of this.subscriptions) subscription.channel = undefined;
    this.failInFlight(new DomainError('axis.unavailable', { message: 'the broker connection was lost during the publish', cause: error }));
    this.options.onConnectionEvent?.('disconnected', error);
    if (!this.closing) this.scheduleReconnect(1);
  }

  private channelLost(connected: Connected, why: string): void {
    if (this.current !== connected || this.closing) return;
    this.problem(new DomainError('axis.unavailable', { message: `${why}: reconnecting` }));
    void connected.model.close().catch(() => undefined); // emits 'close': connectionLost() takes over
  }

  private scheduleReconnect(attempt: number): void {
    const { initialDelayMs, maxDelayMs } = this.options.reconnect ?? { initialDelayMs: 200, maxDelayMs: 10_000 };
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
    this.reconnectTimer = setTimeout(() => {
      if (this.closing) return;
      this.connect().catch((error: unknown) => {
        this.options.onConnectionEvent?.('reconnect-failed', error);
        if (!this.closing) this.scheduleReconnect(attempt + 1);
      });
    }, delay);
  }

  private async publishWire(wire: WireMessage): Promise<void> {
    const current = this.requireConnected();
    if (!current.declaredInboxes.has(wire.headers.to)) await this.declareRecipientInbox(current, wire.headers.to);
    if (current.drained) await current.drained;
    const correlationId = randomUUID();
    const timeoutMs = this.options.publishTimeoutMs ?? 30_000;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        this.inFlight.delete(fail);
        reject(error);
      };
      const timer = setTimeout(() => fail(new DomainError('axis.unavailable', { message: `no publisher confirm within ${timeoutMs} ms` })), timeoutMs);
      this.inFlight.add(fail);
      const body = Buffer.from(wire.body.buffer, wire.body.byteOffset, wire.body.byteLength);
      try {
        const ok = current.publisher.publish(this.topology.exchange, wire.headers.to, body, {
          persistent: true, mandatory: true, messageId: wire.headers.messageId, correlationId,
          headers: toAmqpHeaders(wire), contentType: 'application/octet-stream', appId: 'edoc-node', timestamp: Math.floor(Date.now() / 1000),
        }, (error: unknown) => {
          if (error) return fail(new DomainError('axis.publish_refused', { cause: error }));
          if (this.returned.delete(correlationId)) {
            current.declaredInboxes.delete(wire.headers.to);
            return fail(new DomainError('axis.publish_refused', { message: `unroutable: no inbox bound for ${wire.headers.to}` }));
          }
          clearTimeout(timer);
          this.inFlight.delete(fail);
          resolve();
        });
        if (!ok && !current.drained) {
          current.drained = new Promise((done) => {
            const release = (): void => { current.drained = undefined; done(); };
            current.publisher.once('drain', release);
            current.publisher.once('close', release); // a lost channel fails the next publish instead
          });
        }
      } catch (error) {
        fail(new DomainError('axis.unavailable', { cause: error }));
      }
    });
  }

  /** Declares a recipient's inbox once per connection, however many publishes to it start at once. */
  private declareRecipientInbox(current: Connected, organId: string): Promise<void> {
    let pending = current.declaring.get(organId);
    if (!pending) {
      pending = (async () => {
        const channel = await current.model.createChannel();
        channel.on('error', () => undefined); // a refused declaration closes the channel; the error is thrown
        try {
          await declareInbox(channel, this.topology, organId);
        } finally {
          await channel.close().catch(() => undefined);
        }
        current.declaredInboxes.add(organId);
      })().finally(() => current.declaring.delete(organId));
      current.declaring.set(organId, pending);
    }
    return pending;
  }

  private async openConsumer(connected: Connected, subscription: Subscription): Promise<void> {
    const channel = await connected.model.createChannel();
    channel.on('error', (error: unknown) => this.problem(error));
    await channel.prefetch(this.options.prefetch);
    const queue = await declareInbox(channel, this.topology, subscription.organId);
    subscription.channel = channel;
    channel.on('close', () => {
      if (subscription.channel === channel) this.channelLost(connected, `consumer channel of ${subscription.organId} closed`);
    });
    await channel.consume(queue, (message) => {
      if (message) void this.onMessage(subscription, channel, message);
      else this.channelLost(connected, `the broker cancelled the consumer of ${subscription.organId}`); // queue deleted
    }, { noAck: false });
  }

  private async onMessage(subscription: Subscription, channel: Channel, message: ConsumeMessage): Promise<void> {
    let verdict: AxisDeliveryVerdict;
    try {
      const parsed = fromAmqpHeaders(message.properties.messageId, message.properties.headers as Record<string, unknown> | undefined);
      const deliveryCount = Number((message.properties.headers as Record<string, unknown> | undefined)?.['x-delivery-count'] ?? 0);
      verdict = await this.assembler.receive({ message: { ...parsed, body: message.content }, redelivered: message.fields.redelivered, deliveryCount }, subscription.handler);
    } catch (error) {
      this.problem(error);
      verdict = isDomainError(error) && error.kind === 'invalid' ? 'dead-letter' : 'requeue';
    }
    if (subscription.channel !== channel) return; // channel gone: the broker redelivers it
    try {
      if (verdict === 'ack') channel.ack(message);
      else channel.nack(message, false, verdict === 'requeue');
    } catch (error) {
      this.problem(error); // the channel closed meanwhile: the broker redelivers it
    }
  }

  private requireConnected(): Connected {
    if (!this.current) throw new DomainError('axis.unavailable', { message: 'not connected to the broker (reconnecting)' });
    return this.current;
  }

  private failInFlight(error: DomainError): void {
    for (const fail of [...this.inFlight]) fail(error);
  }

  private problem(error: unknown, headers?: AxisOutgoingMessage['headers']): void {
    this.options.onProblem?.(headers ? { error, headers } : { error });
  }
}
