// The outbox of the axis (DESIGN.md "Exactly-once effect"): issuing a document writes one outbox entry per
// recipient in the same transaction; the OutboxRelay publishes each with publisher confirms and marks it
// sent only after the confirm. A failed publish is retried on a configurable schedule and ends in a
// visible `failed` state with its reason. The knex adapter implements this port in src/db/.
import type { AxisHeaders, AxisPayload } from './axis-transport.ts';

export type OutboxState = 'pending' | 'sent' | 'failed';

export interface OutboxEntry {
  readonly id: string;
  /** `headers.messageId` stays the same across retries, so the receiver's inbox dedupes re-sends. */
  readonly headers: AxisHeaders;
  readonly payload: AxisPayload;
  /** Publish attempts already made (0 for a fresh entry). */
  readonly attempts: number;
}

export interface OutboxStore {
  /**
   * Claims up to `limit` pending entries whose next attempt is due at `now`, leasing them until
   * `now + leaseMs` so that two relays (two processes) never publish the same entry at the same time
   * (PostgreSQL: `FOR UPDATE SKIP LOCKED` + a lease column). A lease that expires (crash) frees the entry.
   * The entries come in the order they were written, within one transaction too (03 before 05).
   */
  claimDue(now: Date, limit: number, leaseMs: number): Promise<OutboxEntry[]>;
  /** Marks entries sent (one statement for a relay pass); called only after the broker confirmed each. */
  markSent(ids: readonly string[], at: Date): Promise<void>;
  /** Records a failed attempt and when to try again; the entry stays `pending`. */
  scheduleRetry(id: string, attempts: number, nextAttemptAt: Date, reason: string): Promise<void>;
  /** Gives up: the entry becomes `failed` with the reason, visible to the sender. */
  markFailed(id: string, attempts: number, at: Date, reason: string): Promise<void>;
  /** Ends the lease of entries not published (a relay stopping): any relay may claim them at once. */
  release(ids: readonly string[]): Promise<void>;
}

/**
 * The relay of the process that writes an entry publishes it itself, from memory, right after the commit:
 * no claim statement, no reading the package back. The row is written already leased (`leaseUntil`), so
 * no other relay takes it meanwhile; if this process dies first, the lease runs out and any relay claims it.
 */
export interface OutboxHandOff {
  /** The lease an entry handed off is written with. */
  leaseUntil(): Date;
  /**
   * The entries of a transaction that committed, in the order they were written; `alsoClaim`: it also
   * wrote entries that are not handed off (a package in the blob store), to be claimed now.
   */
  take(entries: readonly OutboxEntry[], alsoClaim: boolean): void;
}

/**
 * Delay before each retry, in milliseconds: entry `i` is the wait after the `i+1`-th failed attempt.
 * After `schedule.length + 1` failed attempts the entry is failed.
 */
export type RetrySchedule = readonly number[];

export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false };

/** Applies the schedule: `attempts` counts the attempt that just failed. */
export function nextRetry(schedule: RetrySchedule, attempts: number): RetryDecision {
  const delayMs = schedule[attempts - 1];
  return delayMs === undefined ? { retry: false } : { retry: true, delayMs };
}

/** Packages up to this size are kept in the outbox row; larger ones in the blob store (written once). */
export const OUTBOX_INLINE_MAX_BYTES = 256 * 1024;

/** A package already in the blob store (content-addressed: `sha256` is also the package digest). */
export interface StoredPackage {
  readonly sha256: string;
  readonly size: number;
}

/**
 * A document package kept as its parts instead of its bytes: the signed skeleton — the package with each
 * attachment's base64 replaced by a marker, a few KB — and, per attachment, its file in the blob store
 * (named by the document's rows already) and how it is encoded. The relay publishes an entry from memory
 * (the hand-off) and needs its bytes again only when it claims it (this process stopped first, another
 * process, a retry): they are made again then, the same bytes — the ZIP carries the time of sending, its
 * compression is judged from the content, RSA signatures are deterministic — checked against the package
 * digest. So a document's 100 KB+ of package is not written to PostgreSQL (its TOAST and WAL) at all.
 */
export interface PackageParts {
  readonly skeleton: Uint8Array;
  readonly attachments: readonly PackagePartFile[];
}

export interface PackagePartFile {
  /** Where its base64 goes in the skeleton. */
  readonly marker: string;
  /** The file in the blob store (SHA-256, hex). */
  readonly sha256: string;
  /** The file's name in the ZIP. */
  readonly name: string;
  readonly transferEncoding: 'zip' | 'raw';
  /** The time the ZIP entry carries (ISO 8601). */
  readonly modifiedAt: string;
}

/** Makes the bytes of a package kept as parts again (the composition root gives it the codec and the blob store). */
export type PackageAssembler = (parts: PackageParts) => Promise<Uint8Array>;

/** What the issuing transaction writes: one entry per recipient (DESIGN.md "Main flows", outgoing). */
export type NewOutboxEntry = {
  readonly id: string;
  readonly headers: AxisHeaders;
  /** The outgoing document this entry delivers, for per-recipient tracking. */
  readonly documentId: string | null;
} & (
  /**
   * The package bytes, for the hand-off; stored with the entry so a re-send needs nothing else (small
   * packages), or, with `parts`, stored as those parts only.
   */
  | { readonly package: Uint8Array; readonly parts?: PackageParts | undefined }
  /** A large package, already in the blob store, which keeps it for the re-sends. */
  | { readonly packageBlob: StoredPackage }
);

/** Writes outbox entries inside the caller's transaction `tx`. */
export interface OutboxWriter<Tx> {
  enqueue(tx: Tx, entry: NewOutboxEntry): Promise<void>;
}
