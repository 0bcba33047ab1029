// One incoming document per DocumentId and sender, whether the original package (BussinessDocType 0) or
// an update that added this agency as a recipient (2, received as a new document) arrived first — the two
// can be consumed concurrently (a recipient that was down gets both at once). The second one to commit
// fails here, is redelivered and then found as a duplicate (docs/exchange.md "Recall, update, replacement").
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE UNIQUE INDEX exchange_received_document_unique ON exchange_received (agency_organ_id, sender_organ_id, edxml_document_id)
    WHERE business_doc_type IN (0, 2)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS exchange_received_document_unique');
}
