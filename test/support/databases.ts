// Integration tests run against real PostgreSQL (a fresh database per suite, dropped afterwards) and
// against embedded PGlite (in memory). PostgreSQL being unreachable fails the suite: it never skips.
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { dumpPglite, openDatabase, type Database } from '../../src/db/connection.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

export type DatabaseKind = 'postgres' | 'pglite';
export const databaseKinds: readonly DatabaseKind[] = ['postgres', 'pglite'];

export const postgresAdminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const withDatabaseName = (url: string, name: string): string => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

let template: Promise<Blob> | undefined;

/** Booting PGlite takes seconds; every test starts from one migrated dump instead. */
function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const database = await openDatabase({ url: null, dataDir: '', inMemory: true });
    await migrateToLatest(database.knex);
    const dump = await dumpPglite(database);
    await database.close();
    return dump;
  })();
  return template;
}

export interface TestDatabase {
  readonly database: Database;
  readonly url: string | null; // PostgreSQL URL of the test database (for child processes), null for PGlite
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DatabaseKind, options: { poolMax?: number } = {}): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openDatabase({ url: null, dataDir: '', inMemory: true, acquireTimeoutMs: 5000, pgliteTemplate: await pgliteTemplate() });
    await migrateToLatest(database.knex); // a no-op on the migrated template; kept so a stale template cannot hide a migration
    return { database, url: null, drop: () => database.close() };
  }
  const name = `edoc_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: postgresAdminUrl, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 5000 });
  try {
    await admin.raw(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.destroy();
    throw new Error(`PostgreSQL at ${postgresAdminUrl} cannot be reached or refused CREATE DATABASE: ${(error as Error).message}`, { cause: error });
  }
  const url = withDatabaseName(postgresAdminUrl, name);
  const database = await openDatabase({ url, dataDir: '', poolMax: options.poolMax ?? 10, acquireTimeoutMs: 10000 });
  await migrateToLatest(database.knex);
  return {
    database,
    url,
    drop: async () => {
      await database.close();
      try { await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } finally { await admin.destroy(); }
    },
  };
}
