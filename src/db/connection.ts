// The database: PostgreSQL through `pg` when a URL is configured, else embedded PGlite file-backed under
// DATA_DIR. Both return the same JavaScript types: int8 as number, bytea as Buffer, date as 'YYYY-MM-DD'.
import { mkdirSync, openSync, closeSync, writeFileSync, readFileSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { DomainError } from '../domain/errors.ts';
import { lightTransaction } from './light-transactions.ts';
import { PreparingPgClient } from './prepared-statements.ts';
import { reuseRowDescriptions } from './row-descriptions.ts';

export type DatabaseKind = 'postgres' | 'pglite';

/** knex-pglite's client, its transactions' `trx` light as PostgreSQL's (src/db/light-transactions.ts). */
class LightPgLiteClient extends (ClientPgLite as unknown as typeof Knex.Client) {
  override transaction(container: unknown, config: unknown, outerTx: unknown): Knex.Transaction {
    return lightTransaction(this, container, config, outerTx);
  }
}

export interface Database {
  readonly knex: Knex;
  readonly kind: DatabaseKind;
  close(): Promise<void>;
}

const INT8 = 20;
const BYTEA = 17;
const DATE = 1082;

const parseInt8 = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${value} exceeds the safe integer range`);
  return n;
};

export interface DatabaseOptions {
  readonly url: string | null;
  readonly dataDir: string;
  readonly poolMax?: number;
  readonly acquireTimeoutMs?: number;
  /** PGlite only: keep everything in memory (tests). */
  readonly inMemory?: boolean;
  /** PGlite only: start from this data directory dump (tests: a migrated template, ~6× faster than a boot). */
  readonly pgliteTemplate?: Blob;
}

/** A dump of an in-memory PGlite database, to start copies of it quickly. */
export async function dumpPglite(database: Database): Promise<Blob> {
  const client = (database.knex.client as { pglite?: PGlite }).pglite;
  if (!client) throw new Error('not a PGlite database');
  return client.dumpDataDir('none');
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options) : openPglite(options);
}

function openPostgres(options: DatabaseOptions): Database {
  reuseRowDescriptions();
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8) return parseInt8;
      if (oid === DATE) return (v: string) => v;
      return pg.types.getTypeParser(oid, format);
    },
  };
  const knex = knexFactory({
    client: PreparingPgClient, // knex's pg client, with named prepared statements
    connection: { connectionString: options.url as string, types } as Knex.PgConnectionConfig,
    pool: { min: 0, max: options.poolMax ?? 10 },
    acquireConnectionTimeout: options.acquireTimeoutMs ?? 10000,
  });
  return { knex, kind: 'postgres', close: () => knex.destroy() };
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  let release = (): void => {};
  let dataPath: string | undefined;
  if (!options.inMemory) {
    const dir = resolve(options.dataDir);
    mkdirSync(dir, { recursive: true });
    dataPath = join(dir, 'pglite');
    // STACK.md: two processes on one PGlite directory silently lose writes — take an exclusive lock.
    release = takeLock(join(dir, 'pglite.lock'));
  }
  // PGlite takes its options as the only argument when there is no data directory.
  const pglite = new PGlite({
    ...(dataPath ? { dataDir: dataPath } : {}),
    ...(options.pgliteTemplate ? { loadDataDir: options.pgliteTemplate } : {}),
    parsers: {
      [INT8]: (v: string) => parseInt8(v),
      [BYTEA]: (v: string) => Buffer.from(v.startsWith('\\x') ? v.slice(2) : v, 'hex'),
      [DATE]: (v: string) => v,
    },
  });
  await pglite.waitReady;
  const knex = knexFactory({
    client: LightPgLiteClient,
    dialect: 'postgres',
    connection: () => ({ pglite }) as object,
    acquireConnectionTimeout: options.acquireTimeoutMs ?? 10000,
  } as Knex.Config);
  return {
    knex,
    kind: 'pglite',
    close: async () => {
      try { await knex.destroy(); } finally { if (!pglite.closed) await pglite.close(); release(); }
    },
  };
}

function takeLock(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => { try { unlinkSync(file); } catch { /* already gone */ } };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8'));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new DomainError('db.unavailable', { message: `The embedded database in ${file} is in use by process ${holder}; stop it or set DATABASE_URL to share PostgreSQL.` });
      }
      unlinkSync(file); // stale lock of a process that died
    }
  }
  throw new DomainError('db.unavailable', { message: `cannot take the lock ${file}` });
}

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}
