// A large outbox package (over 256 KB: a document with its attachments) is kept in the content-addressed
// blob store, where the sender writes it once for all its recipients, instead of in the row: a 50 MB
// package no longer crosses the PostgreSQL connection as 100 MB of hex, and the relay streams it from
// the store. The row names it (`package_blob`, its SHA-256) and its size; exactly one of `package` and
// `package_blob` is set. Small packages (every status message) stay in the row.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('axis_outbox', (t) => {
    t.text('package_blob').nullable();
    t.bigInteger('package_size').nullable();
  });
  await knex.raw('ALTER TABLE axis_outbox ALTER COLUMN package DROP NOT NULL');
  await knex.raw(`ALTER TABLE axis_outbox ADD CONSTRAINT axis_outbox_one_package_check
    CHECK ((package IS NOT NULL AND package_blob IS NULL) OR (package IS NULL AND package_blob IS NOT NULL AND package_size IS NOT NULL))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE axis_outbox DROP CONSTRAINT IF EXISTS axis_outbox_one_package_check');
  await knex('axis_outbox').whereNull('package').delete();
  await knex.raw('ALTER TABLE axis_outbox ALTER COLUMN package SET NOT NULL');
  await knex.schema.alterTable('axis_outbox', (t) => {
    t.dropColumn('package_blob');
    t.dropColumn('package_size');
  });
}
