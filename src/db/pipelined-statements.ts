// Statements of a transaction that need no answer of their own ride with the next one. knex sends
// `BEGIN;` as a statement and waits for its answer before the transaction's first statement; the audit
// entries of a transaction are its last statement, and knex waits for them before COMMIT. Each such wait
// is a round trip to PostgreSQL that carries nothing the node needs (each wakes the server and then the
// node: on this 2-core machine, kernel time and a context switch on both sides), and the one before
// COMMIT keeps the agency's audit chain head locked for a round trip more.
//
// So a BEGIN, and a statement marked `sendWithNext` (knex: `.options({ sendWithNext: true })`) inside a
// transaction, are answered at once and held; the next statement on the connection takes them along in
// the same packet — with the extended protocol, Parse (when not prepared there)/Bind/Execute of each held
// statement, then the statement's own messages and one Sync; a statement without bindings (simple
// protocol) sends the held ones first when there are any besides BEGIN. Their own answers (CommandComplete,
// rows) are not counted in the statement's result. If a held statement fails, the server skips to the
// Sync and the statement carrying it fails with that error: the transaction fails as it would have
// (knex rolls back as for any failed statement; a COMMIT that carried it is followed by a ROLLBACK here,
// since knex sends none after a failed COMMIT). A transaction that ends with ROLLBACK drops what is held;
// one that ends before any statement sends nothing. A named statement not yet parsed on the connection
// sends what is held first, on its own, so that pg's record of parsed statements (set on the first
// ParseComplete of an exchange) cannot name a statement the server then refused.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** pg's connection of a client (the messages it writes and what it has parsed). */
interface PgWire {
  readonly stream: { cork?: () => void; uncork?: () => void };
  readonly parsedStatements: Record<string, string>;
  parse(query: { text: string; name?: string }): void;
  bind(config: { statement?: string; values?: readonly unknown[]; valueMapper?: (value: unknown) => unknown }): void;
  execute(config: { portal?: string; rows?: number }): void;
}

/** The part of pg's Client this file uses. */
export interface PgSession {
  readonly connection: PgWire;
  query(query: object): unknown;
}

interface PgQueryConfig {
  text: string;
  values: readonly unknown[];
  name?: string;
  callback: (error: Error | null, response: unknown) => void;
}

interface PgQuery {
  text: string;
  requiresPreparation(): boolean;
  submit(connection: PgWire): Error | null;
  handleCommandComplete(message: unknown, connection: PgWire): void;
  handleDataRow(message: unknown): void;
}

const { Query } = require('pg') as { Query: new (config: PgQueryConfig) => PgQuery };
const { prepareValue } = require('pg/lib/utils.js') as { prepareValue: (value: unknown) => unknown };

/**
 * knex's `.options(SEND_WITH_NEXT)`: a statement in a transaction whose answer nothing reads (an insert or
 * update without RETURNING whose errors are not caught one by one) — it goes with the next statement.
 */
export const SEND_WITH_NEXT: Readonly<{ sendWithNext: true }> = { sendWithNext: true };

export interface Statement {
  readonly sql: string;
  readonly bindings: readonly unknown[];
  /** Its prepared statement's name (src/db/prepared-statements.ts), if it has one. */
  readonly name?: string | undefined;
}

/** A statement with held ones written ahead of it, in one packet; the answer is its own alone. */
class CarryingQuery extends Query {
  private unanswered: number;

  constructor(private readonly carried: readonly Statement[], config: PgQueryConfig) {
    super(config);
    this.unanswered = carried.length;
  }

  override submit(connection: PgWire): Error | null {
    if (!this.requiresPreparation()) { // simple protocol: only statements without bindings (BEGIN) are carried, as text
      this.text = [...this.carried.map((s) => s.sql), this.text].join(' ');
      return super.submit(connection);
    }
    connection.stream.cork?.();
    try {
      for (const s of this.carried) {
        const prepared = s.name !== undefined && connection.parsedStatements[s.name] !== undefined;
        if (!prepared) connection.parse({ text: s.sql });
        connection.bind({ statement: prepared ? s.name : '', values: s.bindings, valueMapper: prepareValue });
        connection.execute({});
      }
      return super.submit(connection);
    } finally {
      connection.stream.uncork?.();
    }
  }

  override handleDataRow(message: unknown): void {
    if (this.unanswered === 0) super.handleDataRow(message);
  }

