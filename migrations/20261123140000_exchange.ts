// The exchange services over the axis (issue 5, docs/exchange.md): per-recipient deliveries of sent
// documents, received packages (beside their incoming registry document: the dedupe key and the status
// given), the quarantine of packages failing parse or verification, and the node's current directory.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('exchange_deliveries', (t) => {
    t.uuid('document_id').notNullable().references('id').inTable('documents');
    t.text('agency_organ_id').notNullable();
    t.text('recipient_organ_id').notNullable();
    t.text('recipient_name').notNullable();
    t.text('edxml_document_id').notNullable();
    t.text('message_id').notNullable();
    t.text('status').nullable(); // latest applied status code
    t.integer('arrival_number').nullable(); // the recipient's số đến (status 03)
    t.text('reason').nullable(); // 02
    t.jsonb('history').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['document_id', 'recipient_organ_id'], { constraintName: 'exchange_deliveries_pkey' });
    t.unique(['agency_organ_id', 'edxml_document_id', 'recipient_organ_id'], { indexName: 'exchange_deliveries_edxml_unique' });
  });

  await knex.schema.createTable('exchange_received', (t) => {
    t.uuid('document_id').primary().references('id').inTable('documents');
    t.text('agency_organ_id').notNullable();
    t.text('sender_organ_id').notNullable();
    t.text('edxml_document_id').notNullable();
    t.smallint('business_doc_type').notNullable();
    t.text('message_id').notNullable();
    t.text('package_sha256').notNullable();
    t.jsonb('header').notNullable();
    t.jsonb('report').notNullable();
    t.text('last_status').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // DESIGN.md "Incoming": dedupe on (sender, DocumentId, business type), per receiving agency.
    t.unique(['agency_organ_id', 'sender_organ_id', 'edxml_document_id', 'business_doc_type'], { indexName: 'exchange_received_business_unique' });
  });

  await knex.schema.createTable('exchange_quarantine', (t) => {
    t.uuid('id').primary();
    t.text('agency_organ_id').notNullable();
    t.text('sender_organ_id').notNullable();
    t.text('message_id').notNullable();
    t.text('reason_code').notNullable();
    t.text('reason').notNullable();
    t.jsonb('report').notNullable();
    t.text('package_sha256').nullable();
    t.boolean('answered').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['agency_organ_id', 'received_at']);
  });

  // One row: the node's current signed directory (so a restart needs no broker to resume).
  await knex.schema.createTable('exchange_directory', (t) => {
    t.integer('id').primary();
    t.integer('version').notNullable();
    t.jsonb('signed').notNullable();
    t.timestamp('installed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('exchange_directory');
  await knex.schema.dropTableIfExists('exchange_quarantine');
  await knex.schema.dropTableIfExists('exchange_received');
  await knex.schema.dropTableIfExists('exchange_deliveries');
}
