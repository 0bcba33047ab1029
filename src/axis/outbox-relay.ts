// The outbox relay (DESIGN.md "Exactly-once effect", issue 5 item 3): publishes the outbox entries written
// by the issuing transaction, each with a publisher confirm, and marks an entry sent only after its
// confirm (in one statement per pass). A failed publish is retried on the configured schedule; a retryable failure (broker down,
// nack, no confirm) that outlasts the schedule, or a permanent one, ends in `failed` with its reason.
// A crash between the confirm and `markSent` re-sends the entry after its lease: the receiver's inbox
// dedupes it by message id, so the effect stays exactly-once.
// Hand-off (OutboxHandOff): the entries this process writes come to its relay from memory after their
// commit, already leased, and go out in the next pass without being claimed or read back; the claim
// then only looks for what is due otherwise (retries, entries of a process that died, large packages).
import type { AxisTransport } from '../domain/axis-transport.ts';
import { isDomainError } from '../domain/errors.ts';
import { nextRetry, type OutboxEntry, type OutboxHandOff, type OutboxStore, type RetrySchedule } from '../domain/outbox.ts';
import { faultPoint } from './fault-points.ts';

export interface OutboxRelayOptions {
  readonly store: OutboxStore;
  readonly transport: AxisTransport;
  readonly retryScheduleMs: RetrySchedule;
  /** Entries claimed per pass. */
  readonly batchSize: number;
  /** Publishes in flight at once (confirms are awaited concurrently). */
  readonly concurrency: number;
  /** How long a claimed entry is reserved for this relay; must exceed the publish time-out. */
  readonly leaseMs: number;
  /** Idle wait between passes when nothing was due. */
  readonly pollIntervalMs: number;
  /**
   * After a wake (a commit that enqueued entries), wait this long before the pass, so the entries of a
   * burst of commits go out in one pass (one claim and one markSent statement) instead of one pass each.
   * 0 = no wait.
   */
  readonly lingerMs?: number;
  readonly clock?: () => Date;
  readonly onEvent?: (event: OutboxRelayEvent) => void;
}

export type OutboxRelayEvent =
  | { readonly kind: 'sent'; readonly entryId: string; readonly messageId: string }
  | { readonly kind: 'retry'; readonly entryId: string; readonly attempts: number; readonly nextAttemptAt: Date; readonly reason: string }
  | { readonly kind: 'failed'; readonly entryId: string; readonly attempts: number; readonly reason: string };

export interface RelayPass {
  readonly claimed: number;
  readonly sent: number;
  readonly retried: number;
  readonly failed: number;
}