  override handleCommandComplete(message: unknown, connection: PgWire): void {
    if (this.unanswered > 0) {
      this.unanswered -= 1;
      return;
    }
    super.handleCommandComplete(message, connection);
  }
}

/** What is held per connection until its next statement. */
interface Held {
  begin?: string;
  readonly statements: Statement[];
}
const heldOn = new WeakMap<PgSession, Held>();

const BEGIN = /^\s*BEGIN\b/i;
const COMMIT = /^\s*COMMIT\s*;?\s*$/i;
const ROLLBACK = /^\s*ROLLBACK\s*;?\s*$/i;

export type Plan =
  | { readonly kind: 'plain' }
  | { readonly kind: 'held'; readonly command: string }
  | { readonly kind: 'carried first'; readonly carried: readonly Statement[]; readonly commit: boolean }
  | { readonly kind: 'carrying'; readonly carried: readonly Statement[]; readonly commit: boolean };

/**
 * What to do with a statement on a connection (`inTransaction`: knex runs a transaction on it): hold it
 * (a BEGIN, or a `sendWithNext` statement: answered at once, sent with the next), end a transaction that
 * never reached the server, send what is held with it (in one packet), or first and on its own, or send
 * it as it is.
 */
export function planStatement(session: PgSession, statement: Statement, options: { inTransaction: boolean; sendWithNext: boolean }): Plan {
  const held = heldOn.get(session);
  if (BEGIN.test(statement.sql) && !held) {
    heldOn.set(session, { begin: statement.sql, statements: [] });
    return { kind: 'held', command: 'BEGIN' };
  }
  // (A named statement is held once it is prepared on the connection: until then it is sent at once, so
  // that it is prepared under its name, and carried later by Bind alone.)
  if (options.sendWithNext && options.inTransaction && isParsed(session, statement)) {
    if (held) held.statements.push(statement);
    else heldOn.set(session, { statements: [statement] });
    return { kind: 'held', command: (/^\s*(\w+)/.exec(statement.sql)?.[1] ?? '').toUpperCase() };
  }
  if (!held) return { kind: 'plain' };
  heldOn.delete(session);
  const carried = [...(held.begin ? [{ sql: held.begin, bindings: [] }] : []), ...held.statements];
  if (ROLLBACK.test(statement.sql)) return held.begin ? { kind: 'held', command: 'ROLLBACK' } : { kind: 'plain' }; // nothing held survives it
  const commit = COMMIT.test(statement.sql);
  if (commit && held.statements.length === 0) return { kind: 'held', command: 'COMMIT' }; // BEGIN alone: nothing began
  // A text without bindings goes by the simple protocol, which carries only BEGIN (as text); COMMIT, one
  // statement for sure, is sent by the extended protocol instead, so that it carries the held statements.
  const simple = statement.bindings.length === 0 && statement.name === undefined && !commit;
  if (!isParsed(session, statement) || (simple && held.statements.length > 0)) return { kind: 'carried first', carried, commit };
  return { kind: 'carrying', carried, commit };
}

const isParsed = (session: PgSession, statement: Statement): boolean =>
  statement.name === undefined || session.connection.parsedStatements[statement.name] !== undefined;

/** Runs the held statements alone (one packet, one round trip): before a statement that cannot carry them. */
export function runCarried(session: PgSession, carried: readonly Statement[]): Promise<unknown> {
  const [last, ...before] = [...carried].reverse() as [Statement, ...Statement[]];
  const final = isParsed(session, last) ? last : { sql: last.sql, bindings: last.bindings }; // (see the file's comment)
  return runCarrying(session, before.reverse(), final, {});
}

/** Runs a statement with the held ones written ahead of it; the answer is the statement's alone. */
export function runCarrying(session: PgSession, carried: readonly Statement[], statement: Statement, options: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.query(new CarryingQuery(carried, {
      ...options,
      ...(COMMIT.test(statement.sql) ? { queryMode: 'extended' } : {}),
      text: statement.sql,
      values: statement.bindings,
      ...(statement.name !== undefined ? { name: statement.name } : {}),
      callback: (error, response) => (error ? reject(error) : resolve(response)),
    }));
  });
}

/** What pg answers to a command (knex reads `command`; a held statement's row count is not known yet). */
export function heldAnswer(command: string): object {
  return { command, rowCount: null, rows: [], fields: [] };
}
