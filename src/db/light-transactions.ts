// knex gives each transaction a `trx` that is a whole knex instance: a fresh function with ~100 query
// methods made for it, its property definitions, a context object with a dozen methods, an EventEmitter
// and four listeners (`makeKnex` in knex/lib/knex-builder/make-knex.js). That costs ~0.15 ms of the
// node's CPU per transaction and garbage after it (`npm run bench:sql`: 0.29 ms for knex.transaction
// around one select, 0.14 ms for BEGIN, the select and COMMIT through pg). Here a transaction's `trx` is
// a function whose prototype holds all of that, made once from a knex instance built the usual way; the
// transaction keeps what is its own: its client and context, commit, rollback, savepoint. Everything
// else — BEGIN/COMMIT/ROLLBACK, savepoints, the completed-transaction checks, the `query` events — is
// knex's own Transaction (pg dialect), whose `_onAcquire` is repeated below with that one change.
import { createRequire } from 'node:module';
import type { Knex } from 'knex';

const require = createRequire(import.meta.url);

/** knex's internals this relies on (knex pinned in package.json; test/integration/db/light-transactions.test.ts). */
interface KnexClient {
  transacting?: boolean;
  config: unknown;
  version: unknown;
  driver: unknown;
  connectionSettings: unknown;
  valueForUndefined: unknown;
  logger: { warn(message: string): void };
  constructor: { prototype: object };
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  emit(event: string, ...args: unknown[]): boolean;
  query(connection: unknown, obj: unknown): Promise<unknown>;
  stream(connection: unknown, obj: unknown, stream: unknown, options: unknown): Promise<unknown>;
  queryBuilder(): { table(name: string, options?: unknown): unknown };
}

interface TransactionInternals {
  client: KnexClient;
  outerTx: (TransactionInternals & { transactor?: Transactor }) | null;
  userParams?: object;
  trxClient?: KnexClient;
  transactor?: Transactor;
  _resolver?: (value: unknown) => void;
  _rejecter?: (reason: unknown) => void;
  isCompleted(): boolean;
  begin(connection: unknown): Promise<unknown>;
  savepoint(connection: unknown): Promise<unknown>;
  commit(connection: unknown, value?: unknown): Promise<unknown>;
  release(connection: unknown, value?: unknown): Promise<unknown>;
  rollback(connection: unknown, error?: unknown): Promise<unknown>;
  rollbackTo(connection: unknown, error?: unknown): Promise<unknown>;
  emit(event: string, ...args: unknown[]): boolean;
}

interface Context {
  client: KnexClient;
  userParams: object;
  transaction?: (container: unknown, options?: { doNotRejectOnRollback?: boolean }) => unknown;
  withUserParams?: () => never;
  _transaction(container: unknown, options: unknown, outerTx: unknown): unknown;
  queryBuilder(): { table(name: string, options?: unknown): unknown };
}

type Transactor = ((tableName?: string, options?: unknown) => unknown) & {
  context: Context;
  isTransaction?: boolean;
  userParams?: object;
  parentTransaction?: Transactor;
  executionPromise?: Promise<unknown>;
  commit?: (value?: unknown) => Promise<unknown>;
  rollback?: (error?: unknown) => Promise<unknown>;
  savepoint?: (container: unknown, options?: unknown) => unknown;
  transaction?: (container: unknown, options?: unknown) => unknown;
  isCompleted?: () => boolean;
  emit?: (event: string, ...args: unknown[]) => boolean;
  listenerCount?: (event: string) => number;
};

const makeKnex = require('knex/lib/knex-builder/make-knex.js') as (client: KnexClient) => Transactor;
const PgTransaction = require('knex/lib/dialects/postgres/execution/pg-transaction.js') as new (client: KnexClient, container: unknown, config: unknown, outerTx: unknown) => object;

/** Own properties of a knex instance that belong to one instance, not to the shared prototype. */
const PER_INSTANCE = new Set(['length', 'name', 'prototype', 'arguments', 'caller', 'context', '_internalListeners', '_events', '_eventsCount', '_maxListeners']);

interface Prototypes { readonly transactor: object; readonly context: object }
let prototypes: Prototypes | undefined;

/** The prototypes of every light transactor and its context, from one knex instance made by knex. */
function prototypesFrom(client: KnexClient): Prototypes {
  const template = makeKnex(client);
  const transactor = Object.create(Function.prototype) as object;
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(template))) {
    if (!PER_INSTANCE.has(key)) Object.defineProperty(transactor, key, descriptor);
  }
  const context = Object.create(Object.prototype) as object;
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(template.context))) {
    if (key !== 'client' && key !== 'userParams') Object.defineProperty(context, key, descriptor);
  }
  return { transactor, context };
}

function throwOnUserParams(): never {
  throw new Error('Cannot set user params on a transaction - it can only inherit params from main knex instance');
}

