// The embedded axis (DESIGN.md "Runtime and scale": `npm start` with nothing to install): several hosted
// agencies exchange in one process with the semantics of the RabbitMQ topology — one inbox per agency,
// at-least-once delivery, settle after the handler's commit, redelivery after `requeue` or a crashed
// handler, dead-lettering after `deliveryLimit` unsuccessful deliveries, a prefetch per consumer, and the
// same chunking of large packages. Queues live in memory: a process crash loses what is not yet consumed
// (the outbox rows remain, marked sent), which is acceptable for the single-process demo only. Dead letters
// too are kept in memory, whole, so they can be listed and re-driven like RabbitMQ's.
import type { AxisChunkStore, AxisPayloadSink } from '../domain/axis-chunks.ts';
import type {
  AxisDeadLetter, AxisDeadLetterQueue, AxisDeliveryHandler, AxisDeliveryVerdict, AxisOutgoingMessage, AxisSubscription, AxisTransport,
} from '../domain/axis-transport.ts';
import type { IncompleteAssembly } from '../domain/axis-chunks.ts';
import { DomainError } from '../domain/errors.ts';
import { DeliveryAssembler, type AxisProblemListener } from './delivery-assembly.ts';
import { toWireMessages, type WireMessage } from './wire-message.ts';

export interface InProcessAxisTransportOptions {
  readonly prefetch: number;
  readonly deliveryLimit: number;
  readonly chunkSizeBytes: number;
  readonly chunkStore: AxisChunkStore;
  readonly payloadSink: AxisPayloadSink;
  readonly onProblem?: AxisProblemListener;
  /** A large package whose chunks stop arriving for this long is reported and dropped (default: never). */
  readonly chunkTimeoutMs?: number;
}

interface QueuedMessage {
  readonly wire: WireMessage;
  /** Unsuccessful deliveries so far (quorum `x-delivery-count`). */
  returns: number;
}

interface Consumer {
  readonly handler: AxisDeliveryHandler;
  readonly inFlight: Set<QueuedMessage>;
}

interface Inbox {
  readonly ready: QueuedMessage[];
  readonly consumers: Consumer[];
  next: number;
}

export class InProcessAxisTransport implements AxisTransport, AxisDeadLetterQueue {
  private readonly inboxes = new Map<string, Inbox>();
  private readonly deadLetters: Array<{ readonly letter: AxisDeadLetter; readonly wire: WireMessage }> = [];
  private readonly assembler: DeliveryAssembler;
  private stopExpiry: () => void = () => undefined;
  private closed = false;

  constructor(private readonly options: InProcessAxisTransportOptions) {
    this.assembler = new DeliveryAssembler({ chunkStore: options.chunkStore, payloadSink: options.payloadSink, onProblem: options.onProblem ?? (() => undefined) });
  }

  /** Always reachable while open (there is no broker to lose). */
  get connected(): boolean {
    return !this.closed;
  }

  async start(): Promise<void> {
    this.stopExpiry();
    if (this.options.chunkTimeoutMs) this.stopExpiry = this.assembler.startExpiry(this.options.chunkTimeoutMs);
    this.closed = false;
  }

  async publish(message: AxisOutgoingMessage): Promise<void> {
    if (this.closed) throw new DomainError('axis.unavailable', { message: 'the in-process axis is closed' });
    const inbox = this.inbox(message.headers.to);
    for await (const wire of toWireMessages(message, this.options.chunkSizeBytes)) {
      // Copy: the broker owns its copy, as RabbitMQ would.
      inbox.ready.push({ wire: { ...wire, body: Uint8Array.from(wire.body) }, returns: 0 });
    }
    this.dispatchSoon(inbox);
  }

  async consume(organId: string, handler: AxisDeliveryHandler): Promise<AxisSubscription> {
    if (this.closed) throw new DomainError('axis.unavailable', { message: 'the in-process axis is closed' });
    const inbox = this.inbox(organId);
    const consumer: Consumer = { handler, inFlight: new Set() };
    inbox.consumers.push(consumer);
    this.dispatchSoon(inbox);
    return { cancel: async () => this.cancel(inbox, consumer) };
  }

