// A recall, update or replacement can reach a recipient before the document it concerns: the original's
// publish failed and was retried (or sent again by the văn thư) after the request left. The request is then
// recorded without its document; `target_edxml_document_id` is the DocumentId of the document it concerns
// (recall, update: the package's own DocumentId; replacement: the replaced one), so that the document,
// when it arrives, finds the requests waiting for it (partial index: only unlinked rows).
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('exchange_requests', (t) => {
    t.text('target_edxml_document_id').nullable();
  });
  await knex.raw(`UPDATE exchange_requests SET target_edxml_document_id = CASE
      WHEN business_doc_type = 3 THEN business->'replacementInfoList'->0->>'documentId'
      ELSE edxml_document_id END`);
  await knex.raw(`CREATE INDEX exchange_requests_unlinked_idx ON exchange_requests (agency_organ_id, sender_organ_id, target_edxml_document_id)
      WHERE document_id IS NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS exchange_requests_unlinked_idx');
  await knex.schema.alterTable('exchange_requests', (t) => {
    t.dropColumn('target_edxml_document_id');
  });
}
