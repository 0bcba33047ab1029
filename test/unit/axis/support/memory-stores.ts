// In-memory fakes of the outbox, inbox and unit-of-work ports, with real transaction semantics (work is
// staged and applied on commit, dropped on rollback) so exactly-once claims are tested honestly.
import { inboxKey, type InboxKey, type InboxRecord, type InboxStore, type UnitOfWork } from '../../../../src/domain/axis-inbox.ts';
import type { AxisHeaders, AxisPayload } from '../../../../src/domain/axis-transport.ts';
import type { OutboxEntry, OutboxState, OutboxStore } from '../../../../src/domain/outbox.ts';

export interface MemoryTx {
  readonly staged: Array<() => void>;
  readonly onEnd: Array<(committed: boolean) => void>;
  /** The transaction a savepoint belongs to (what it sees of its own uncommitted writes). */
  readonly root?: MemoryTx;
}

export class MemoryUnitOfWork implements UnitOfWork<MemoryTx> {
  commits = 0;
  rollbacks = 0;
  readonly log: string[] = [];
  /** When set, the next commit fails (as a database outage would) and the work is rolled back. */
  failNextCommit = false;
  /** The next `n` commits fail with this error (e.g. DomainError db.unavailable). */
  failingCommits: { n: number; error: Error } = { n: 0, error: new Error('unused') };

  async run<T>(work: (tx: MemoryTx) => Promise<T>): Promise<T> {
    const tx: MemoryTx = { staged: [], onEnd: [] };
    let result: T;
    try {
      result = await work(tx);
      if (this.failNextCommit) {
        this.failNextCommit = false;
        throw new Error('simulated commit failure');
      }
      if (this.failingCommits.n > 0) {
        this.failingCommits.n -= 1;
        throw this.failingCommits.error;
      }
    } catch (error) {
      this.rollbacks += 1;
      this.log.push('rollback');
      for (const end of tx.onEnd) end(false);
      throw error;
    }
    for (const apply of tx.staged) apply();
    this.commits += 1;
    this.log.push('commit');
    for (const end of tx.onEnd) end(true);
    return result;
  }

  /** A savepoint: its work joins the transaction when it resolves, and is dropped alone when it throws. */
  async savepoint<T>(tx: MemoryTx, work: (tx: MemoryTx) => Promise<T>): Promise<T> {
    const inner: MemoryTx = { staged: [], onEnd: [], root: tx.root ?? tx };
    try {
      const result = await work(inner);
      tx.staged.push(...inner.staged);
      tx.onEnd.push(...inner.onEnd);
      return result;
    } catch (error) {
      this.log.push('rollback to savepoint');
      for (const end of inner.onEnd) end(false);
      throw error;
    }
  }
}

/**
 * Inbox with a unique (recipient, message id) like the PostgreSQL table: a second transaction recording
 * the same key waits for the first to end, then gets `duplicate` (first committed) or the key (rolled back).
 */
export class MemoryInboxStore implements InboxStore<MemoryTx> {
  readonly committed = new Map<string, InboxRecord>();
  private readonly reserved = new Map<string, Promise<boolean>>();
  /** Uncommitted records, visible to their own transaction (as PostgreSQL shows a transaction its own rows). */
  private readonly own = new WeakMap<MemoryTx, Map<string, InboxRecord>>();

  async find(tx: MemoryTx, recipient: string, messageId: string): Promise<InboxRecord | undefined> {
    const key = `${recipient}|${messageId}`;
    return this.committed.get(key) ?? this.ownOf(tx).get(key);
  }

  async findMany(tx: MemoryTx, keys: readonly InboxKey[]): Promise<Map<string, InboxRecord>> {
    const found = new Map<string, InboxRecord>();
    for (const key of keys) {
      const record = await this.find(tx, key.recipient, key.messageId);
      if (record) found.set(inboxKey(key), record);
    }
    return found;
  }

  async recordMany(tx: MemoryTx, records: readonly InboxRecord[]): Promise<number> {
    let recorded = 0;
    for (const record of records) if ((await this.record(tx, record)) === 'recorded') recorded += 1;
    return recorded;
  }

  async record(tx: MemoryTx, record: InboxRecord): Promise<'recorded' | 'duplicate'> {
    const key = `${record.recipient}|${record.messageId}`;
    const own = this.ownOf(tx);
    if (own.has(key)) return 'duplicate';
    for (let holder = this.reserved.get(key); holder; holder = this.reserved.get(key)) await holder;
    if (this.committed.has(key)) return 'duplicate';
    let end: (committed: boolean) => void = () => undefined;
    this.reserved.set(key, new Promise<boolean>((resolve) => { end = resolve; }));
    own.set(key, record);
    tx.staged.push(() => this.committed.set(key, record));
    tx.onEnd.push((committed) => {
      own.delete(key);
      this.reserved.delete(key);
      end(committed);
    });
    return 'recorded';
  }

  private ownOf(tx: MemoryTx): Map<string, InboxRecord> {
    const root = tx.root ?? tx;
    let own = this.own.get(root);
    if (!own) this.own.set(root, (own = new Map()));
    return own;
  }
}

export interface MemoryOutboxRow {
  readonly id: string;
  readonly headers: AxisHeaders;
  readonly payload: AxisPayload;
  attempts: number;
  state: OutboxState;
  nextAttemptAt: number;
  leaseUntil: number;
  lastError: string | undefined;
  sentAt: number | undefined;
}

export class MemoryOutboxStore implements OutboxStore {
  readonly rows = new Map<string, MemoryOutboxRow>();

  /** `leaseUntil`: written already leased (handed off to a relay). */
  add(id: string, headers: AxisHeaders, payload: AxisPayload, leaseUntil = 0): void {
    this.rows.set(id, { id, headers, payload, attempts: 0, state: 'pending', nextAttemptAt: 0, leaseUntil, lastError: undefined, sentAt: undefined });
  }

  async claimDue(now: Date, limit: number, leaseMs: number): Promise<OutboxEntry[]> {
    const t = now.getTime();
    const due = [...this.rows.values()].filter((r) => r.state === 'pending' && r.nextAttemptAt <= t && r.leaseUntil <= t).slice(0, limit);
    for (const row of due) row.leaseUntil = t + leaseMs;
    return due.map((r) => ({ id: r.id, headers: r.headers, payload: r.payload, attempts: r.attempts }));
  }

  markSentCalls = 0;

  async markSent(ids: readonly string[], at: Date): Promise<void> {
    this.markSentCalls += 1;
    for (const id of ids) {
      const row = this.row(id);
      row.state = 'sent';
      row.sentAt = at.getTime();
    }
  }

  async scheduleRetry(id: string, attempts: number, nextAttemptAt: Date, reason: string): Promise<void> {
    const row = this.row(id);
    Object.assign(row, { attempts, nextAttemptAt: nextAttemptAt.getTime(), lastError: reason, leaseUntil: 0 });
  }

  async markFailed(id: string, attempts: number, _at: Date, reason: string): Promise<void> {
    Object.assign(this.row(id), { attempts, state: 'failed', lastError: reason, leaseUntil: 0 });
  }

  async release(ids: readonly string[]): Promise<void> {
    for (const id of ids) { const row = this.row(id); if (row.state === 'pending') row.leaseUntil = 0; }
  }

  inState(state: OutboxState): MemoryOutboxRow[] {
    return [...this.rows.values()].filter((r) => r.state === state);
  }

  private row(id: string): MemoryOutboxRow {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no outbox row ${id}`);
    return row;
  }
}