  async close(): Promise<void> {
    this.stopExpiry();
    this.closed = true;
    for (const inbox of this.inboxes.values()) {
      for (const consumer of [...inbox.consumers]) this.cancel(inbox, consumer);
    }
  }

  async takeDeadLetters(max: number): Promise<AxisDeadLetter[]> {
    return this.deadLetters.splice(0, max).map((d) => d.letter);
  }

  async deadLetterCount(): Promise<number> {
    return this.deadLetters.length;
  }

  async listDeadLetters(max: number): Promise<AxisDeadLetter[]> {
    return this.deadLetters.slice(0, max).map((d) => d.letter);
  }

  async redriveDeadLetters(select: (letter: AxisDeadLetter) => boolean, max: number): Promise<AxisDeadLetter[]> {
    const redriven: AxisDeadLetter[] = [];
    for (let i = 0; i < this.deadLetters.length && redriven.length < max;) {
      const { letter, wire } = this.deadLetters[i]!;
      if (!select(letter)) { i += 1; continue; }
      this.deadLetters.splice(i, 1);
      const inbox = this.inbox(wire.headers.to);
      inbox.ready.push({ wire, returns: 0 });
      this.dispatchSoon(inbox);
      redriven.push(letter);
    }
    return redriven;
  }

  /** Messages waiting in an agency's inbox (not delivered yet). */
  pending(organId: string): number {
    return this.inboxes.get(organId)?.ready.length ?? 0;
  }

  expireIncompleteChunks(now: Date, maxAgeMs: number): Promise<IncompleteAssembly[]> {
    return this.assembler.expireIncomplete(now, maxAgeMs);
  }

  private inbox(organId: string): Inbox {
    let inbox = this.inboxes.get(organId);
    if (!inbox) {
      inbox = { ready: [], consumers: [], next: 0 };
      this.inboxes.set(organId, inbox);
    }
    return inbox;
  }

  private cancel(inbox: Inbox, consumer: Consumer): void {
    const at = inbox.consumers.indexOf(consumer);
    if (at < 0) return;
    inbox.consumers.splice(at, 1);
    // Like a closed AMQP channel: deliveries not yet settled go back to the queue.
    for (const message of consumer.inFlight) this.giveBack(inbox, message);
    consumer.inFlight.clear();
    this.dispatchSoon(inbox);
  }

  private dispatchSoon(inbox: Inbox): void {
    setImmediate(() => this.dispatch(inbox));
  }

  private dispatch(inbox: Inbox): void {
    while (inbox.ready.length > 0) {
      const free = inbox.consumers.filter((c) => c.inFlight.size < this.options.prefetch);
      if (free.length === 0) return;
      const consumer = free[inbox.next++ % free.length]!;
      const message = inbox.ready.shift()!;
      consumer.inFlight.add(message);
      void this.deliver(inbox, consumer, message);
    }
  }

  private async deliver(inbox: Inbox, consumer: Consumer, message: QueuedMessage): Promise<void> {
    const verdict: AxisDeliveryVerdict = await this.assembler
      .receive({ message: message.wire, redelivered: message.returns > 0, deliveryCount: message.returns }, consumer.handler)
      .catch(() => 'requeue' as const);
    if (!consumer.inFlight.delete(message)) return; // cancelled meanwhile: already given back
    if (verdict === 'requeue') this.giveBack(inbox, message);
    else if (verdict === 'dead-letter') this.deadLetter(message, 'rejected');
    this.dispatchSoon(inbox);
  }

  private giveBack(inbox: Inbox, message: QueuedMessage): void {
    message.returns += 1;
    if (message.returns > this.options.deliveryLimit) this.deadLetter(message, 'delivery_limit');
    else inbox.ready.push(message);
  }

  private deadLetter(message: QueuedMessage, reason: string): void {
    const { wire } = message;
    this.deadLetters.push({
      wire,
      letter: {
        headers: wire.headers, reason, size: wire.body.byteLength, deadLetteredAt: new Date().toISOString(),
        ...(wire.chunk ? { chunk: { index: wire.chunk.index, count: wire.chunk.count } } : {}),
      },
    });
  }
}
