// The inbox consumer (DESIGN.md "Exactly-once effect", issue 5 item 4): for each delivery it runs the
// caller's handler inside the caller's unit of work, records the message id in the inbox in that same
// transaction, and acknowledges the broker only after the commit. A duplicate message id (a redelivery,
// or a re-send by the sender's outbox) changes nothing and yields the outcome recorded the first time,
// which the caller uses to answer again (e.g. re-send the status already given).
// Batching (`batchSize` > 1, with a unit of work that has savepoints): the deliveries waiting when a
// transaction starts (up to `batchSize`) share it, so a commit is paid per batch instead of per delivery.
// The batch first runs without savepoints: one inbox lookup for all its message ids, the handlers one
// after the other, one inbox insert for all. Should any delivery fail there (or lose a race to another
// consumer), that transaction is rolled back whole and the batch runs again with each delivery under its
// own SAVEPOINT, so one bad delivery never rolls back the others. Handlers report expected refusals
// (quarantine, 02) as outcomes, not errors, so the second pass is rare. The first delivery after an idle
// spell goes alone at once (no waiting to fill a batch); batches grow only under load. Each hosted agency's
// deliveries are batched apart, one batch of an agency at a time, the agencies' batches side by side: they
// touch disjoint rows (an agency's books, chain, deliveries), and a node hosting several agencies keeps its
// event loop busy while one batch waits for PostgreSQL.
// Failure handling: in the savepoint pass, a delivery whose handler fails has its savepoint rolled back
// and is requeued; the others of its batch commit. When the batch's transaction itself fails (commit refused, database
// unavailable), nothing of it committed and each of its deliveries is processed again on its own.
// On its own, a dependency that is unavailable (database down) is waited out with the delivery held, for
// as long as it lasts, so an outage does not count as a failed delivery; any other failure requeues the delivery (the broker
// redelivers it; after the queue's delivery limit it goes to the dead-letter queue: a poison message).
import { inboxKey, type InboxOutcome, type InboxRecord, type InboxStore, type UnitOfWork } from '../domain/axis-inbox.ts';
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
   * the database does not burn its delivery count and send good packages to the dead-letter queue. After
   * the last delay of the schedule, it keeps retrying at that delay for as long as the outage lasts (a
   * good package is never dead-lettered for an outage); stopping the consumer requeues it. Default:
   * 100 ms rising to 10 s.
   */
  readonly unavailableRetryDelaysMs?: readonly number[];
  /** Deliveries per transaction (each under a savepoint); 1 (default) = one transaction per delivery. */
  readonly batchSize?: number;
  /**
   * Batching only: started for each delivery as it comes within one batch of the head of its agency's
   * queue (so for the batch that runs and the next one, no more), for the work of the handler that needs
   * no transaction (parsing, signature checks, blob writes: the handler takes the result). The deliveries
   * of a batch are then examined side by side, the next batch's while this one's transaction runs, instead
   * of one after the other inside the transaction. Must not throw; what it starts must not reject.
   */
  readonly preflight?: (delivery: AxisDelivery) => void;
  /**
   * Batching, in the pass without savepoints: called in the batch's transaction before its handlers, with
   * the deliveries they will handle (not those found done already), so that what several of them need
   * can be read in one statement (the caller's repositories hold it for the transaction). Not called in
   * the savepoint pass, where a delivery's work can be rolled back alone.
   */
  readonly beforeBatch?: (tx: Tx, deliveries: readonly AxisDelivery[]) => Promise<void>;
}

const DEFAULT_UNAVAILABLE_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000, 8000, 8000, 10000, 10000];

/** Thrown inside the transaction to roll the handler's work back when a concurrent consumer won. */
class LostRace extends Error {}

/** Order of a batch: documents before statuses (a stable sort keeps arrival order within each). */
const documentsFirst = (a: AxisDelivery, b: AxisDelivery): number => Number(a.headers.messageType === 'status') - Number(b.headers.messageType === 'status');

/** One delivery's fate inside a batch. */
export type InboxBatchItem =
  | { readonly kind: 'done'; readonly result: InboxResult }
  | { readonly kind: 'lost-race' }
  | { readonly kind: 'failed'; readonly error: unknown };

interface Waiting {
  readonly delivery: AxisDelivery;
  readonly settle: (verdict: AxisDeliveryVerdict) => void;
  preflown?: boolean;
}

export class InboxConsumer<Tx> {
  private readonly subscriptions: AxisSubscription[] = [];
  private stopping = false;
  /** Per recipient agency: the deliveries waiting for a batch, and whether one of its batches runs. */
  private readonly queues = new Map<string, { readonly waiting: Waiting[]; running: boolean }>();

  constructor(private readonly options: InboxConsumerOptions<Tx>) {}

