// The inbox of the axis (DESIGN.md "Exactly-once effect"): the consumer records each message id in the
// inbox in the same transaction as the effect of the message, and acknowledges the broker only after the
// commit. A redelivered or re-sent message finds its id recorded, changes nothing and returns the outcome
// recorded the first time. The knex adapter implements this port in src/db/.
import type { AxisMessageType } from './axis-transport.ts';

/** What processing a message produced (e.g. `{ status: '01' }` or `{ quarantined: true, reason }`); JSON. */
export type InboxOutcome = Readonly<Record<string, unknown>>;

export interface InboxRecord {
  readonly messageId: string;
  /** The hosted agency whose inbox received it. */
  readonly recipient: string;
  readonly sender: string;
  readonly messageType: AxisMessageType;
  readonly packageDigest: string;
  readonly outcome: InboxOutcome;
  readonly receivedAt: Date;
}

/** A message's place in the inbox: the hosted agency that received it and its message id. */
export interface InboxKey {
  readonly recipient: string;
  readonly messageId: string;
}

export interface InboxStore<Tx> {
  find(tx: Tx, recipient: string, messageId: string): Promise<InboxRecord | undefined>;
  /** The records of several messages at once (one statement for a batch), keyed by `inboxKey`. */
  findMany(tx: Tx, keys: readonly InboxKey[]): Promise<Map<string, InboxRecord>>;
  /**
   * Records the message in `tx`; returns `duplicate` (and writes nothing) when the same (recipient,
   * message id) is already recorded, including by a concurrent transaction (unique index, 23505).
   */
  record(tx: Tx, record: InboxRecord): Promise<'recorded' | 'duplicate'>;
  /** Records several messages at once; returns how many were recorded (fewer: some were duplicates). */
  recordMany(tx: Tx, records: readonly InboxRecord[]): Promise<number>;
}

/** The key of `findMany`'s answer. */
export const inboxKey = (key: InboxKey): string => `${key.recipient}\u0000${key.messageId}`;

/** Runs work in one transaction: commits when it resolves, rolls back when it throws. */
export interface UnitOfWork<Tx> {
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs work inside `tx` under a SAVEPOINT: when it throws, only its own effects are rolled back and the
   * transaction stays usable. Lets the inbox consumer put several deliveries in one transaction.
   */
  savepoint?<T>(tx: Tx, work: (tx: Tx) => Promise<T>): Promise<T>;
}
