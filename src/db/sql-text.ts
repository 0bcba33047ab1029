// Statements of SQL text run on a knex transaction's (or pool's) connection without knex's query runner.
// For the statements of every exchanged document: knex spends ~0.06 ms of CPU a statement around a raw
// one (its Raw object, runner, connection and transaction checks, events) on top of ~0.1 ms sending it and
// reading the answer (docs/exchange.md, Figures, 7 Dec). What is kept: `?` bindings (knex's positions,
// `\?` for a literal question mark), the `query` event (what counts statements hears them), the client's
// `_query` (so statements are still named and pipelined, src/db/prepared-statements.ts), and the refusal
// of a statement on a transaction that has ended.
import type { Knex } from 'knex';

interface QueryObject {
  sql: string;
  bindings: readonly unknown[];
  options: Record<string, unknown>;
  method: 'raw';
  response?: unknown;
}

interface KnexClientInternals {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
  positionBindings(sql: string): string;
  _query(connection: unknown, query: QueryObject): Promise<QueryObject>;
  processResponse(query: QueryObject, runner: unknown): unknown;
  emit(event: 'query', query: object): boolean;
}

export interface SqlAnswer<R> {
  readonly rows: R[];
  readonly rowCount: number | null;
}

const POSITIONED_MAX = 1024;
const positioned = new Map<string, string>();

/** `sql` with `?` bindings, on `db` (a transaction, or the root knex: a connection of its pool for the statement). */
export async function runSql<R = Record<string, unknown>>(db: Knex, sql: string, bindings: readonly unknown[], options: Record<string, unknown> = {}): Promise<SqlAnswer<R>> {
  const transaction = db as { isCompleted?: () => boolean };
  if (transaction.isCompleted?.() === true) throw new Error(`statement on a transaction that has ended: ${sql}`);
  if (bindings.includes(undefined)) throw new Error(`undefined binding in: ${sql}`);
  const client = db.client as KnexClientInternals;
  let text = positioned.get(sql);
  if (text === undefined) {
    text = client.positionBindings(sql);
    if (positioned.size < POSITIONED_MAX) positioned.set(sql, text);
  }
  const query: QueryObject = { sql: text, bindings, options: { ...options }, method: 'raw' };
  const connection = await client.acquireConnection();
  try {
    client.emit('query', { sql: text, bindings, __knexTxId: (connection as { __knexTxId?: string }).__knexTxId });
    return client.processResponse(await client._query(connection, query), undefined) as SqlAnswer<R>;
  } finally {
    await client.releaseConnection(connection);
  }
}

const insertTexts = new Map<string, string>();
const isSqlExpression = (value: unknown): boolean => typeof value === 'object' && value !== null && typeof (value as { toSQL?: unknown }).toSQL === 'function';

/**
 * `INSERT INTO table (…) VALUES (…), … <tail>` for rows of the same columns, run by `runSql`: a column
 * left undefined in every row is left out (its default), as knex's builder does; a knex expression
 * (`knex.fn.now()`) is written into the text (CURRENT_TIMESTAMP), not bound. The text is made once per
 * shape. Identifiers are ours (table and column names), quoted.
 */
export async function insertRows<R = Record<string, unknown>>(db: Knex, table: string, rows: readonly Record<string, unknown>[], tail = '', options: Record<string, unknown> = {}): Promise<SqlAnswer<R>> {
  const first = rows[0];
  if (!first) throw new Error(`insertRows: no rows for ${table}`);
  // Loops, not callbacks: a closure made per call loses its optimised code at each full GC (docs/exchange.md).
  const columns: string[] = [];
  const expressions: (string | null)[] = [];
  for (const column of Object.keys(first)) {
    const value = first[column];
    if (value === undefined) continue;
    columns.push(column);
    expressions.push(isSqlExpression(value) ? (value as { toSQL(): { sql: string } }).toSQL().sql : null);
  }
  const key = `${table}\u0000${columns.join(',')}\u0000${expressions.join(',')}\u0000${rows.length}\u0000${tail}`;
  let text = insertTexts.get(key);
  if (text === undefined) {
    const tuple = `(${expressions.map((expression) => expression ?? '?').join(', ')})`;
    text = `INSERT INTO "${table}" (${columns.map((column) => `"${column}"`).join(', ')}) VALUES ${Array.from({ length: rows.length }, () => tuple).join(', ')}${tail ? ` ${tail}` : ''}`;
    if (insertTexts.size < POSITIONED_MAX) insertTexts.set(key, text);
  }
  const bindings: unknown[] = [];
  for (const row of rows) {
    let defined = 0;
    for (const column in row) if (row[column] !== undefined) defined += 1;
    if (defined !== columns.length) throw new Error(`insertRows: the rows for ${table} differ in their columns`);
    for (let i = 0; i < columns.length; i += 1) {
      if (expressions[i] !== null) continue;
      const value = row[columns[i] as string];
      if (value === undefined) throw new Error(`insertRows: the rows for ${table} differ in their columns`);
      bindings.push(value);
    }
  }
  return runSql<R>(db, text, bindings, options);
}