export class OutboxRelay implements OutboxHandOff {
  private running = false;
  /** Entries handed off after their commit, not yet published. */
  private readonly handedOff: OutboxEntry[] = [];
  /** A claim is wanted in the next pass (start, poll, wake); a pass run for handed-off entries alone skips it. */
  private claimWanted = true;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wakeRequested = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutboxRelayOptions) {}

  /**
   * One pass: claims the due entries, publishes them, then marks the confirmed ones sent in one statement
   * (one commit per pass instead of one per entry: commits are this machine's scarcest resource). A crash
   * before that statement re-sends the pass's entries after their lease; the receivers dedupe them.
   */
  async runOnce(): Promise<RelayPass> {
    const { store, batchSize, leaseMs, concurrency, onEvent } = this.options;
    const handed = this.handedOff.splice(0, batchSize);
    const claim = (this.claimWanted || handed.length === 0) && handed.length < batchSize; // a full pass claims next time
    if (claim) this.claimWanted = false;
    let claimed: OutboxEntry[] = [];
    try {
      if (claim) claimed = await store.claimDue(this.now(), batchSize - handed.length, leaseMs);
    } catch (error) {
      this.handedOff.unshift(...handed); // still leased to this relay: the next pass publishes them
      this.claimWanted = true;
      throw error;
    }
    const entries = [...handed, ...claimed];
    const pass = { claimed: entries.length, sent: 0, retried: 0, failed: 0 };
    const confirmed: OutboxEntry[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length) {
        const entry = entries[next++]!;
        const result = await this.relay(entry);
        if (result === 'sent') confirmed.push(entry);
        else pass[result] += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
    if (confirmed.length > 0) {
      await store.markSent(confirmed.map((e) => e.id), this.now());
      pass.sent = confirmed.length;
      for (const entry of confirmed) onEvent?.({ kind: 'sent', entryId: entry.id, messageId: entry.headers.messageId });
    }
    return pass;
  }

  /** Runs passes until stopped: back to back while there is work, every `pollIntervalMs` when idle. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let pass: RelayPass | undefined;
        try {
          pass = await this.runOnce();
        } catch {
          pass = undefined; // store unavailable: wait and try again
        }
        if (this.running && (!pass || (pass.claimed < this.options.batchSize && this.handedOff.length === 0))) {
          await this.idle();
          if (this.running && this.options.lingerMs) await new Promise((resolve) => setTimeout(resolve, this.options.lingerMs));
        }
      }
    })();
  }

  /** Starts a pass now (e.g. right after a document was issued) instead of waiting for the poll. */
  wake(): void {
    this.claimWanted = true;
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /** OutboxHandOff: the lease written with an entry this relay will publish. */
  leaseUntil(): Date {
    return new Date(this.now().getTime() + this.options.leaseMs);
  }

  /** OutboxHandOff: committed entries to publish in the next pass (released if this relay is stopped). */
  take(entries: readonly OutboxEntry[], alsoClaim: boolean): void {
    if (!this.running) {
      if (entries.length > 0) void this.options.store.release(entries.map((e) => e.id)).catch(() => undefined); // else claimed after the lease
      return;
    }
    this.handedOff.push(...entries);
    if (alsoClaim) this.claimWanted = true;
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.loop = undefined;
    const left = this.handedOff.splice(0);
    if (left.length > 0) await this.options.store.release(left.map((e) => e.id)).catch(() => undefined); // claimed after the lease otherwise
  }

  private idle(): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false; // a wake that came during the pass: run the next pass at once
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wakeUp = () => {
        this.wakeRequested = false;
        clearTimeout(this.timer);
        this.wakeUp = undefined;
        resolve();
      };
      this.timer = setTimeout(() => { this.claimWanted = true; this.wakeUp?.(); }, this.options.pollIntervalMs);
    });
  }

  private async relay(entry: OutboxEntry): Promise<'sent' | 'retried' | 'failed'> {
    const { store, transport, retryScheduleMs, onEvent } = this.options;
    try {
      faultPoint('relay.before-publish'); // test instrumentation: claimed (committed), nothing published yet
      await transport.publish({ headers: entry.headers, payload: entry.payload });
      faultPoint('relay.before-mark-sent'); // test instrumentation: confirmed by the broker, not yet marked sent
    } catch (error) {
      const attempts = entry.attempts + 1;
      const reason = describe(error);
      const decision = retryable(error) ? nextRetry(retryScheduleMs, attempts) : { retry: false as const };
      if (decision.retry) {
        const nextAttemptAt = new Date(this.now().getTime() + decision.delayMs);
        await store.scheduleRetry(entry.id, attempts, nextAttemptAt, reason);
        onEvent?.({ kind: 'retry', entryId: entry.id, attempts, nextAttemptAt, reason });
        return 'retried';
      }
      await store.markFailed(entry.id, attempts, this.now(), reason);
      onEvent?.({ kind: 'failed', entryId: entry.id, attempts, reason });
      return 'failed';
    }
    return 'sent';
  }

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }
}

/** Broker trouble is worth retrying; a package the node itself refuses (invalid, too large…) is not. */
function retryable(error: unknown): boolean {
  if (!isDomainError(error)) return true;
  return error.kind === 'unavailable' || error.kind === 'internal';
}

function describe(error: unknown): string {
  if (isDomainError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
