import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { forgetPreparedStatements } from './prepared-statements.ts';

export const migrationsDirectory = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Runs every pending migration (timestamped files in migrations/); returns the names applied. */
export async function migrateToLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ directory: migrationsDirectory, loadExtensions: ['.ts'] })) as [number, string[]];
  if (applied.length > 0) forgetPreparedStatements(knex); // the tables may have changed under prepared statements
  return applied;
}
