// A document's package can be kept in its outbox rows as its parts (PackageParts, src/domain/outbox.ts):
// the signed skeleton — the package with each attachment's base64 replaced by a marker, a few KB — and,
// per attachment, its file in the blob store and how it is encoded (jsonb: marker, sha256, name,
// transferEncoding, modifiedAt). The relay makes the bytes again when it claims such an entry and checks
// them against `package_digest`; `package_size` is their size. So the 100 KB+ of a document's package are
// no longer written to PostgreSQL (TOAST and WAL) for each recipient. Exactly one of `package`,
// `package_blob` and `package_skeleton` is set.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('axis_outbox', (t) => {
    t.binary('package_skeleton').nullable();
    t.jsonb('package_parts').nullable();
  });
  await knex.raw('ALTER TABLE axis_outbox DROP CONSTRAINT axis_outbox_one_package_check');
  await knex.raw(`ALTER TABLE axis_outbox ADD CONSTRAINT axis_outbox_one_package_check CHECK (
       (package IS NOT NULL AND package_blob IS NULL AND package_skeleton IS NULL)
    OR (package IS NULL AND package_blob IS NOT NULL AND package_skeleton IS NULL AND package_size IS NOT NULL)
    OR (package IS NULL AND package_blob IS NULL AND package_skeleton IS NOT NULL AND package_parts IS NOT NULL AND package_size IS NOT NULL))`);
}

export async function down(knex: Knex): Promise<void> {
  // The parts cannot be joined into a package by SQL: refuse rather than lose what was (or is to be) sent.
  const kept = await knex('axis_outbox').whereNotNull('package_skeleton').count<Array<{ n: string | number }>>('* as n');
  if (Number(kept[0]?.n ?? 0) > 0) throw new Error('axis_outbox keeps packages as their parts (package_skeleton): these rows cannot be expressed before this migration');
  await knex.raw('ALTER TABLE axis_outbox DROP CONSTRAINT axis_outbox_one_package_check');
  await knex.raw(`ALTER TABLE axis_outbox ADD CONSTRAINT axis_outbox_one_package_check
    CHECK ((package IS NOT NULL AND package_blob IS NULL) OR (package IS NULL AND package_blob IS NOT NULL AND package_size IS NOT NULL))`);
  await knex.schema.alterTable('axis_outbox', (t) => {
    t.dropColumn('package_skeleton');
    t.dropColumn('package_parts');
  });
}