/** What knex's `makeTransactor` makes, with the shared parts inherited instead of made again. */
function lightTransactor(trx: TransactionInternals, connection: unknown, trxClient: KnexClient): Transactor {
  const shared = (prototypes ??= prototypesFrom(trxClient));
  const transactor = function knex(tableName?: string, options?: unknown): unknown {
    if (!tableName) {
      transactor.context.client.logger.warn('calling knex without a tableName is deprecated. Use knex.queryBuilder() instead.');
      return transactor.context.queryBuilder();
    }
    return transactor.context.queryBuilder().table(tableName, options);
  } as Transactor;
  Object.setPrototypeOf(transactor, shared.transactor);
  const context = Object.create(shared.context) as Context;
  context.client = trxClient;
  context.userParams = trx.userParams ?? {};
  context.withUserParams = throwOnUserParams;
  context.transaction = function transaction(this: Context, container: unknown, options?: { doNotRejectOnRollback?: boolean }) {
    const config = !options ? { doNotRejectOnRollback: true } : options.doNotRejectOnRollback === undefined ? { ...options, doNotRejectOnRollback: true } : options;
    return this._transaction(container, config, trx);
  };
  transactor.context = context;
  transactor.isTransaction = true;
  transactor.savepoint = (container: unknown, options?: unknown) => (transactor.transaction as NonNullable<Transactor['transaction']>)(container, options);
  if (trx.client.transacting) {
    transactor.commit = (value) => trx.release(connection, value);
    transactor.rollback = (error) => trx.rollbackTo(connection, error);
  } else {
    transactor.commit = (value) => trx.commit(connection, value);
    transactor.rollback = (error) => trx.rollback(connection, error);
  }
  transactor.isCompleted = () => trx.isCompleted();
  return transactor;
}

/** knex's `makeTxClient`: a client that runs on the transaction's connection only, and forwards its events. */
function transactionClient(trx: TransactionInternals, client: KnexClient, connection: unknown): KnexClient {
  const trxClient = Object.create(client.constructor.prototype) as KnexClient;
  trxClient.version = client.version;
  trxClient.config = client.config;
  trxClient.driver = client.driver;
  trxClient.connectionSettings = client.connectionSettings;
  trxClient.transacting = true;
  trxClient.valueForUndefined = client.valueForUndefined;
  trxClient.logger = client.logger;
  // The events go to the Transaction, the knex instance it was started from, and the transactor's own listeners.
  for (const event of ['start', 'query', 'query-error', 'query-response']) {
    trxClient.on(event, (...args: unknown[]) => {
      trx.emit(event, ...args);
      client.emit(event, ...args);
      const transactor = trx.transactor;
      if (transactor?.listenerCount && transactor.listenerCount(event) > 0) transactor.emit?.(event, ...args);
    });
  }
  const query = trxClient.query;
  trxClient.query = function (conn: unknown, obj: unknown) {
    const completed = trx.isCompleted();
    return new Promise((resolve, reject) => {
      try {
        if (conn !== connection) throw new Error('Invalid connection for transaction query.');
        if (completed) completedError();
        resolve(query.call(trxClient, conn, obj));
      } catch (e) {
        reject(e);
      }
    });
  };
  const stream = trxClient.stream;
  trxClient.stream = function (conn: unknown, obj: unknown, target: unknown, options: unknown) {
    const completed = trx.isCompleted();
    return new Promise((resolve, reject) => {
      try {
        if (conn !== connection) throw new Error('Invalid connection for transaction query.');
        if (completed) completedError();
        resolve(stream.call(trxClient, conn, obj, target, options));
      } catch (e) {
        reject(e);
      }
    });
  };
  (trxClient as unknown as { acquireConnection(): Promise<unknown> }).acquireConnection = () => Promise.resolve(connection);
  (trxClient as unknown as { releaseConnection(): Promise<void> }).releaseConnection = () => Promise.resolve();
  return trxClient;
}

function completedError(): never {
  throw new Error('Transaction query already complete, run with DEBUG=knex:tx for more info');
}

/** knex's pg Transaction, its `trx` made by `lightTransactor`. */
export class LightPgTransaction extends (PgTransaction as unknown as new (client: KnexClient, container: unknown, config: unknown, outerTx: unknown) => TransactionInternals) {
  // knex's Transaction#_onAcquire (knex/lib/execution/transaction.js), `makeTransactor` replaced.
  async _onAcquire(container: (transactor: Transactor) => unknown, connection: unknown): Promise<unknown> {
    const trxClient = (this.trxClient = transactionClient(this, this.client, connection));
    const init = this.client.transacting ? this.savepoint(connection) : this.begin(connection);
    const executionPromise = new Promise((resolve, reject) => {
      this._resolver = resolve;
      this._rejecter = reject;
    });
    init
      .then(() => lightTransactor(this, connection, trxClient))
      .then((transactor) => {
        this.transactor = transactor;
        if (this.outerTx) transactor.parentTransaction = this.outerTx.transactor as Transactor;
        transactor.executionPromise = executionPromise;
        let result: unknown;
        try {
          result = container(transactor);
        } catch (err) {
          result = Promise.reject(err);
        }
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>)
            .then((value) => (transactor.commit as NonNullable<Transactor['commit']>)(value))
            .catch((err: unknown) => (transactor.rollback as NonNullable<Transactor['rollback']>)(err));
        }
        return null;
      })
      .catch((e: unknown) => (this._rejecter as (reason: unknown) => void)(e));
    return executionPromise;
  }
}

/** A transaction of `client` (a knex pg-dialect client: pg, or PGlite through knex-pglite) with a light `trx`. */
export function lightTransaction(client: object, container: unknown, config: unknown, outerTx: unknown): Knex.Transaction {
  return new LightPgTransaction(client as KnexClient, container, config, outerTx) as unknown as Knex.Transaction;
}
