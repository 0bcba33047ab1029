import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { RegistryDocument } from '../domain/document.ts';
import type { DocumentFilter, DocumentRepository, DuplicateCandidate, NewDocument, RegisterEntryFilter, RegistrationAudit } from '../domain/registry-ports.ts';
import { auditEntryTextAroundNumber, GENESIS_HASH } from '../domain/audit.ts';
import type { RegisterKey } from '../domain/registers.ts';
import { toDocument, toInsertRow, type DocumentRow } from './document-rows.ts';

// Explicit types for INSERT ... SELECT parameters (PostgreSQL would otherwise resolve them as text).
const columnTypes: Record<string, string> = {
  id: 'uuid', agency_organ_id: 'text', direction: 'text', origin: 'text', status: 'text', confidentiality: 'text',
  doc_ordinal: 'integer', type_name: 'text', code_number: 'text', code_notation: 'text', issued_date: 'date',
  organ_name: 'text', subject: 'text', language: 'text', page_amount: 'integer', description: 'text',
  signer_info: 'jsonb', recipients: 'jsonb', priority: 'smallint', issued_amount: 'integer', due_date: 'date',
  to_places: 'jsonb', trace_headers: 'jsonb', sender_organ_id: 'text', edxml_document_id: 'text',
  drafting_unit_id: 'uuid', recipients_note: 'text', notes: 'text', created_by: 'uuid',
};

const NO_ID = '00000000-0000-0000-0000-000000000000';

type DuplicateProbe = Parameters<DocumentRepository['findDuplicates']>[1];

// Phụ lục VI: warn on the same (số, ký hiệu, issuing agency) or the same DocumentId, each branch on its index.
const DUPLICATES_SQL = `
  SELECT id, arrival_number, true AS by_code FROM documents
   WHERE agency_organ_id = ?::text AND code_number = ?::text AND code_notation = ?::text
     AND direction = 'incoming' AND status <> 'returned' AND id <> ?::uuid
     AND (CASE WHEN ?::text IS NULL THEN lower(organ_name) = lower(?::text) ELSE sender_organ_id = ?::text END)
  UNION ALL
  SELECT id, arrival_number, false AS by_code FROM documents
   WHERE agency_organ_id = ?::text AND edxml_document_id = ?::text AND direction = 'incoming' AND id <> ?::uuid
  LIMIT 10`;

const duplicateBindings = (agencyOrganId: string, probe: DuplicateProbe): Knex.Value[] => [
  agencyOrganId, probe.codeNumber, probe.codeNotation, probe.excludeId ?? NO_ID, probe.senderOrganId, probe.organName, probe.senderOrganId,
  agencyOrganId, probe.edxmlDocumentId, probe.excludeId ?? NO_ID,
];

function toCandidates(rows: readonly { id: string; arrival_number: number | null; by_code: boolean }[]): DuplicateCandidate[] {
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.id) && seen.add(r.id)).map((r) => ({ documentId: r.id, arrivalNumber: r.arrival_number, matchedOn: r.by_code ? 'code' : 'document_id' }));
}

const selectDocuments = (knex: Knex): Knex.QueryBuilder =>
  knex('documents as d')
    .leftJoin('dossiers as f', 'f.id', 'd.dossier_id')
    .select('d.*', knex.raw(`CASE WHEN f.id IS NULL THEN NULL ELSE json_build_object('organId', f.agency_organ_id, 'fileCatalog', f.file_catalog, 'fileNotation', f.file_notation) END AS file_code`));

export class KnexDocumentRepository implements DocumentRepository {
  constructor(private readonly trx: Knex) {}

  async insertWithNextArrivalNumber(doc: NewDocument, register: RegisterKey & { name: string }, arrivalDate: Date, audit: RegistrationAudit): Promise<{ document: RegistryDocument; duplicates: DuplicateCandidate[] }> {
    const values = toInsertRow(doc, this.trx);
    const columns = Object.keys(columnTypes);
    const placeholders = columns.map((c) => `?::${columnTypes[c]}`).join(', ');
    const { prefix, suffix } = auditEntryTextAroundNumber(audit.chain, audit.event, audit.at);
    // One statement, so the book's row lock is held only for it and the commit: take the next number
    // (creating the year's book on first use), insert the document with it, and append the audit entry
    // recording that number to the agency's hash chain (sha256(previous || entry), computed in the database).
    const m = doc.metadata;
    const result = await this.trx.raw<{ rows: (DocumentRow & { duplicates: { id: string; arrival_number: number | null; by_code: boolean }[] })[] }>(
      `WITH dups AS (${DUPLICATES_SQL}), reg AS (
         INSERT INTO registers (id, agency_organ_id, direction, series_key, year, name, counter)
         VALUES (?, ?, ?, ?, ?, ?, 1)
         ON CONFLICT (agency_organ_id, direction, series_key, year) DO UPDATE SET counter = registers.counter + 1
         RETURNING id, counter, year
       ), doc AS (
         INSERT INTO documents (${columns.join(', ')}, register_id, register_year, arrival_number, arrival_date)
         SELECT ${placeholders}, reg.id, reg.year, reg.counter, ?::timestamptz FROM reg
         RETURNING *
       ), entry AS (
         SELECT ?::text || reg.counter::text || ?::text AS text FROM reg
       ), head AS (
         INSERT INTO audit_heads (chain, seq, last_hash)
         SELECT ?, 1, sha256(?::bytea || convert_to(entry.text, 'UTF8')) FROM entry
         ON CONFLICT (chain) DO UPDATE SET seq = audit_heads.seq + 1,
           last_hash = sha256(audit_heads.last_hash || convert_to((SELECT text FROM entry), 'UTF8'))
         RETURNING seq, last_hash
       ), log AS (
         INSERT INTO audit_log (chain, seq, entry, hash) SELECT ?, head.seq, entry.text, head.last_hash FROM head, entry
         RETURNING seq
       )
       SELECT doc.*, (SELECT coalesce(json_agg(dups), '[]'::json) FROM dups) AS duplicates FROM doc, log`,
      [...duplicateBindings(doc.agencyOrganId, { codeNumber: m.codeNumber, codeNotation: m.codeNotation, senderOrganId: doc.senderOrganId, organName: m.organName, edxmlDocumentId: doc.edxmlDocumentId }),
        randomUUID(), register.agencyOrganId, register.direction, register.seriesKey, register.year, register.name,
        ...columns.map((c) => (values[c] ?? null) as Knex.Value), arrivalDate.toISOString(),
        prefix, suffix, audit.chain, GENESIS_HASH, audit.chain],
    ).options({ name: 'edoc_register_incoming' }); // prepared once per connection: planning is most of its cost
    const row = result.rows[0] as DocumentRow & { duplicates: { id: string; arrival_number: number | null; by_code: boolean }[] };
    return { document: toDocument({ ...row, file_code: null }), duplicates: toCandidates(row.duplicates) };
  }

