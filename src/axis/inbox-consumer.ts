// The inbox consumer (DESIGN.md "Exactly-once effect", issue 5 item 4): for each delivery it runs the
// caller's handler inside the caller's unit of work, records the message id in the inbox in that same
// transaction, and acknowledges the broker only after the commit. A duplicate message id (a redelivery,
// or a re-send by the sender's outbox) changes nothing and yields the outcome recorded the first time,
// which the caller uses to answer again (e.g. re-send the status already given).
// Failure handling: any failure rolls the transaction back. A dependency that is unavailable (database
// down) is waited out with the delivery held, so an outage does not count as a failed delivery; any other
// failure requeues the delivery (the broker redelivers it; after the queue's delivery limit it goes to the
// dead-letter queue: a poison message).
import type { InboxOutcome, InboxRecord, InboxStore, UnitOfWork } from '../domain/axis-inbox.ts';
import type { AxisDelivery, AxisDeliveryVerdict, AxisSubscription, AxisTransport } from '../domain/axis-transport.ts';
import { isDomainError } from '../domain/errors.ts';
import { faultPoint } from './fault-points.ts';

/** Does the work of one message inside the transaction `tx`; its result is recorded as the outcome. */
export type InboxHandler<Tx> = (tx: Tx, delivery: AxisDelivery) => Promise<InboxOutcome>;

export interface InboxResult {
  readonly duplicate: boolean;
  readonly outcome: InboxOutcome;
}

export interface InboxConsumerOptions<Tx> {
  readonly transport: AxisTransport;
  readonly unitOfWork: UnitOfWork<Tx>;
  readonly inbox: InboxStore<Tx>;
  readonly handler: InboxHandler<Tx>;
  /** Called after the commit (or after finding a duplicate), before the ack. Failures are reported, not retried. */
  readonly afterCommit?: (delivery: AxisDelivery, result: InboxResult) => Promise<void>;
  readonly onError?: (error: unknown, delivery: AxisDelivery) => void;
  readonly clock?: () => Date;
  /**
   * Waits before processing a delivery again when it failed because a dependency is unavailable (error
   * kind `unavailable`, e.g. `db.unavailable`). The delivery is held meanwhile (unacked), so an outage of
   * the database does not burn its delivery count and send good packages to the dead-letter queue; once
   * the schedule is exhausted it is requeued. Default: about 45 s in all.
   */
  readonly unavailableRetryDelaysMs?: readonly number[];
}

const DEFAULT_UNAVAILABLE_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000, 8000, 8000, 10000, 10000];

/** Thrown inside the transaction to roll the handler's work back when a concurrent consumer won. */
class LostRace extends Error {}

export class InboxConsumer<Tx> {
  private readonly subscriptions: AxisSubscription[] = [];
  private stopping = false;

  constructor(private readonly options: InboxConsumerOptions<Tx>) {}

  /** Starts consuming the inboxes of the given hosted agencies. */
  async start(organIds: readonly string[]): Promise<void> {
    this.stopping = false;
    for (const organId of organIds) {
      this.subscriptions.push(await this.options.transport.consume(organId, (delivery) => this.settle(delivery)));
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const subscriptions = this.subscriptions.splice(0);
    await Promise.all(subscriptions.map((s) => s.cancel()));
  }

  /** Processes one delivery exactly once in effect; resolves after the commit. */
  async process(delivery: AxisDelivery): Promise<InboxResult> {
    const { unitOfWork, inbox, handler } = this.options;
    const { headers } = delivery;
    try {
      return await unitOfWork.run(async (tx) => {
        const earlier = await inbox.find(tx, headers.to, headers.messageId);
        if (earlier) return { duplicate: true, outcome: earlier.outcome };
        const outcome = await handler(tx, delivery);
        const record: InboxRecord = {
          messageId: headers.messageId, recipient: headers.to, sender: headers.from, messageType: headers.messageType,
          packageDigest: headers.packageDigest, outcome, receivedAt: this.options.clock?.() ?? new Date(),
        };
        if ((await inbox.record(tx, record)) === 'duplicate') throw new LostRace();
        faultPoint('inbox.before-commit'); // test instrumentation: handler's work and inbox row written, not committed
        return { duplicate: false, outcome };
      });
    } catch (error) {
      if (!(error instanceof LostRace)) throw error;
      // Another consumer committed the same message first: ours was rolled back; return theirs.
      const winner = await unitOfWork.run((tx) => inbox.find(tx, headers.to, headers.messageId));
      if (!winner) throw error;
      return { duplicate: true, outcome: winner.outcome };
    }
  }

  /** The transport handler: ack after commit; wait out an unavailable dependency; requeue other failures. */
  private async settle(delivery: AxisDelivery): Promise<AxisDeliveryVerdict> {
    const delays = this.options.unavailableRetryDelaysMs ?? DEFAULT_UNAVAILABLE_DELAYS_MS;
    let result: InboxResult | undefined;
    for (let attempt = 0; !result; attempt++) {
      try {
        result = await this.process(delivery);
      } catch (error) {
        this.options.onError?.(error, delivery);
        const delay = delays[attempt];
        if (!isDomainError(error) || error.kind !== 'unavailable' || delay === undefined || this.stopping) return 'requeue';
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    faultPoint('inbox.before-ack'); // test instrumentation: committed, not acknowledged
    if (this.options.afterCommit) {
      await this.options.afterCommit(delivery, result).catch((error: unknown) => this.options.onError?.(error, delivery));
    }
    return 'ack';
  }
}
