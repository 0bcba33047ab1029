import type { DuplicateWarning, RegistryDocument } from '../../domain/document.ts';
import { fullNotation } from '../../domain/notation.ts';
import type { AttachmentRecord } from '../../domain/registry-ports.ts';

/** The API shape of a document: Phụ lục VI names, flat where clients expect them. */
export function presentDocument(d: RegistryDocument) {
  const m = d.metadata;
  return {
    id: d.id,
    organId: d.agencyOrganId,
    direction: d.direction,
    origin: d.origin,
    status: d.status,
    confidentiality: d.confidentiality,
    typeName: m.typeName,
    codeNumber: m.codeNumber,
    codeNotation: m.codeNotation,
    number: d.direction === 'outgoing' ? m.codeNumber : undefined,
    notation: d.direction === 'outgoing' && m.codeNumber && m.codeNotation ? fullNotation(m.codeNumber, m.codeNotation) : undefined,
    issuedDate: m.issuedDate,
    organName: m.organName,
    senderOrganId: d.senderOrganId,
    subject: m.subject,
    language: m.language,
    pageAmount: m.pageAmount,
    description: m.description,
    signerInfo: m.signerInfo,
    to: m.to,
    priority: m.priority,
    issuedAmount: m.issuedAmount,
    dueDate: m.dueDate,
    fileCode: m.fileCode,
    docOrdinal: m.docOrdinal,
    arrivalNumber: m.arrivalNumber,
    arrivalDate: m.arrivalDate,
    toPlaces: m.toPlaces,
    traceHeaders: m.traceHeaders,
    documentId: d.edxmlDocumentId,
    registerYear: d.registerYear,
    draftingUnitId: d.draftingUnitId,
    recipientsNote: d.recipientsNote,
    forwardedAt: d.forwardedAt,
    notes: d.notes,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export const presentWarning = (w: DuplicateWarning) => ({ code: w.code, message: w.message, messageVi: w.messageVi, existingDocumentId: w.existingDocumentId, existingArrivalNumber: w.existingArrivalNumber });

export const presentAttachment = (a: AttachmentRecord) => ({ id: a.id, fileName: a.fileName, mediaType: a.mediaType, size: a.size, sha256: a.sha256, role: a.role, createdAt: a.createdAt });
