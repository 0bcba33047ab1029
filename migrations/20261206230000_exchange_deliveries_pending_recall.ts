// Deliveries recalled before migration 20261123170000 (which added `pending_request`) have none, so a
// recipient's late answer (15/16) to that recall found no request waiting and was not recorded. Before
// that migration the recall was the only request a sender could make: a delivery whose last request
// code in its history is 13 (no 15/16 after it) is waiting for the answer to a recall.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    UPDATE exchange_deliveries d SET pending_request = 'recall'
     WHERE d.pending_request IS NULL AND d.removed_at IS NULL
       AND (SELECT h.entry->>'code' FROM jsonb_array_elements(d.history) WITH ORDINALITY AS h(entry, n)
             WHERE h.entry->>'code' IN ('13', '15', '16') ORDER BY h.n DESC LIMIT 1) = '13'`);
}

export async function down(): Promise<void> {
  // Nothing to undo: the rows now say what their history already said.
}
