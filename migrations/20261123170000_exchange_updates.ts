// Update and replacement over the axis (issue 5 item 6; DOMAIN.md §3 BussinessDocType 2 and 3):
// - `document_metadata_history`: the values a document had before an update changed them (sender and
//   receiver), so the history of an updated document stays retrievable;
// - `exchange_requests`: several updates of one document are several requests, so the package digest
//   joins the dedupe key ('' for recalls and replacements, one per DocumentId); the parsed Bussiness block;
//   the new incoming document of a replacement;
// - `exchange_deliveries`: the request waiting for its 15/16, the time a recipient was removed by an
//   update, and the earlier outgoing document a replacement's delivery replaces.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('document_metadata_history', (t) => {
    t.uuid('id').primary();
    t.uuid('document_id').notNullable().references('id').inTable('documents');
    t.text('agency_organ_id').notNullable();
    t.text('source').notNullable().checkIn(['update_sent', 'update_received'], 'document_metadata_history_source_check');
    t.uuid('request_id').nullable(); // the exchange_requests row applied (receiver)
    t.text('reason').nullable(); // BussinessDocReason
    t.jsonb('before').notNullable(); // only the fields that changed, with their previous values
    t.jsonb('after').notNullable();
    t.text('changed_by').notNullable(); // user id
    t.timestamp('changed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['document_id', 'changed_at'], 'document_metadata_history_document_idx');
  });

  await knex.schema.alterTable('exchange_requests', (t) => {
    t.text('package_sha256').notNullable().defaultTo('');
    t.jsonb('business').nullable();
    t.uuid('replacement_document_id').nullable().references('id').inTable('documents');
    t.dropUnique(['agency_organ_id', 'sender_organ_id', 'edxml_document_id', 'business_doc_type'], 'exchange_requests_business_unique');
    t.unique(['agency_organ_id', 'sender_organ_id', 'edxml_document_id', 'business_doc_type', 'package_sha256'], { indexName: 'exchange_requests_package_unique' });
  });

  await knex.schema.alterTable('exchange_deliveries', (t) => {
    t.text('pending_request').nullable().checkIn(['recall', 'update', 'replace'], 'exchange_deliveries_pending_request_check');
    t.timestamp('removed_at', { useTz: true }).nullable();
    t.uuid('replaces_document_id').nullable().references('id').inTable('documents');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('exchange_deliveries', (t) => {
    t.dropColumn('replaces_document_id');
    t.dropColumn('removed_at');
    t.dropColumn('pending_request');
  });
  await knex.schema.alterTable('exchange_requests', (t) => {
    t.dropUnique(['agency_organ_id', 'sender_organ_id', 'edxml_document_id', 'business_doc_type', 'package_sha256'], 'exchange_requests_package_unique');
    t.dropColumn('replacement_document_id');
    t.dropColumn('business');
    t.dropColumn('package_sha256');
    t.unique(['agency_organ_id', 'sender_organ_id', 'edxml_document_id', 'business_doc_type'], { indexName: 'exchange_requests_business_unique' });
  });
  await knex.schema.dropTableIfExists('document_metadata_history');
}
