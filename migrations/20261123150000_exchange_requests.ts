// Recall requests received over the axis (issue 5 item 6; Nghị định 30, art. 17: the receiver of a
// recall cancels the electronic document and tells the sender; the metadata of the recall is kept).
// One row per request (BussinessDocType 1), deduped on (recipient, sender, DocumentId, business type).
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('exchange_requests', (t) => {
    t.uuid('id').primary();
    t.text('agency_organ_id').notNullable();
    t.text('sender_organ_id').notNullable();
    t.text('edxml_document_id').notNullable();
    t.smallint('business_doc_type').notNullable();
    t.uuid('document_id').nullable().references('id').inTable('documents'); // the incoming document concerned, when known
    t.text('reason').nullable();
    t.text('state').notNullable().defaultTo('pending').checkIn(['pending', 'accepted', 'refused'], 'exchange_requests_state_check');
    t.text('answer').nullable();
    t.text('message_id').notNullable();
    t.jsonb('header').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('answered_at', { useTz: true }).nullable();
    t.unique(['agency_organ_id', 'sender_organ_id', 'edxml_document_id', 'business_doc_type'], { indexName: 'exchange_requests_business_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('exchange_requests');
}
