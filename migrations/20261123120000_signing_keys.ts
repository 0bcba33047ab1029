// Key custody (issue 3 item 4; docs/signing-custody.md): the agency's signing keys and the evidence of
// every signature the node produced with them.
// - signing_keys: one row per key (personal: held by one lãnh đạo; organisation: the agency's key, used
//   only by the văn thư). The private key is never stored in clear: AES-256-GCM under a key derived with
//   scrypt from the holder's PIN (personal) or from the node secret (organisation). Retired keys stay so
//   that signatures made before a rotation can still be verified.
// - signing_key_uses: every use (who, which key, which document and attachment, the digest signed).
// - signature_reports: the ETSI EN 319 102-1 validation report of every signature produced, kept with
//   the document (the signature itself is in the PDF, or in the blob store for detached CMS).
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signing_keys', (t) => {
    t.uuid('id').primary();
    t.text('agency_organ_id').notNullable().references('organ_id').inTable('agencies');
    t.text('kind').notNullable().checkIn(['personal', 'organisation'], 'signing_keys_kind_check');
    t.uuid('owner_user_id').nullable().references('id').inTable('users');
    t.binary('certificate').notNullable(); // DER
    t.jsonb('chain').notNullable().defaultTo('[]'); // base64 DER of the issuing CAs, nearest first
    t.specificType('certificate_sha256', 'char(64)').notNullable();
    t.text('subject').notNullable();
    t.text('serial_number').notNullable();
    t.timestamp('not_before', { useTz: true }).notNullable();
    t.timestamp('not_after', { useTz: true }).notNullable();
    t.text('protection').notNullable().checkIn(['pin', 'node-secret'], 'signing_keys_protection_check');
    t.binary('sealed_private_key').notNullable(); // see src/services/key-custody-sealing.ts for the format
    t.text('status').notNullable().defaultTo('active').checkIn(['active', 'retired'], 'signing_keys_status_check');
    t.integer('failed_pin_attempts').notNullable().defaultTo(0);
    t.timestamp('locked_at', { useTz: true }).nullable();
    t.uuid('created_by').notNullable().references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('retired_at', { useTz: true }).nullable();
    t.index(['agency_organ_id']);
  });
  await knex.raw(`ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_owner_check CHECK ((kind = 'personal') = (owner_user_id IS NOT NULL))`);
  // At most one active key per holder: rotation retires the previous one in the same transaction.
  await knex.raw(`CREATE UNIQUE INDEX signing_keys_one_active_personal ON signing_keys (owner_user_id) WHERE status = 'active' AND kind = 'personal'`);
  await knex.raw(`CREATE UNIQUE INDEX signing_keys_one_active_organisation ON signing_keys (agency_organ_id) WHERE status = 'active' AND kind = 'organisation'`);

  await knex.schema.createTable('signing_key_uses', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('key_id').notNullable().references('id').inTable('signing_keys');
    t.uuid('user_id').notNullable().references('id').inTable('users');
    t.uuid('document_id').notNullable().references('id').inTable('documents').onDelete('CASCADE');
    t.uuid('attachment_id').notNullable();
    t.text('form').notNullable().checkIn(['PAdES', 'CMS'], 'signing_key_uses_form_check');
    t.specificType('signed_sha256', 'char(64)').notNullable(); // the content signed (before signing)
    t.timestamp('used_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['key_id']);
  });

  await knex.schema.createTable('signature_reports', (t) => {
    t.uuid('id').primary();
    t.uuid('document_id').notNullable().references('id').inTable('documents').onDelete('CASCADE');
    t.uuid('attachment_id').notNullable().references('id').inTable('attachments').onDelete('CASCADE'); // the signed file
    t.uuid('source_attachment_id').notNullable().references('id').inTable('attachments').onDelete('CASCADE'); // what was signed
    t.text('form').notNullable().checkIn(['PAdES', 'CMS'], 'signature_reports_form_check');
    t.text('kind').notNullable().checkIn(['personal', 'organisation'], 'signature_reports_kind_check');
    t.uuid('key_id').notNullable().references('id').inTable('signing_keys');
    t.uuid('signed_by').notNullable().references('id').inTable('users');
    t.specificType('signature_sha256', 'char(64)').nullable(); // detached CMS, in the blob store
    t.text('indication').notNullable();
    t.text('sub_indication').nullable();
    t.jsonb('report').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['document_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['signature_reports', 'signing_key_uses', 'signing_keys']) await knex.schema.dropTableIfExists(table);
}