  async insert(doc: NewDocument): Promise<RegistryDocument> {
    const [row] = await this.trx('documents').insert(toInsertRow(doc, this.trx)).returning('*');
    return toDocument({ ...(row as DocumentRow), file_code: null });
  }

  async find(agencyOrganId: string, id: string): Promise<RegistryDocument | null> {
    const row = await selectDocuments(this.trx).where({ 'd.agency_organ_id': agencyOrganId, 'd.id': id }).first();
    return row ? toDocument(row as DocumentRow) : null;
  }

  async findForUpdate(agencyOrganId: string, id: string): Promise<RegistryDocument | null> {
    const row = await this.trx('documents').where({ agency_organ_id: agencyOrganId, id }).forUpdate().first();
    return row ? this.find(agencyOrganId, id) : null;
  }

  async list(agencyOrganId: string, filter: DocumentFilter): Promise<RegistryDocument[]> {
    const q = selectDocuments(this.trx).where('d.agency_organ_id', agencyOrganId);
    if (filter.direction) q.andWhere('d.direction', filter.direction);
    if (filter.status) q.andWhere('d.status', filter.status);
    if (filter.year) q.andWhere('d.register_year', filter.year);
    const rows = await q.orderBy('d.created_at', 'desc').orderBy('d.id').limit(filter.limit).offset(filter.offset);
    return (rows as DocumentRow[]).map(toDocument);
  }

  async findDuplicates(agencyOrganId: string, probe: DuplicateProbe): Promise<DuplicateCandidate[]> {
    if (!(probe.codeNumber && probe.codeNotation) && !probe.edxmlDocumentId) return [];
    const result = await this.trx.raw<{ rows: { id: string; arrival_number: number | null; by_code: boolean }[] }>(DUPLICATES_SQL, duplicateBindings(agencyOrganId, probe))
      .options({ name: 'edoc_find_duplicates' });
    return toCandidates(result.rows);
  }

  async markIssued(id: string, issue: Parameters<DocumentRepository['markIssued']>[1]): Promise<RegistryDocument> {
    const [row] = await this.trx('documents').where({ id }).update({
      register_id: issue.registerId,
      register_year: issue.registerYear,
      register_number: issue.registerNumber,
      code_number: issue.codeNumber,
      code_notation: issue.codeNotation,
      issued_date: issue.issuedDate,
      status: 'issued',
      updated_at: this.trx.fn.now(),
    }).returning('*');
    return toDocument({ ...(row as DocumentRow), file_code: null });
  }

  async setStatus(id: string, status: RegistryDocument['status'], changes: { forwardedAt?: Date; recipientsNote?: string } = {}): Promise<RegistryDocument> {
    const [row] = await this.trx('documents').where({ id }).update({
      status,
      ...(changes.forwardedAt ? { forwarded_at: changes.forwardedAt } : {}),
      ...(changes.recipientsNote !== undefined ? { recipients_note: changes.recipientsNote } : {}),
      updated_at: this.trx.fn.now(),
    }).returning('*');
    return toDocument({ ...(row as DocumentRow), file_code: null });
  }

  async markArrived(id: string, arrival: { registerId: string; registerYear: number; arrivalNumber: number }): Promise<RegistryDocument> {
    const [row] = await this.trx('documents').where({ id }).update({
      register_id: arrival.registerId, register_year: arrival.registerYear, arrival_number: arrival.arrivalNumber, status: 'registered', updated_at: this.trx.fn.now(),
    }).returning('*');
    return toDocument({ ...(row as DocumentRow), file_code: null });
  }

  async registerEntries(filter: RegisterEntryFilter): Promise<RegistryDocument[]> {
    const q = selectDocuments(this.trx)
      .join('registers as r', 'r.id', 'd.register_id')
      .where({ 'd.agency_organ_id': filter.agencyOrganId, 'd.direction': filter.direction, 'r.year': filter.year });
    if (filter.seriesKey) q.andWhere('r.series_key', filter.seriesKey);
    const dateColumn = filter.direction === 'incoming' ? 'd.arrival_date' : 'd.issued_date';
    if (filter.from) q.andWhere(dateColumn, '>=', filter.from);
    if (filter.until) q.andWhere(dateColumn, '<', filter.until);
    const rows = await q.orderBy('r.series_key').orderBy(filter.direction === 'incoming' ? 'd.arrival_number' : 'd.register_number');
    return (rows as DocumentRow[]).map(toDocument);
  }
}
