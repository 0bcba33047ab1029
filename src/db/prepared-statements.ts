// Named prepared statements for PostgreSQL (pg through knex). Knex sends every statement unnamed, so the
// server parses and plans it on each execution; planning alone was about a fifth of PostgreSQL's CPU in
// `npm run bench:exchange` (pg_stat_statements: ~3.5 s of planning for ~550 documents). A statement
// text that comes back is given a name derived from its text: pg prepares it once per connection, and
// after five executions PostgreSQL may keep a generic plan and stop planning it.
// Bounds: a text is named from its second use (one-off statements stay unnamed) and each connection
// holds at most MAX_PER_CONNECTION named statements (further texts run unnamed), so variable IN-lists
// cannot grow a connection's plan cache without limit. A schema change through `migrateToLatest` starts a
// new generation of names (`forgetPreparedStatements`), so no statement prepared before a migration is
// executed after it ("cached plan must not change result type"). A schema changed by another process
// (a newer node migrating the shared database) makes PostgreSQL refuse such a statement once: that error
// starts a new generation too, the statement is run again at once outside a transaction, and
// `runTransaction` runs a transaction again (`isStalePreparedPlan`). Not for a pooler in transaction
// mode (PgBouncer): named statements live on one server connection.
// One index to choose: a named statement's generic plan is made once, with the statistics of that moment,
// and kept until the table is analyzed again — never where autovacuum is off (this machine's PostgreSQL).
// Made while `documents` was small, the lookup `agency_organ_id = ? AND id = ?` tied between the primary
// key and the (agency_organ_id, edxml_document_id) index and took the latter, `id` as a filter: every lookup
// then read all of the agency's documents (~170 buffers a lookup after ~2,000 documents, 0.7 ms, growing with
// the table; pg_stat_statements and auto_explain in `npm run bench:exchange`, 7 Dec). Lookups by primary key
// test the agency with IS NOT DISTINCT FROM (on a NOT NULL column the same test as `=`), which no index
// serves, so the primary key is the only index the plan can use.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import { lightTransaction } from './light-transactions.ts';
import { heldAnswer, planStatement, runCarried, runCarrying, type PgSession } from './pipelined-statements.ts';

const MAX_PER_CONNECTION = 256;
const MAX_TRACKED_TEXTS = 4096;

interface QueryObject {
  sql?: string;
  bindings?: readonly unknown[];
  options?: Record<string, unknown>;
  /** What pg answered (set by knex's `_query`, read by its `processResponse`). */
  response?: unknown;
}

interface PgClientLike {
  /** Set by knex while the connection runs a transaction. */
  __knexTxId?: string;
}

type RunQuery = (connection: PgClientLike, query: QueryObject) => Promise<unknown>;

interface Naming {
  generation: number;
  /** Statement text → uses so far (1) or its name (from the second use). */
  readonly texts: Map<string, number | string>;
}

/** The names prepared on each connection (a connection can serve several knex clients: migrations). */
const preparedOn = new WeakMap<PgClientLike, Set<string>>();

/** Per knex instance, keyed by its config (shared by the client and the clients of its transactions). */
const namings = new WeakMap<object, Naming>();

// knex's pg dialect; its transactions use clients made from the dialect's prototype (makeTxClient), so
// the naming is a subclass, not a patch of one client object.
const PgDialect = createRequire(import.meta.url)('knex/lib/dialects/postgres/index.js') as typeof Knex.Client;
const unnamedQuery = (PgDialect.prototype as unknown as { _query: RunQuery })._query;

/**
 * knex's `pg` client, naming the statements it sends again (see the file's comment) and sending
 * a transaction's BEGIN and its audit entries with the next statement (src/db/pipelined-statements.ts):
 * `client` of knex's config.
 */
export class PreparingPgClient extends PgDialect {
  /** Its transactions' `trx` inherit knex's methods instead of having them made again (src/db/light-transactions.ts). */
  override transaction(container: unknown, config: unknown, outerTx: unknown): Knex.Transaction {
    return lightTransaction(this, container, config, outerTx);
  }

