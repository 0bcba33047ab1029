// `signatureReports.filesOf`: a document's attachments and the facts of its signatures in ONE statement
// (every document sent reads them: src/services/exchange-sending.ts), without the reports' bodies, on both
// databases. What the sender makes of them (`currentAttachments`) is checked on the result.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { KnexSignatureReportRepository } from '../../../src/db/knex-signing-report-repository.ts';
import { currentAttachments } from '../../../src/domain/signing-keys.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';

const AGENCY = '000.00.00.G22';
const sha = (c: string): string => c.repeat(64);

for (const kind of databaseKinds) {
  describe(`a document's files and signature facts in one read (${kind})`, function () {
    this.timeout(60_000);
    let test: TestDatabase;
    const userId = randomUUID();
    const keyId = randomUUID();

    before(async () => {
      test = await createTestDatabase(kind);
      const knex = test.database.knex;
      await knex('agencies').insert({ organ_id: AGENCY, name: 'Sở Thông tin và Truyền thông', abbreviation: 'STTTT', level: 'province' });
      await knex('users').insert({ id: userId, username: 'lanhdao', agency_organ_id: AGENCY, full_name: 'Lãnh đạo', password_hash: 'x' });
      await knex('signing_keys').insert({
        id: keyId, agency_organ_id: AGENCY, kind: 'personal', owner_user_id: userId, certificate: Buffer.from('der'), certificate_sha256: sha('c'),
        subject: 'CN=Lãnh đạo', serial_number: '01', not_before: new Date('2026-01-01'), not_after: new Date('2027-01-01'), protection: 'pin',
        sealed_private_key: Buffer.from('sealed'), created_by: userId,
      });
    });
    after(async () => { await test.drop(); });

    async function newDocument(): Promise<string> {
      const id = randomUUID();
      await test.database.knex('documents').insert({
        id, agency_organ_id: AGENCY, direction: 'outgoing', origin: 'electronic', status: 'draft',
        type_name: 'Công văn', organ_name: 'Sở Thông tin và Truyền thông', subject: 'Trích yếu', created_by: userId,
      });
      return id;
    }

    async function attach(documentId: string, fileName: string, role: string, digest: string, at: string): Promise<string> {
      const id = randomUUID();
      await test.database.knex('attachments').insert({ id, document_id: documentId, role, file_name: fileName, media_type: 'application/pdf', size: 1234, sha256: digest, uploaded_by: userId, created_at: new Date(at) });
      return id;
    }

    async function report(documentId: string, form: 'PAdES' | 'CMS', attachmentId: string, sourceAttachmentId: string, signatureSha256: string | null): Promise<void> {
      await test.database.knex('signature_reports').insert({
        id: randomUUID(), document_id: documentId, attachment_id: attachmentId, source_attachment_id: sourceAttachmentId, form, kind: 'personal',
        key_id: keyId, signed_by: userId, signature_sha256: signatureSha256, indication: 'TOTAL_PASSED', report: JSON.stringify({ indication: 'TOTAL_PASSED', evidence: 'x'.repeat(20_000) }),
      });
    }

    /** filesOf inside a transaction, with the statements it sent. */
    async function filesOf(documentId: string) {
      const sent: string[] = [];
      const result = await test.database.knex.transaction(async (trx: Knex.Transaction) => {
        trx.client.on('query', (q: { sql: string }) => { if (!/^(BEGIN|COMMIT|ROLLBACK)/i.test(q.sql)) sent.push(q.sql); });
        return new KnexSignatureReportRepository(trx).filesOf(documentId);
      });
      return { ...result, statements: sent };
    }

    it('reads the attachments in upload order and every signature fact, in one statement', async () => {
      const documentId = await newDocument();
      const draft = await attach(documentId, 'cong-van.pdf', 'main', sha('a'), '2026-12-08T01:00:00Z');
      const annex = await attach(documentId, 'phu-luc.docx', 'attachment', sha('b'), '2026-12-08T01:00:01Z');
      const signed = await attach(documentId, 'cong-van.signed.pdf', 'main', sha('d'), '2026-12-08T01:00:02Z');
      await report(documentId, 'PAdES', signed, draft, null);
      await report(documentId, 'CMS', annex, annex, sha('e'));

      const files = await filesOf(documentId);

      expect(files.statements).to.have.length(1);
      expect(files.attachments.map((a) => [a.fileName, a.role, a.sha256, a.size])).to.deep.equal([
        ['cong-van.pdf', 'main', sha('a'), 1234], ['phu-luc.docx', 'attachment', sha('b'), 1234], ['cong-van.signed.pdf', 'main', sha('d'), 1234],
      ]);
      expect(files.attachments[0]?.createdAt).to.equal('2026-12-08T01:00:00.000Z');
      expect(files.signatures).to.deep.equal([
        { form: 'PAdES', attachmentId: signed, sourceAttachmentId: draft, signatureSha256: null },
        { form: 'CMS', attachmentId: annex, sourceAttachmentId: annex, signatureSha256: sha('e') },
      ]);
      // What the package carries: the signed PDF instead of its draft, the annex with its detached CMS.
      expect(currentAttachments(files.attachments, files.signatures).map((a) => [a.fileName, a.detachedSignatureSha256])).to.deep.equal([
        ['phu-luc.docx', sha('e')], ['cong-van.signed.pdf', null],
      ]);
    });

    it('a document without signatures, and one without files: empty lists, not a row of nulls', async () => {
      const unsigned = await newDocument();
      await attach(unsigned, 'cong-van.pdf', 'main', sha('a'), '2026-12-08T01:00:00Z');
      const files = await filesOf(unsigned);
      expect(files.attachments.map((a) => a.fileName)).to.deep.equal(['cong-van.pdf']);
      expect(files.signatures).to.deep.equal([]);

      const empty = await filesOf(await newDocument());
      expect(empty.attachments).to.deep.equal([]);
      expect(empty.signatures).to.deep.equal([]);
    });

    it('reads only the document asked for', async () => {
      const one = await newDocument();
      const other = await newDocument();
      const mine = await attach(one, 'mine.pdf', 'main', sha('a'), '2026-12-08T01:00:00Z');
      const theirs = await attach(other, 'theirs.pdf', 'main', sha('b'), '2026-12-08T01:00:00Z');
      await report(other, 'CMS', theirs, theirs, sha('f'));
      const files = await filesOf(one);
      expect(files.attachments.map((a) => a.id)).to.deep.equal([mine]);
      expect(files.signatures).to.deep.equal([]);
    });
  });
}
