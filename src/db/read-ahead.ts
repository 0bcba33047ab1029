// Rows a transaction will ask for one by one, read together: the keys are announced first (an inbox batch
// announces the deliveries its statuses apply to and the receipts its new documents are checked against,
// src/services/exchange-receiving.ts `beforeBatch`), and the first lookup of an announced key reads every
// key announced in its scope (one agency) with one statement. What was read is kept (null: no row) for the
// rest of the transaction; the repository writes its own changes through `known`. One instance serves one
// transaction or one savepoint, so nothing here outlives a rollback.

export class ReadAhead<K, V> {
  /** Rows read so far (null: none), by key: the repository keeps them as it writes them. */
  readonly known = new Map<string, V | null>();
  /** Per scope: keys announced, not read yet. */
  private readonly announced = new Map<string, Map<string, K>>();

  constructor(private readonly keyOf: (scope: string, key: K) => string) {}

  announce(scope: string, keys: readonly K[]): void {
    let pending = this.announced.get(scope);
    if (!pending) { pending = new Map(); this.announced.set(scope, pending); }
    for (const k of keys) {
      const key = this.keyOf(scope, k);
      if (!this.known.has(key)) pending.set(key, k);
    }
  }

  /**
   * The row of `key` when it was announced: with every key announced in its scope, read by `readAll` (the
   * rows found, each with its key). Undefined when it was not announced: the caller reads it alone.
   */
  async read(scope: string, key: K, readAll: (keys: K[]) => Promise<Array<{ readonly key: K; readonly value: V }>>): Promise<V | null | undefined> {
    const pending = this.announced.get(scope);
    if (!pending?.has(this.keyOf(scope, key))) return undefined;
    const keys = [...pending.values()];
    pending.clear();
    const rows = await readAll(keys);
    for (const k of keys) this.known.set(this.keyOf(scope, k), null);
    for (const row of rows) this.known.set(this.keyOf(scope, row.key), row.value);
    return this.known.get(this.keyOf(scope, key)) ?? null;
  }
}