  /** Starts consuming the inboxes of the given hosted agencies. */
  async start(organIds: readonly string[]): Promise<void> {
    this.stopping = false;
    for (const organId of organIds) {
      this.subscriptions.push(await this.options.transport.consume(organId, (delivery) => (this.batching ? this.enqueue(delivery) : this.settle(delivery))));
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const organId of this.queues.keys()) this.drain(organId);
    const subscriptions = this.subscriptions.splice(0);
    await Promise.all(subscriptions.map((s) => s.cancel()));
  }

  /** Processes one delivery exactly once in effect; resolves after the commit. */
  async process(delivery: AxisDelivery): Promise<InboxResult> {
    try {
      return await this.options.unitOfWork.run(async (tx) => {
        const result = await this.processIn(tx, delivery);
        faultPoint('inbox.before-commit'); // test instrumentation: handler's work and inbox row written, not committed
        return result;
      });
    } catch (error) {
      if (!(error instanceof LostRace)) throw error;
      return this.winnerOf(delivery, error);
    }
  }

  /**
   * Processes several deliveries in one transaction; resolves after the commit with one item per delivery
   * (in order). Together first (no savepoints); if a delivery fails there, again with a savepoint each: a
   * delivery whose work fails is rolled back to its savepoint (`failed`); the others commit. Throws, with
   * nothing committed, when the transaction itself fails or a dependency is unavailable (then every
   * delivery must be processed again).
   */
  async processBatch(deliveries: readonly AxisDelivery[]): Promise<InboxBatchItem[]> {
    try {
      return await this.processTogether(deliveries);
    } catch (error) {
      if (isDomainError(error) && error.kind === 'unavailable') throw error; // the whole batch is in doubt
    }
    return this.processWithSavepoints(deliveries);
  }

  /** The batch in one transaction without savepoints; throws (nothing committed) if any delivery fails. */
  private async processTogether(deliveries: readonly AxisDelivery[]): Promise<InboxBatchItem[]> {
    const { unitOfWork, inbox, handler, beforeBatch } = this.options;
    return unitOfWork.run(async (tx) => {
      const keys = deliveries.map((d) => ({ recipient: d.headers.to, messageId: d.headers.messageId }));
      const earlier = await inbox.findMany(tx, keys);
      if (beforeBatch) await beforeBatch(tx, deliveries.filter((_, i) => !earlier.has(inboxKey(keys[i]!))));
      const records: InboxRecord[] = [];
      const items: InboxBatchItem[] = [];
      const seen = new Set<string>();
      for (const [i, delivery] of deliveries.entries()) {
        const key = inboxKey(keys[i]!);
        const found = earlier.get(key);
        if (found) {
          items.push({ kind: 'done', result: { duplicate: true, outcome: found.outcome } });
          continue;
        }
        if (seen.has(key)) throw new LostRace(); // the same message twice in one batch: the savepoint pass sorts it out
        seen.add(key);
        const outcome = await handler(tx, delivery);
        records.push(this.recordOf(delivery, outcome));
        items.push({ kind: 'done', result: { duplicate: false, outcome } });
      }
      if ((await inbox.recordMany(tx, records)) !== records.length) throw new LostRace(); // another consumer won one
      faultPoint('inbox.before-commit'); // test instrumentation: the batch's work and inbox rows written, not committed
      return items;
    });
  }

  /** The batch in one transaction, each delivery under its own savepoint. */
  private async processWithSavepoints(deliveries: readonly AxisDelivery[]): Promise<InboxBatchItem[]> {
    const { unitOfWork } = this.options;
    const savepoint = unitOfWork.savepoint?.bind(unitOfWork);
    if (!savepoint) throw new Error('processBatch needs a unit of work with savepoints');
    const items = await unitOfWork.run(async (tx) => {
      const done: InboxBatchItem[] = []; // rebuilt if the unit of work retries the whole transaction
      for (const delivery of deliveries) {
        try {
          done.push({ kind: 'done', result: await savepoint(tx, (inner) => this.processIn(inner, delivery)) });
        } catch (error) {
          if (error instanceof LostRace) done.push({ kind: 'lost-race' });
          else if (isDomainError(error) && error.kind === 'unavailable') throw error; // the whole batch is in doubt
          else done.push({ kind: 'failed', error });
        }
      }
      faultPoint('inbox.before-commit'); // test instrumentation: the batch's work and inbox rows written, not committed
      return done;
    });
    return Promise.all(items.map(async (item, i): Promise<InboxBatchItem> => {
      if (item.kind !== 'lost-race') return item;
      try {
        return { kind: 'done', result: await this.winnerOf(deliveries[i]!, new LostRace()) };
      } catch (error) {
        return { kind: 'failed', error };
      }
    }));
  }

  private get batching(): boolean {
    return (this.options.batchSize ?? 1) > 1 && this.options.unitOfWork.savepoint !== undefined;
  }

