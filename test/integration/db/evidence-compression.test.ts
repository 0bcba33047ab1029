// Migration 20261207200000: the validation reports (jsonb carrying their evidence) are compressed with lz4
// where the server has it (PostgreSQL here), and with the default elsewhere (PGlite, built without lz4);
// either way the report reads back as written.
import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { down, up } from '../../../migrations/20261207200000_evidence_lz4_compression.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';

const EVIDENCE = [['exchange_received', 'report'], ['exchange_received', 'attachment_reports'], ['exchange_quarantine', 'report'], ['signature_reports', 'report']] as const;

for (const kind of databaseKinds) {
  describe(`evidence columns' TOAST compression (${kind})`, function () {
    this.timeout(60_000);
    let test: TestDatabase;

    before(async () => { test = await createTestDatabase(kind); });
    after(async () => { await test.drop(); });

    const compressions = async (): Promise<Record<string, string>> => {
      const { rows } = await test.database.knex.raw<{ rows: Array<{ table: string; column: string; compression: string }> }>(
        `SELECT c.relname AS table, a.attname AS column, a.attcompression::text AS compression FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          WHERE c.relname = ANY(?) AND a.attname = ANY(?) AND NOT a.attisdropped`,
        [[...new Set(EVIDENCE.map(([t]) => t))], [...new Set(EVIDENCE.map(([, c]) => c))]],
      );
      return Object.fromEntries(rows.map((r) => [`${r.table}.${r.column}`, r.compression]));
    };
    const everyColumn = (compression: string): Record<string, string> => Object.fromEntries(EVIDENCE.map(([t, c]) => [`${t}.${c}`, compression]));

    it(`is ${kind === 'postgres' ? 'lz4' : 'the default'} on every evidence column, and the default again after the migration's down`, async () => {
      expect(await compressions()).to.deep.equal(everyColumn(kind === 'postgres' ? 'l' : ''));
      await down(test.database.knex);
      expect(await compressions()).to.deep.equal(everyColumn(''));
      await up(test.database.knex);
      expect(await compressions()).to.deep.equal(everyColumn(kind === 'postgres' ? 'l' : ''));
    });

    it('stores a large report compressed and reads it back unchanged', async () => {
      const certificate = randomBytes(1200).toString('base64'); // the same chain repeated: what evidence looks like
      const report = { indication: 'TOTAL_PASSED', evidence: { certificates: Array.from({ length: 24 }, () => certificate) } };
      const id = randomUUID();
      await test.database.knex('exchange_quarantine').insert({
        id, agency_organ_id: '000.00.00.G22', sender_organ_id: '000.00.00.G10', message_id: randomUUID(), reason_code: 'exchange.signature_invalid',
        reason: 'Chữ ký số của gói tin không hợp lệ', report: JSON.stringify(report), answered: false,
      });
      const { rows: [row] } = await test.database.knex.raw<{ rows: Array<{ report: unknown; compression: string | null }> }>(
        'SELECT report, pg_column_compression(report) AS compression FROM exchange_quarantine WHERE id = ?', [id]);
      expect(row?.report).to.deep.equal(report);
      expect(row?.compression).to.equal(kind === 'postgres' ? 'lz4' : 'pglz');
    });
  });
}
