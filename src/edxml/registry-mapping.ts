// Between edXML and the registry (src/domain/document.ts): a received package fills the Phụ lục VI
// metadata of an incoming document (Nghị định 30/2020/NĐ-CP: the 16 shared items plus ArrivalDate,
// ArrivalNumber, ToPlaces and TraceHeaderList); an outgoing document becomes a package to send.
// The số đến (ArrivalNumber) and the dossier (FileCode) are the registry's to assign, so they stay null.
import type { IncomingDocumentMetadata, OutgoingDocumentMetadata } from '../domain/document.ts';
import type { OrganId } from '../domain/organ-id.ts';
import { toDateOnly, writeEdxmlDate } from './edxml-dates.ts';
import { invalid, missing } from './field-reader.ts';
import type { Business, DocumentHeader, Organization, OutgoingAttachment, OutgoingDocumentPackage, ParsedDocumentPackage } from './model.ts';

/** Phụ lục VI "Ngôn ngữ": documents exchanged on the axis are in Vietnamese. */
const LANGUAGE = 'Tiếng Việt';

export interface IncomingFromPackage {
  readonly metadata: IncomingDocumentMetadata;
  readonly senderOrganId: OrganId;
  /** The opaque DocumentId, the dedupe key of electronic documents. */
  readonly edxmlDocumentId: string;
  readonly business: Business | undefined;
}

/** Incoming metadata from a received package; `receivedAt` is the ArrivalDate. */
export function incomingMetadataFromPackage(pkg: ParsedDocumentPackage, receivedAt: Date): IncomingFromPackage {
  const h = pkg.header;
  const signer = h.signerInfo;
  return {
    metadata: {
      fileCode: null,
      docOrdinal: null,
      typeName: h.documentType.typeName ?? '',
      codeNumber: h.code.codeNumber,
      codeNotation: h.code.codeNotation,
      issuedDate: h.promulgationInfo.promulgationDate,
      organName: h.from.organName ?? h.from.organizationInCharge ?? h.from.organId,
      subject: h.subject,
      language: LANGUAGE,
      pageAmount: h.otherInfo?.pageAmount ?? null,
      description: h.content ?? null,
      signerInfo: signer ? { position: signer.position ?? null, fullName: signer.fullName ?? null, competence: signer.competence ?? null } : null,
      to: h.to.map((o) => ({ organId: o.organId, organName: o.organName ?? o.organizationInCharge ?? o.organId })),
      priority: h.otherInfo?.priority ?? 0,
      issuedAmount: h.otherInfo?.promulgationAmount ?? null,
      dueDate: h.dueDate ?? null,
      arrivalDate: receivedAt.toISOString(),
      arrivalNumber: null,
      toPlaces: h.toPlaces,
      traceHeaders: pkg.traceHeaders.map((t) => ({ organId: t.organId, timestamp: t.timestamp.toISOString() })),
    },
    senderOrganId: h.from.organId,
    edxmlDocumentId: h.documentId,
    business: pkg.business,
  };
}

export interface OutgoingPackageInput {
  readonly metadata: OutgoingDocumentMetadata;
  /** The sending agency with its contact details (From). */
  readonly sender: Organization;
  /** One per recipient agency (To); the printed "Nơi nhận" list is metadata.to's names. */
  readonly recipients: readonly Organization[];
  readonly attachments: readonly OutgoingAttachment[];
  /** Time of sending: the first TraceHeader. */
  readonly sentAt: Date;
  /** DocumentId; by default `<sender OrganId>,<yyyy/MM/dd>,<số>/<ký hiệu>` as the vendor SDK forms it. */
  readonly documentId?: string;
  /** Business operation; by default a new document (BussinessDocType 0). */
  readonly business?: Business;
  readonly typeCode?: number;
}

/** The package that sends an issued outgoing document. */
export function packageFromOutgoing(input: OutgoingPackageInput): OutgoingDocumentPackage {
  const m = input.metadata;
  if (m.codeNumber === null) throw missing('metadata.codeNumber');
  if (m.codeNotation === null) throw missing('metadata.codeNotation');
  if (m.issuedDate === null) throw missing('metadata.issuedDate');
  const issued = toDateOnly(m.issuedDate);
  if (!issued) throw invalid('metadata.issuedDate', `not a YYYY-MM-DD date: ${m.issuedDate}`);
  const due = m.dueDate === null ? undefined : toDateOnly(m.dueDate);
  if (m.dueDate !== null && !due) throw invalid('metadata.dueDate', `not a YYYY-MM-DD date: ${m.dueDate}`);
  if (input.recipients.length === 0) throw missing('recipients');
  const documentId = input.documentId ?? `${input.sender.organId},${writeEdxmlDate(issued)},${m.codeNumber}/${m.codeNotation}`;
  const header: DocumentHeader = {
    from: input.sender,
    to: input.recipients,
    documentId,
    code: { codeNumber: m.codeNumber, codeNotation: m.codeNotation },
    promulgationInfo: { promulgationDate: issued },
    documentType: { type: input.typeCode ?? 1, typeName: m.typeName },
    subject: m.subject,
    content: m.description ?? undefined,
    signerInfo: m.signerInfo ? { competence: m.signerInfo.competence ?? undefined, position: m.signerInfo.position ?? undefined, fullName: m.signerInfo.fullName ?? undefined } : undefined,
    dueDate: due,
    toPlaces: m.to.map((t) => t.organName),
    otherInfo: { priority: m.priority, promulgationAmount: m.issuedAmount ?? undefined, pageAmount: m.pageAmount ?? undefined, appendixes: [] },
    responseFor: [],
  };
  return {
    header,
    traceHeaders: [{ organId: input.sender.organId, timestamp: input.sentAt }],
    business: input.business ?? { businessDocType: 0, businessDocReason: 'Văn bản điện tử mới', paper: false, replacementInfoList: [] },
    attachments: input.attachments.map((a) => ({ ...a, contentType: a.contentType ?? ((a.transferEncoding ?? 'zip') === 'zip' ? 'application/zip' : undefined) })),
  };
}
