// The order in which outbox entries were written, within one transaction too: a registration writes 03
// then 05 in one transaction (same `created_at`), and `UPDATE … RETURNING` gives the claimed rows in the
// heap's order, so 05 sometimes left before 03. The relay now claims and publishes in `seq` order.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE axis_outbox ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('axis_outbox', (t) => {
    t.dropColumn('seq');
  });
}