  _query(connection: PgClientLike & PgSession, query: QueryObject): Promise<unknown> {
    let naming = namings.get(this.config);
    if (!naming) { naming = { generation: 0, texts: new Map() }; namings.set(this.config, naming); }
    return runNamed(naming, (q) => this.send(connection, q), connection, query);
  }

  private async send(connection: PgClientLike & PgSession, query: QueryObject): Promise<unknown> {
    const { sendWithNext, ...options } = query.options ?? {};
    query.options = options;
    const statement = { sql: query.sql ?? '', bindings: query.bindings ?? [], name: options.name as string | undefined };
    const plan = planStatement(connection, statement, { inTransaction: connection.__knexTxId !== undefined, sendWithNext: sendWithNext === true });
    switch (plan.kind) {
      case 'plain':
        return unnamedQuery.call(this, connection, query);
      case 'held':
        query.response = heldAnswer(plan.command);
        return query;
      case 'carried first':
      case 'carrying':
        try {
          if (plan.kind === 'carrying') query.response = await runCarrying(connection, plan.carried, statement, options);
          else await runCarried(connection, plan.carried);
        } catch (error) {
          // A COMMIT not run because a held statement failed leaves the transaction open and aborted; knex
          // sends nothing after a failed COMMIT, and the connection would go back to the pool so.
          if (plan.commit) await unnamedQuery.call(this, connection, { sql: 'ROLLBACK' }).catch(() => undefined);
          throw error;
        }
        return plan.kind === 'carrying' ? query : unnamedQuery.call(this, connection, query);
    }
  }
}

async function runNamed(naming: Naming, unnamed: (query: QueryObject) => Promise<unknown>, connection: PgClientLike, query: QueryObject): Promise<unknown> {
  const name = nameFor(naming, connection, query);
  if (!name) return unnamed(query);
  query.options = { ...query.options, name };
  try {
    return await unnamed(query);
  } catch (error) {
    if (!isStalePreparedPlan(error)) throw error;
    forget(naming);
    if (connection.__knexTxId !== undefined) throw error; // the transaction is aborted: runTransaction runs it again
    const { name: _stale, ...options } = query.options;
    query.options = options;
    return unnamed(query);
  }
}

/** PostgreSQL refused a prepared statement whose tables changed since it was prepared. */
export function isStalePreparedPlan(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan must not change result type');
}

/** After a schema change: statements are prepared again under new names. */
export function forgetPreparedStatements(knex: Knex): void {
  const naming = namings.get((knex.client as { config: object }).config);
  if (naming) forget(naming);
}

function forget(naming: Naming): void {
  naming.generation += 1;
  naming.texts.clear();
}

function nameFor(naming: Naming, connection: PgClientLike, query: QueryObject): string | undefined {
  const text = query.sql;
  if (!text || !query.bindings || query.bindings.length === 0 || query.options?.name !== undefined) return undefined;
  const seen = naming.texts.get(text);
  let name: string;
  if (typeof seen === 'string') name = seen;
  else if (seen === undefined) {
    if (naming.texts.size >= MAX_TRACKED_TEXTS) naming.texts.clear();
    naming.texts.set(text, 1);
    return undefined;
  } else {
    name = `edoc${naming.generation}_${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
    naming.texts.set(text, name);
  }
  let names = preparedOn.get(connection);
  if (!names) { names = new Set(); preparedOn.set(connection, names); }
  if (names.has(name)) return name;
  if (names.size >= MAX_PER_CONNECTION) return undefined;
  names.add(name);
  return name;
}

/**
 * A lookup by primary key `id` within an agency, for knex's builder: the agency tested so that no index
 * serves it ("One index to choose" at the top of this file).
 */
export function byPrimaryKey<Q extends Knex.QueryBuilder>(query: Q, id: string, agencyOrganId: string): Q {
  return query.where('id', id).whereRaw('agency_organ_id IS NOT DISTINCT FROM ?', [agencyOrganId]) as Q;
}
