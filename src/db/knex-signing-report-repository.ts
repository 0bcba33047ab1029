// signature_reports (migrations/20261123120000_signing_keys.ts): the validation report of every signature
// the node produced, kept with the document.
import type { Knex } from 'knex';
import type { AttachmentRecord } from '../domain/registry-ports.ts';
import type { SignatureFact, SignatureReportRepository, SigningKeyKind, StoredSignatureReport } from '../domain/signing-keys.ts';
import type { SignatureValidationReport } from '../domain/validation-report.ts';
import { toAttachment, type AttachmentRow } from './knex-attachment-repository.ts';
import { runSql } from './sql-text.ts';

interface ReportRow {
  id: string; document_id: string; attachment_id: string; source_attachment_id: string; form: 'PAdES' | 'CMS'; kind: SigningKeyKind; key_id: string;
  signed_by: string; signature_sha256: string | null; indication: string; sub_indication: string | null; report: SignatureValidationReport | string; created_at: Date;
}

const toReport = (r: ReportRow): StoredSignatureReport => ({
  id: r.id, documentId: r.document_id, attachmentId: r.attachment_id, sourceAttachmentId: r.source_attachment_id, form: r.form, kind: r.kind,
  keyId: r.key_id, signedBy: r.signed_by, signatureSha256: r.signature_sha256,
  report: typeof r.report === 'string' ? (JSON.parse(r.report) as SignatureValidationReport) : r.report, createdAt: new Date(r.created_at).toISOString(),
});

// One row per attachment (none: one row of NULLs), each with the document's signature facts as a JSON
// array of [form, attachment_id, source_attachment_id, signature_sha256], made once by the one-row subquery.
const FILES_OF = `SELECT a.*, s.facts FROM (
  SELECT coalesce(json_agg(json_build_array(form, attachment_id, source_attachment_id, signature_sha256) ORDER BY created_at, id), '[]'::json) AS facts
  FROM signature_reports WHERE document_id = ?) s
LEFT JOIN attachments a ON a.document_id = ? ORDER BY a.created_at`;

type FactTuple = [SignatureFact['form'], string, string, string | null];
type FilesRow = (AttachmentRow | { [K in keyof AttachmentRow]: null }) & { facts: FactTuple[] | string };

export class KnexSignatureReportRepository implements SignatureReportRepository {
  constructor(private readonly trx: Knex) {}

  async insert(s: Omit<StoredSignatureReport, 'createdAt'>): Promise<StoredSignatureReport> {
    const [row] = await this.trx('signature_reports').insert({
      id: s.id, document_id: s.documentId, attachment_id: s.attachmentId, source_attachment_id: s.sourceAttachmentId, form: s.form, kind: s.kind,
      key_id: s.keyId, signed_by: s.signedBy, signature_sha256: s.signatureSha256, indication: s.report.indication,
      sub_indication: s.report.subIndication ?? null, report: JSON.stringify(s.report),
    }).returning('*');
    return toReport(row as ReportRow);
  }

  async listByDocument(documentId: string): Promise<StoredSignatureReport[]> {
    const { rows } = await runSql<ReportRow>(this.trx, 'SELECT * FROM signature_reports WHERE document_id = ? ORDER BY created_at, id', [documentId]); // every document sent: SQL text, not knex's builder
    return rows.map(toReport);
  }

  async filesOf(documentId: string): Promise<{ attachments: AttachmentRecord[]; signatures: SignatureFact[] }> {
    const { rows } = await runSql<FilesRow>(this.trx, FILES_OF, [documentId, documentId]);
    const facts = rows[0]?.facts ?? [];
    const tuples = typeof facts === 'string' ? (JSON.parse(facts) as FactTuple[]) : facts;
    return {
      attachments: rows.filter((r): r is FilesRow & AttachmentRow => r.id !== null).map(toAttachment),
      signatures: tuples.map(([form, attachmentId, sourceAttachmentId, signatureSha256]) => ({ form, attachmentId, sourceAttachmentId, signatureSha256 })),
    };
  }

  async find(documentId: string, id: string): Promise<StoredSignatureReport | null> {
    const row = await this.trx<ReportRow>('signature_reports').where({ document_id: documentId, id }).first();
    return row ? toReport(row) : null;
  }
}
