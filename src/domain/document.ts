// Documents as the registry keeps them, with the metadata of Nghị định 30/2020, Phụ lục VI:
// outgoing documents 16 items, incoming documents the same plus ArrivalDate, ArrivalNumber, ToPlaces and
// TraceHeaderList. Dates without time are `YYYY-MM-DD` strings (a calendar day in Vietnam), never Date
// objects at UTC midnight that would shift a day.

export type Direction = 'incoming' | 'outgoing';

/** Electronic (received over the axis / born digital) or paper that the văn thư scanned. */
export type Origin = 'electronic' | 'paper';

/** edXML OtherInfo/Priority: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ. */
export type Priority = 0 | 1 | 2 | 3 | 4;
export const priorityLabels: Record<Priority, string> = { 0: 'Thường', 1: 'Khẩn', 2: 'Thượng khẩn', 3: 'Hỏa tốc', 4: 'Hỏa tốc hẹn giờ' };

/** Độ mật. Classified documents are never exchanged electronically and have their own outgoing series. */
export type Confidentiality = 'none' | 'mat' | 'toi_mat' | 'tuyet_mat';
export const confidentialityLabels: Record<Confidentiality, string> = { none: 'Thường', mat: 'Mật', toi_mat: 'Tối mật', tuyet_mat: 'Tuyệt mật' };
export const isClassified = (c: Confidentiality): boolean => c !== 'none';

export type IncomingStatus = 'received' | 'registered' | 'returned' | 'assigned' | 'in_progress' | 'completed' | 'recalled' | 'replaced';
export type OutgoingStatus = 'draft' | 'awaiting_signature' | 'signed' | 'issued' | 'recalled' | 'replaced';
export type DocumentStatus = IncomingStatus | OutgoingStatus;

/** FileCode of Phụ lục VI: the work dossier (hồ sơ) the document is filed in. */
export interface FileCode {
  readonly organId: string;
  readonly fileCatalog: number; // the dossier's year
  readonly fileNotation: string;
}

export interface OrganRef {
  readonly organId: string | null; // null for paper documents from bodies without a known organ id
  readonly organName: string;
}

export interface SignerInfo {
  readonly position: string | null;
  readonly fullName: string | null;
  readonly competence?: string | null; // TM., Q., KT., TL., TUQ.
}

/** The 16 items of Phụ lục VI shared by outgoing and incoming documents. */
export interface DocumentMetadata {
  readonly fileCode: FileCode | null;
  readonly docOrdinal: number | null;
  readonly typeName: string;
  readonly codeNumber: string | null; // số, e.g. "05" or "1250"
  readonly codeNotation: string | null; // ký hiệu, e.g. "QĐ-UBND"
  readonly issuedDate: string | null; // YYYY-MM-DD
  readonly organName: string; // issuing agency (Tác giả)
  readonly subject: string; // trích yếu
  readonly language: string;
  readonly pageAmount: number | null;
  readonly description: string | null;
  readonly signerInfo: SignerInfo | null;
  readonly to: readonly OrganRef[];
  readonly priority: Priority;
  readonly issuedAmount: number | null;
  readonly dueDate: string | null; // YYYY-MM-DD
}

export interface TraceHeader {
  readonly organId: string;
  readonly timestamp: string; // ISO 8601
}

/** Incoming documents add ArrivalDate, ArrivalNumber, ToPlaces and TraceHeaderList. */
export interface IncomingDocumentMetadata extends DocumentMetadata {
  readonly arrivalDate: string | null; // ISO 8601 instant
  readonly arrivalNumber: number | null;
  readonly toPlaces: readonly string[];
  readonly traceHeaders: readonly TraceHeader[];
}

export type OutgoingDocumentMetadata = DocumentMetadata;

export interface RegistryDocument {
  readonly id: string;
  readonly agencyOrganId: string;
  readonly direction: Direction;
  readonly origin: Origin;
  readonly status: DocumentStatus;
  readonly confidentiality: Confidentiality;
  readonly metadata: IncomingDocumentMetadata;
  /** The sender's organ id (incoming) — null when a paper document came from an unidentified body. */
  readonly senderOrganId: string | null;
  /** edXML DocumentId (opaque): the dedupe key of electronic documents. */
  readonly edxmlDocumentId: string | null;
  readonly registerId: string | null;
  readonly registerYear: number | null;
  readonly draftingUnitId: string | null;
  readonly recipientsNote: string | null; // Đơn vị hoặc người nhận (incoming book) / Nơi nhận (outgoing book)
  readonly forwardedAt: string | null; // Ngày chuyển
  readonly notes: string | null; // Ghi chú
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DuplicateWarning {
  readonly code: 'registry.duplicate_code' | 'registry.duplicate_document_id';
  readonly message: string;
  readonly messageVi: string;
  readonly existingDocumentId: string;
  readonly existingArrivalNumber: number | null;
}
