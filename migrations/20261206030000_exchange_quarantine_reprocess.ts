// A quarantined package can be run through receipt again once what stopped it is mended (typically: the
// directory had expired, or the sender was not in it yet), by the văn thư or the quản trị. The row keeps the
// message type it arrived as (rows from before this migration were all taken as documents: `edoc`), and
// records who re-processed it, when, and what came of it; a package is re-processed at most once.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('exchange_quarantine', (t) => {
    t.text('message_type').notNullable().defaultTo('edoc');
    t.timestamp('reprocessed_at', { useTz: true }).nullable();
    t.uuid('reprocessed_by').nullable().references('id').inTable('users');
    t.jsonb('reprocess_outcome').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('exchange_quarantine', (t) => {
    t.dropColumn('reprocess_outcome');
    t.dropColumn('reprocessed_by');
    t.dropColumn('reprocessed_at');
    t.dropColumn('message_type');
  });
}
