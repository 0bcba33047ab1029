// Maps `documents` rows to domain objects and back. The column list is the one place that knows both.
import type { Knex } from 'knex';
import type { IncomingDocumentMetadata, RegistryDocument } from '../domain/document.ts';
import type { NewDocument } from '../domain/registry-ports.ts';

export interface DocumentRow {
  id: string;
  agency_organ_id: string;
  direction: 'incoming' | 'outgoing';
  origin: 'electronic' | 'paper';
  status: string;
  confidentiality: 'none' | 'mat' | 'toi_mat' | 'tuyet_mat';
  dossier_id: string | null;
  doc_ordinal: number | null;
  type_name: string;
  code_number: string | null;
  code_notation: string | null;
  issued_date: string | null;
  organ_name: string;
  subject: string;
  language: string;
  page_amount: number | null;
  description: string | null;
  signer_info: IncomingDocumentMetadata['signerInfo'];
  recipients: IncomingDocumentMetadata['to'];
  priority: number;
  issued_amount: number | null;
  due_date: string | null;
  arrival_date: Date | null;
  arrival_number: number | null;
  to_places: string[];
  trace_headers: IncomingDocumentMetadata['traceHeaders'];
  sender_organ_id: string | null;
  edxml_document_id: string | null;
  register_id: string | null;
  register_year: number | null;
  register_number: number | null;
  drafting_unit_id: string | null;
  recipients_note: string | null;
  forwarded_at: Date | null;
  notes: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  file_code?: { organId: string; fileCatalog: number; fileNotation: string } | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toDocument(row: DocumentRow): RegistryDocument {
  return {
    id: row.id,
    agencyOrganId: row.agency_organ_id,
    direction: row.direction,
    origin: row.origin,
    status: row.status as RegistryDocument['status'],
    confidentiality: row.confidentiality,
    metadata: {
      fileCode: row.file_code ?? null,
      docOrdinal: row.doc_ordinal,
      typeName: row.type_name,
      codeNumber: row.code_number,
      codeNotation: row.code_notation,
      issuedDate: row.issued_date,
      organName: row.organ_name,
      subject: row.subject,
      language: row.language,
      pageAmount: row.page_amount,
      description: row.description,
      signerInfo: row.signer_info,
      to: row.recipients,
      priority: row.priority as IncomingDocumentMetadata['priority'],
      issuedAmount: row.issued_amount,
      dueDate: row.due_date,
      arrivalDate: iso(row.arrival_date),
      arrivalNumber: row.arrival_number,
      toPlaces: row.to_places,
      traceHeaders: row.trace_headers,
    },
    senderOrganId: row.sender_organ_id,
    edxmlDocumentId: row.edxml_document_id,
    registerId: row.register_id,
    registerYear: row.register_year,
    draftingUnitId: row.drafting_unit_id,
    recipientsNote: row.recipients_note,
    forwardedAt: iso(row.forwarded_at),
    notes: row.notes,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Column values for an insert; jsonb values are serialised explicitly (pg would send arrays as PG arrays). */
export function toInsertRow(doc: NewDocument, knex: Knex): Record<string, unknown> {
  const m = doc.metadata;
  return {
    id: doc.id,
    agency_organ_id: doc.agencyOrganId,
    direction: doc.direction,
    origin: doc.origin,
    status: doc.status,
    confidentiality: doc.confidentiality,
    doc_ordinal: m.docOrdinal,
    type_name: m.typeName,
    code_number: m.codeNumber,
    code_notation: m.codeNotation,
    issued_date: m.issuedDate,
    organ_name: m.organName,
    subject: m.subject,
    language: m.language,
    page_amount: m.pageAmount,
    description: m.description,
    signer_info: m.signerInfo ? JSON.stringify(m.signerInfo) : null,
    recipients: JSON.stringify(m.to),
    priority: m.priority,
    issued_amount: m.issuedAmount,
    due_date: m.dueDate,
    to_places: JSON.stringify(m.toPlaces),
    trace_headers: JSON.stringify(m.traceHeaders),
    sender_organ_id: doc.senderOrganId,
    edxml_document_id: doc.edxmlDocumentId,
    drafting_unit_id: doc.draftingUnitId,
    recipients_note: doc.recipientsNote,
    notes: doc.notes,
    created_by: doc.createdBy,
    created_at: knex.fn.now(),
    updated_at: knex.fn.now(),
  };
}
