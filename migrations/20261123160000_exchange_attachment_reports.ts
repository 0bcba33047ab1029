// The validation reports of the signed PDF attachments of a received package, kept beside the envelope
// report so the verdict can be re-checked later from the evidence (DOMAIN.md §7).
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('exchange_received', (t) => {
    t.jsonb('attachment_reports').notNullable().defaultTo('[]');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('exchange_received', (t) => {
    t.dropColumn('attachment_reports');
  });
}
