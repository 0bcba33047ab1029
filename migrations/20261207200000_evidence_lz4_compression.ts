// The validation reports carry their evidence (certificates, OCSP answers, CRLs, time-stamp tokens, base64):
// ~20 KB of jsonb per received document, compressed by TOAST on every insert. pglz, PostgreSQL's default,
// was ~1 % of the machine's CPU in `npm run bench:exchange` (perf, 7 Dec); lz4 compresses ~10× faster.
// Only where the server was built with lz4 (PostgreSQL ≥ 14 from the distributions; PGlite is not): elsewhere
// nothing changes. Values written before keep pglz and stay readable; `down` returns to the default.
// Migrations never import from src/ and are never edited once landed (STYLE.md habit 8).
import type { Knex } from 'knex';

const EVIDENCE_COLUMNS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['exchange_received', ['report', 'attachment_reports']],
  ['exchange_quarantine', ['report']],
  ['signature_reports', ['report']],
];

async function hasLz4(knex: Knex): Promise<boolean> {
  const { rows } = await knex.raw<{ rows: Array<{ lz4: boolean }> }>(
    "SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'",
  );
  return rows[0]?.lz4 === true;
}

async function setCompression(knex: Knex, method: 'lz4' | 'DEFAULT'): Promise<void> {
  for (const [table, columns] of EVIDENCE_COLUMNS) {
    await knex.raw(`ALTER TABLE ${table} ${columns.map((c) => `ALTER COLUMN ${c} SET COMPRESSION ${method}`).join(', ')}`);
  }
}

export async function up(knex: Knex): Promise<void> {
  if (await hasLz4(knex)) await setCompression(knex, 'lz4');
}

export async function down(knex: Knex): Promise<void> {
  if (await hasLz4(knex)) await setCompression(knex, 'DEFAULT');
}
