// The outbox and inbox of the axis (DESIGN.md "Exactly-once effect"; src/domain/outbox.ts and
// src/domain/axis-inbox.ts). The outbox row is written by the transaction that issues a document, one per
// recipient; the relay claims due rows (`FOR UPDATE SKIP LOCKED` + lease), publishes with confirms and
// marks them sent. The inbox row is written by the transaction that stores a received package; its
// primary key (recipient, message id) is what makes a redelivery change nothing.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('axis_outbox', (t) => {
    t.uuid('id').primary();
    t.text('message_id').notNullable().unique('axis_outbox_message_id_unique');
    t.text('sender_organ_id').notNullable();
    t.text('recipient_organ_id').notNullable();
    t.text('message_type').notNullable().checkIn(['edoc', 'status'], 'axis_outbox_message_type_check');
    t.text('service_type').notNullable();
    t.text('package_digest').notNullable(); // lower-case hex SHA-256 of `package`
    t.binary('package').notNullable();
    t.uuid('document_id').nullable();
    t.text('state').notNullable().defaultTo('pending').checkIn(['pending', 'sent', 'failed'], 'axis_outbox_state_check');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('lease_until', { useTz: true }).nullable();
    t.text('last_error').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true }).nullable();
    t.timestamp('failed_at', { useTz: true }).nullable();
    t.index(['document_id'], 'axis_outbox_document_idx');
  });
  // The relay's query: pending rows by due time; a partial index stays small as rows are sent.
  await knex.raw(`CREATE INDEX axis_outbox_due_idx ON axis_outbox (next_attempt_at) WHERE state = 'pending'`);
  // Packages are already compressed (ZIP/PDF) or base64: keep them out of line, uncompressed, so the
  // relay can stream them in slices with substring() without detoasting the whole value.
  await knex.raw('ALTER TABLE axis_outbox ALTER COLUMN package SET STORAGE EXTERNAL');

  await knex.schema.createTable('axis_inbox', (t) => {
    t.text('recipient_organ_id').notNullable();
    t.text('message_id').notNullable();
    t.text('sender_organ_id').notNullable();
    t.text('message_type').notNullable().checkIn(['edoc', 'status'], 'axis_inbox_message_type_check');
    t.text('package_digest').notNullable();
    t.jsonb('outcome').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable();
    t.primary(['recipient_organ_id', 'message_id'], { constraintName: 'axis_inbox_pkey' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('axis_inbox');
  await knex.schema.dropTableIfExists('axis_outbox');
}