  /** The work of one delivery inside `tx`: dedupe by message id, handler, inbox record. */
  private async processIn(tx: Tx, delivery: AxisDelivery): Promise<InboxResult> {
    const { inbox, handler } = this.options;
    const { headers } = delivery;
    const earlier = await inbox.find(tx, headers.to, headers.messageId);
    if (earlier) return { duplicate: true, outcome: earlier.outcome };
    const outcome = await handler(tx, delivery);
    if ((await inbox.record(tx, this.recordOf(delivery, outcome))) === 'duplicate') throw new LostRace();
    return { duplicate: false, outcome };
  }

  private recordOf(delivery: AxisDelivery, outcome: InboxOutcome): InboxRecord {
    const { headers } = delivery;
    return {
      messageId: headers.messageId, recipient: headers.to, sender: headers.from, messageType: headers.messageType,
      packageDigest: headers.packageDigest, outcome, receivedAt: this.options.clock?.() ?? new Date(),
    };
  }

  /** Another consumer committed the same message first: ours was rolled back; theirs is the outcome. */
  private async winnerOf(delivery: AxisDelivery, race: LostRace): Promise<InboxResult> {
    const { unitOfWork, inbox } = this.options;
    const winner = await unitOfWork.run((tx) => inbox.find(tx, delivery.headers.to, delivery.headers.messageId));
    if (!winner) throw race;
    return { duplicate: true, outcome: winner.outcome };
  }

  /** Batching: queues the delivery; resolves with its verdict once its batch committed (or failed). */
  private enqueue(delivery: AxisDelivery): Promise<AxisDeliveryVerdict> {
    return new Promise((settle) => {
      const organId = delivery.headers.to;
      let queue = this.queues.get(organId);
      if (!queue) { queue = { waiting: [], running: false }; this.queues.set(organId, queue); }
      queue.waiting.push({ delivery, settle });
      this.preflightAhead(queue.waiting);
      this.drain(organId);
    });
  }

  /** One batch of the agency at a time: whatever waits when the previous one ends (up to batchSize) goes next. */
  private drain(organId: string): void {
    const queue = this.queues.get(organId);
    if (!queue) return;
    if (this.stopping) {
      // Stopped: the consumers' channels are closed, so the broker redelivers whatever still waits here.
      for (const w of queue.waiting.splice(0)) w.settle('requeue');
      return;
    }
    if (queue.running || queue.waiting.length === 0) return;
    queue.running = true;
    // Documents first, then status messages (in arrival order within each): what the handlers lock for the
    // agency (a sender's deliveries, for statuses) is then locked as late in the transaction as can be, so
    // another consumer of the agency (a second process) waits as little as can be.
    const batch = queue.waiting.splice(0, this.options.batchSize ?? 1).sort((a, b) => documentsFirst(a.delivery, b.delivery));
    this.preflightAhead(queue.waiting); // the next batch, while this one runs
    void this.settleBatch(batch).finally(() => {
      queue.running = false;
      this.drain(organId);
    });
  }

  /** Preflight for the deliveries that will make up the next batch of a queue (its head). */
  private preflightAhead(waiting: Waiting[]): void {
    const { preflight, batchSize = 1 } = this.options;
    if (!preflight) return;
    for (const w of waiting.slice(0, batchSize)) {
      if (w.preflown) continue;
      w.preflown = true;
      preflight(w.delivery);
    }
  }

  private async settleBatch(batch: readonly Waiting[]): Promise<void> {
    if (batch.length === 1) {
      // Alone: its own transaction, without the two savepoint statements that would buy nothing.
      const only = batch[0]!;
      only.settle(await this.settle(only.delivery).catch((): AxisDeliveryVerdict => 'requeue'));
      return;
    }
    let items: InboxBatchItem[];
    try {
      items = await this.processBatch(batch.map((w) => w.delivery));
    } catch {
      // Nothing of the batch committed: each delivery again on its own (with the outage wait-out).
      await Promise.all(batch.map(async (w) => w.settle(await this.settle(w.delivery).catch((): AxisDeliveryVerdict => 'requeue'))));
      return;
    }
    await Promise.all(batch.map(async (w, i) => {
      const item = items[i]!;
      if (item.kind !== 'done') {
        this.options.onError?.(item.kind === 'failed' ? item.error : new Error('lost race'), w.delivery);
        w.settle('requeue');
        return;
      }
      w.settle(await this.acknowledge(w.delivery, item.result));
    }));
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
        const delay = delays[Math.min(attempt, delays.length - 1)];
        if (!isDomainError(error) || error.kind !== 'unavailable' || delay === undefined || this.stopping) return 'requeue';
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return this.acknowledge(delivery, result);
  }

  /** After the commit: the caller's afterCommit, then the ack. */
  private async acknowledge(delivery: AxisDelivery, result: InboxResult): Promise<AxisDeliveryVerdict> {
    faultPoint('inbox.before-ack'); // test instrumentation: committed, not acknowledged
    if (this.options.afterCommit) {
      await this.options.afterCommit(delivery, result).catch((error: unknown) => this.options.onError?.(error, delivery));
    }
    return 'ack';
  }
}
