// A received file can be kept inside its package instead of as a blob of its own: the receiver stores the
// package (evidence of what was received) and, for a file it held in memory while checking it, names the
// package in `source_package_sha256` instead of writing the file a second time. The blob store makes the
// file from the package on its first read (src/services/package-file-blobs.ts) and keeps it from then on.
// The partial index finds a file's package by the file's SHA-256 (a read of a file not yet made).
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('attachments', (t) => {
    t.specificType('source_package_sha256', 'char(64)').nullable();
  });
  await knex.raw('CREATE INDEX attachments_in_package_index ON attachments (sha256) WHERE source_package_sha256 IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  // Before this migration every file named by a row is a blob of its own: refuse while some are only in
  // their package (`edoc-node blobs write-out` writes them out), rather than lose them.
  const inside = await knex('attachments').whereNotNull('source_package_sha256').count<Array<{ n: string | number }>>('* as n');
  if (Number(inside[0]?.n ?? 0) > 0) throw new Error('attachments keeps files inside their received packages (source_package_sha256): run `edoc-node blobs write-out` first');
  await knex.raw('DROP INDEX attachments_in_package_index');
  await knex.schema.alterTable('attachments', (t) => {
    t.dropColumn('source_package_sha256');
  });
}
