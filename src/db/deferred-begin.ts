// A transaction's BEGIN rides with its first statement. knex sends `BEGIN;` as a statement of its own and
// waits for the answer before the transaction's first statement: one round trip to PostgreSQL per
// transaction that carries nothing (each round trip wakes the server and then the node: on this 2-core
// machine that is kernel time and a context switch on both sides). Here the BEGIN is held back and
// written in the same packet as the first statement — with the extended protocol, Parse/Bind/Execute of
// BEGIN then the statement's own messages and one Sync; with the simple protocol, one `BEGIN; …` text —
// and BEGIN's own CommandComplete is not counted in the statement's result. If BEGIN fails, the
// statement fails with its error (the server skips to the Sync), and knex rolls back as for any failed
// statement. A transaction that ends before any statement (COMMIT or ROLLBACK with BEGIN still held)
// sends nothing: nothing was begun on the server. A named statement not yet parsed on the connection
// takes the usual separate BEGIN, so that pg's record of parsed statements (set on the first
// ParseComplete of the exchange) cannot name a statement the server then refused.
import { createRequire } from 'node:module';

/** pg's connection of a client (the messages it writes and what it has parsed). */
interface PgWire {
  readonly stream: { cork?: () => void; uncork?: () => void };
  readonly parsedStatements: Record<string, string>;
  parse(query: { text: string; name?: string }): void;
  bind(config: { portal?: string; statement?: string; values?: unknown[] }): void;
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
}

const { Query } = createRequire(import.meta.url)('pg') as { Query: new (config: PgQueryConfig) => PgQuery };

/** A statement with the held BEGIN written ahead of it. */
class BeginThenQuery extends Query {
  private beginAnswered = false;

  constructor(private readonly begin: string, config: PgQueryConfig) {
    super(config);
  }

  override submit(connection: PgWire): Error | null {
    if (!this.requiresPreparation()) {
      this.text = `${this.begin} ${this.text}`;
      return super.submit(connection);
    }
    connection.stream.cork?.();
    try {
      connection.parse({ text: this.begin });
      connection.bind({});
      connection.execute({});
      return super.submit(connection);
    } finally {
      connection.stream.uncork?.();
    }
  }

  override handleCommandComplete(message: unknown, connection: PgWire): void {
    if (!this.beginAnswered) {
      this.beginAnswered = true;
      return;
    }
    super.handleCommandComplete(message, connection);
  }
}

/** BEGIN held per connection until the transaction's first statement. */
const heldBegins = new WeakMap<PgSession, string>();

const BEGIN = /^\s*BEGIN\b/i;
const END = /^\s*(COMMIT|ROLLBACK)\s*;?\s*$/i;

export interface Statement {
  sql: string;
  bindings: readonly unknown[];
  options: Record<string, unknown>;
}

export type Answer = { kind: 'held'; command: string } | { kind: 'begin first'; begin: string } | { kind: 'with begin'; begin: string } | { kind: 'plain' };

/**
 * What to do with a statement on a connection: hold a BEGIN (answered at once, sent later), end a
 * transaction that never reached the server, send the held BEGIN ahead of this statement (in the same
 * packet, or first when the statement's name is not yet parsed there), or send it as it is.
 */
export function planStatement(session: PgSession, sql: string, name: string | undefined): Answer {
  const held = heldBegins.get(session);
  if (held === undefined) {
    if (BEGIN.test(sql)) {
      heldBegins.set(session, sql);
      return { kind: 'held', command: 'BEGIN' };
    }
    return { kind: 'plain' };
  }
  heldBegins.delete(session);
  const end = END.exec(sql);
  if (end) return { kind: 'held', command: (end[1] as string).toUpperCase() };
  if (name !== undefined && session.connection.parsedStatements[name] === undefined) return { kind: 'begin first', begin: held };
  return { kind: 'with begin', begin: held };
}

/** Runs a statement with BEGIN written ahead of it; the answer is the statement's alone. */
export function runWithBegin(session: PgSession, begin: string, statement: Statement): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.query(new BeginThenQuery(begin, {
      ...statement.options,
      text: statement.sql,
      values: statement.bindings,
      callback: (error, response) => (error ? reject(error) : resolve(response)),
    }));
  });
}

/** What pg answers to a transaction command (the only field knex reads of it is `command`). */
export function heldAnswer(command: string): object {
  return { command, rowCount: null, rows: [], fields: [] };
}
