import type { Knex } from 'knex';
import type { Assignment, AssignmentRepository, AttachmentRecord, AttachmentRepository, NewAttachment } from '../domain/registry-ports.ts';
import { insertRows, runSql } from './sql-text.ts';

export interface AttachmentRow { id: string; document_id: string; role: AttachmentRecord['role']; file_name: string; media_type: string; size: number; sha256: string; uploaded_by: string; created_at: Date }
export const toAttachment = (r: AttachmentRow): AttachmentRecord => ({ id: r.id, documentId: r.document_id, role: r.role, fileName: r.file_name, mediaType: r.media_type, size: r.size, sha256: r.sha256, uploadedBy: r.uploaded_by, createdAt: r.created_at.toISOString() });

export class KnexAttachmentRepository implements AttachmentRepository {
  constructor(private readonly trx: Knex) {}

  async insert(a: NewAttachment): Promise<AttachmentRecord> {
    const { rows: [row] } = await insertRows<AttachmentRow>(this.trx, 'attachments', [{
      id: a.id, document_id: a.documentId, role: a.role, file_name: a.fileName, media_type: a.mediaType, size: a.size, sha256: a.sha256, uploaded_by: a.uploadedBy,
      source_package_sha256: a.sourcePackageSha256 ?? null,
    }], 'RETURNING *');
    return toAttachment(row as AttachmentRow);
  }

  async packagesHolding(sha256: string): Promise<string[]> {
    const { rows } = await runSql<{ source: string }>(this.trx, 'SELECT DISTINCT source_package_sha256 AS source FROM attachments WHERE sha256 = ? AND source_package_sha256 IS NOT NULL', [sha256]);
    return rows.map((r) => r.source.trim()); // char(64)
  }

  async listByDocument(documentId: string): Promise<AttachmentRecord[]> {
    const { rows } = await runSql<AttachmentRow>(this.trx, 'SELECT * FROM attachments WHERE document_id = ? ORDER BY created_at', [documentId]); // every document sent: SQL text, not knex's builder
    return rows.map(toAttachment);
  }

  async keptInPackages(limit: number, after: string): Promise<string[]> {
    const rows = await this.trx('attachments').distinct('sha256').whereNotNull('source_package_sha256').andWhere('sha256', '>', after).orderBy('sha256').limit(limit);
    return rows.map((r: { sha256: string }) => r.sha256.trim());
  }

  async clearPackageSource(sha256s: readonly string[]): Promise<void> {
    if (sha256s.length > 0) await this.trx('attachments').whereIn('sha256', sha256s).update({ source_package_sha256: null });
  }

  async find(documentId: string, id: string): Promise<AttachmentRecord | null> {
    const row = await this.trx<AttachmentRow>('attachments').where({ document_id: documentId, id }).first();
    return row ? toAttachment(row) : null;
  }
}

interface AssignmentRow { id: string; document_id: string; kind: Assignment['kind']; unit_id: string | null; user_id: string | null; deadline: string | null; note: string | null; status: Assignment['status']; assigned_by: string; created_at: Date }
const toAssignment = (r: AssignmentRow): Assignment => ({ id: r.id, documentId: r.document_id, kind: r.kind, unitId: r.unit_id, userId: r.user_id, deadline: r.deadline, note: r.note, status: r.status, assignedBy: r.assigned_by, createdAt: r.created_at.toISOString() });

export class KnexAssignmentRepository implements AssignmentRepository {
  constructor(private readonly trx: Knex) {}

  async insertMany(items: readonly Omit<Assignment, 'createdAt' | 'status'>[]): Promise<Assignment[]> {
    if (items.length === 0) return [];
    const rows = await this.trx('assignments').insert(items.map((a) => ({ id: a.id, document_id: a.documentId, kind: a.kind, unit_id: a.unitId, user_id: a.userId, deadline: a.deadline, note: a.note, assigned_by: a.assignedBy }))).returning('*');
    return (rows as AssignmentRow[]).map(toAssignment);
  }

  async listByDocument(documentId: string): Promise<Assignment[]> {
    return (await this.trx<AssignmentRow>('assignments').where({ document_id: documentId }).orderBy('created_at')).map(toAssignment);
  }
}
