// The transport port of the national interchange axis (DOMAIN.md §2). The vendor axis carries each
// package with the headers `from`, `to`, `messagetype` (edoc | status) and `servicetype`; we add a message
// id (the dedupe key of a delivery) and the package digest (SHA-256, so a receiver detects corruption).
// Delivery is at-least-once: a handler settles a delivery only after its own commit (DESIGN.md
// "Exactly-once effect"); the idempotency of the effect is the InboxConsumer's job, not the transport's.
// Adapters: AmqpAxisTransport (RabbitMQ, `AXIS_URL`) and InProcessAxisTransport (embedded default).

export type AxisMessageType = 'edoc' | 'status';

export const AXIS_MESSAGE_TYPES: readonly AxisMessageType[] = ['edoc', 'status'];

/** Headers that travel with every package, mirroring the vendor axis interface. */
export interface AxisHeaders {
  /** Organ id of the sending agency. */
  readonly from: string;
  /** Organ id of the recipient agency: the routing key. */
  readonly to: string;
  readonly messageType: AxisMessageType;
  /** `eDoc` on the vendor axis. */
  readonly serviceType: string;
  /** Unique per (package, recipient); a re-send of the same outbox entry keeps it. */
  readonly messageId: string;
  /** Lower-case hex SHA-256 of the whole package bytes. */
  readonly packageDigest: string;
}

/** The bytes of a package, readable as a stream so a 50 MB package is never held twice in memory. */
export interface AxisPayload {
  readonly size: number;
  /** Streams the bytes in order; may be called more than once. */
  chunks(): AsyncIterable<Uint8Array>;
  /** The whole package in memory: only for packages known to be small. */
  bytes(): Promise<Uint8Array>;
}

export interface AxisOutgoingMessage {
  readonly headers: AxisHeaders;
  readonly payload: AxisPayload;
}

export interface AxisDelivery {
  readonly headers: AxisHeaders;
  /** Valid until the handler settles; copy what must be kept (the transport disposes temp files). */
  readonly payload: AxisPayload;
  /** The broker has delivered this message before (to this or another consumer). */
  readonly redelivered: boolean;
  /** Earlier unsuccessful deliveries (quorum queue `x-delivery-count`); 0 on the first. */
  readonly deliveryCount: number;
}

/**
 * How a handler settles a delivery, after its commit:
 * - `ack`: done (durably stored or durably refused); the broker forgets it.
 * - `requeue`: not done (e.g. database unavailable); redelivered later, counted towards the delivery limit.
 * - `dead-letter`: never processable here; moved to the dead-letter queue for an operator.
 * A handler that throws is treated as `requeue` (a crash of the handler).
 */
export type AxisDeliveryVerdict = 'ack' | 'requeue' | 'dead-letter';

export type AxisDeliveryHandler = (delivery: AxisDelivery) => Promise<AxisDeliveryVerdict>;

export interface AxisSubscription {
  /** Stops consuming; deliveries not yet settled return to the queue. */
  cancel(): Promise<void>;
}

export interface AxisTransport {
  /** Connects and declares/asserts the topology for the hosted agencies; fails if it cannot. */
  start(): Promise<void>;
  /**
   * Publishes one package to `headers.to`; resolves only once the broker has confirmed it durably.
   * Throws DomainError `axis.unavailable` (retryable) when the broker cannot take it now.
   */
  publish(message: AxisOutgoingMessage): Promise<void>;
  /** Consumes the inbox of one hosted agency until the subscription is cancelled. */
  consume(organId: string, handler: AxisDeliveryHandler): Promise<AxisSubscription>;
  close(): Promise<void>;
}

/** A message that ended in the dead-letter queue, for an operator to inspect. */
export interface AxisDeadLetter {
  readonly headers: Partial<AxisHeaders>;
  /** `delivery_limit` (poison: the handler kept failing), `rejected` (never processable here), … */
  readonly reason: string;
  readonly size: number;
  /** The chunk's place in a large package, when it is one. */
  readonly chunk?: { readonly index: number; readonly count: number };
  /** When it was dead-lettered, as the broker recorded it (ISO 8601), if known. */
  readonly deadLetteredAt?: string;
}

/**
 * Operator view of the dead-letter queue (poison messages after the delivery limit). Listing leaves the
 * queue as it was; re-driving publishes a dead letter again to its recipient's inbox (confirmed before it
 * leaves the dead-letter queue, so a crash in between duplicates it, which the inbox dedupes by message id).
 */
export interface AxisDeadLetterQueue {
  /** Removes and returns up to `max` dead letters (tests). */
  takeDeadLetters(max: number): Promise<AxisDeadLetter[]>;
  /** Up to `max` dead letters, oldest first, left in the queue. */
  listDeadLetters(max: number): Promise<AxisDeadLetter[]>;
  /** Re-publishes to their recipients' inboxes up to `max` dead letters that `select` picks; the others stay. */
  redriveDeadLetters(select: (letter: AxisDeadLetter) => boolean, max: number): Promise<AxisDeadLetter[]>;
  /** How many letters the queue holds (for /health). */
  deadLetterCount(): Promise<number>;
}

/** What `/health` says of the axis (docs/axis.md "Health"). */
export interface AxisHealth {
  readonly status: 'connected' | 'disconnected' | 'in-process' | 'stopped';
  /** Messages in the dead-letter queue (RabbitMQ: the whole deployment's, under this prefix); null when unreadable now. */
  readonly deadLetters: number | null;
  /** Outbox entries of this node's agencies: waiting for the relay, and failed (retries ran out: send them again). */
  readonly outbox: { readonly pending: number; readonly failed: number } | null;
}

/** A payload already in memory. */
export function bytesPayload(bytes: Uint8Array): AxisPayload {
  return {
    size: bytes.byteLength,
    async *chunks() {
      yield bytes;
    },
    bytes: async () => bytes,
  };
}
