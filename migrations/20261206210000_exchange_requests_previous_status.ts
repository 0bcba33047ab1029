// An update can remove a recipient and a later one add it back. When the removal was accepted, the
// incoming document was cancelled (`recalled`); `previous_document_status` keeps the status it had then,
// so that the document comes back as it was (registered, assigned…, with its số đến) when the agency is
// added back, instead of being received again.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('exchange_requests', (t) => {
    t.text('previous_document_status').nullable();
    t.timestamp('sent_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('exchange_requests', (t) => {
    t.dropColumn('previous_document_status');
    t.dropColumn('sent_at');
  });
}
