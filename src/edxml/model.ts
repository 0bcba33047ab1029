// The edXML model (QCVN 102:2016/BTTTT as the vendor SDK writes it, DOMAIN.md §3–§4): what a document
// package and a status message carry, with dates as dates and codes as enumerations. Optional elements
// are `undefined` when absent or empty; repeated elements are arrays (empty when absent). Names follow
// the elements, spelled correctly in the model ("business"); the misspelling "Bussiness" stays in the
// XML readers and writers.
import type { BusinessDocType, EdxmlPriority, ReceiverChange, StatusCode } from '../domain/edxml-codes.ts';
import type { OrganId } from '../domain/organ-id.ts';
import type { DateOnly } from './edxml-dates.ts';

export const QCVN_102_NAMESPACE = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
export const XMLDSIG_NAMESPACE = 'http://www.w3.org/2000/09/xmldsig#';

/** From, To: an agency with its contact details. */
export interface Organization {
  readonly organId: OrganId;
  readonly organizationInCharge?: string | undefined;
  readonly organName?: string | undefined;
  readonly organAdd?: string | undefined;
  readonly email?: string | undefined;
  readonly telephone?: string | undefined;
  readonly fax?: string | undefined;
  readonly website?: string | undefined;
}

/** Code: số and ký hiệu. */
export interface DocumentCode {
  readonly codeNumber: string;
  readonly codeNotation: string;
}

export interface PromulgationInfo {
  readonly place?: string | undefined;
  readonly promulgationDate: DateOnly;
}

/** DocumentType: the integer code list is not public, TypeName carries the meaning (e.g. "Công văn"). */
export interface DocumentType {
  readonly type: number;
  readonly typeDetail?: number | undefined;
  readonly typeName?: string | undefined;
}

/** SignerInfo: Competence is the signing capacity (TM., Q., KT., TL., TUQ.). */
export interface SignerInfo {
  readonly competence?: string | undefined;
  readonly position?: string | undefined;
  readonly fullName?: string | undefined;
}

export interface OtherInfo {
  readonly priority?: EdxmlPriority | undefined;
  readonly sphereOfPromulgation?: string | undefined;
  readonly typerNotation?: string | undefined;
  readonly promulgationAmount?: number | undefined;
  readonly pageAmount?: number | undefined;
  /** Vendor extension (`Direction`, "true"/"false"): whether the document is a chỉ đạo điều hành. */
  readonly direction?: boolean | undefined;
  readonly appendixes: readonly string[];
}

/** ResponseFor: the document this one answers (or, in a status message, the document the status is about). */
export interface ResponseFor {
  readonly organId: OrganId;
  /** `<số>/<ký hiệu>` as one string, e.g. `7816/VPCP-TTĐT`. */
  readonly code?: string | undefined;
  readonly promulgationDate?: DateOnly | undefined;
  readonly documentId: string;
}

/** MessageHeader of a document package. */
export interface DocumentHeader {
  readonly from: Organization;
  readonly to: readonly Organization[];
  /** Opaque key, usually `<sender OrganId>,<yyyy/MM/dd>,<số>/<ký hiệu>`: the dedupe key. */
  readonly documentId: string;
  readonly code: DocumentCode;
  readonly promulgationInfo: PromulgationInfo;
  readonly documentType: DocumentType;
  readonly subject: string;
  readonly content?: string | undefined;
  readonly signerInfo?: SignerInfo | undefined;
  readonly dueDate?: DateOnly | undefined;
  readonly toPlaces: readonly string[];
  readonly otherInfo?: OtherInfo | undefined;
  readonly responseFor: readonly ResponseFor[];
  /** Kind of direction; the value set conflicts between vendors, so kept as the integer sent. */
  readonly steeringType?: number | undefined;
}

export interface TraceHeader {
  readonly organId: OrganId;
  readonly timestamp: Date;
}

/** StaffInfo: the clerk who acted. */
export interface StaffInfo {
  readonly department?: string | undefined;
  readonly staff?: string | undefined;
  readonly mobile?: string | undefined;
  readonly email?: string | undefined;
}

export interface ReceiverChangeEntry {
  readonly organId: OrganId;
  readonly receiverType: ReceiverChange;
}

/** BussinessDocumentInfo (updates): which parts changed and which recipients were added or removed. */
export interface BusinessDocumentInfo {
  readonly documentInfo?: boolean | undefined;
  readonly documentReceiver?: boolean | undefined;
  readonly receivers: readonly ReceiverChangeEntry[];
}

/** ReplacementInfo (replacements): the document replaced and the agencies that had received it. */
export interface ReplacementInfo {
  readonly documentId: string;
  readonly organIds: readonly OrganId[];
}

/** TraceHeaderList/Bussiness: the business operation (new, revocation, update, replacement). */
export interface Business {
  readonly documentId?: string | undefined;
  readonly businessDocType: BusinessDocType;
  readonly businessDocReason?: string | undefined;
  /** Paper: a paper copy follows. */
  readonly paper?: boolean | undefined;
  readonly businessDocumentInfo?: BusinessDocumentInfo | undefined;
  readonly staffInfo?: StaffInfo | undefined;
  readonly replacementInfoList: readonly ReplacementInfo[];
}

/** edXMLManifest/Reference. ContentId without any leading `cid:`. */
export interface ManifestReference {
  readonly contentId: string;
  readonly contentType?: string | undefined;
  readonly description?: string | undefined;
  readonly attachmentName?: string | undefined;
}

/** How the attachment bytes travelled: base64 of a ZIP holding the one file (vendor SDK) or of the raw file. */
export type TransferEncoding = 'zip' | 'raw';

/** An attachment as received: metadata, and the digest and size of the decoded file (after unzipping). */
export interface ReceivedAttachment {
  readonly contentId: string;
  readonly name: string;
  readonly description?: string | undefined;
  readonly contentType?: string | undefined;
  readonly transferEncoding: TransferEncoding;
  /** The name of the file inside the ZIP, when zipped (often a generated name, not AttachmentName). */
  readonly zipEntryName?: string | undefined;
  /** Decoded file size in bytes. */
  readonly size: number;
  /** SHA-256 of the decoded file, hex. */
  readonly sha256: string;
  /** The decoded file, when the caller asked for attachments in memory. */
  readonly content?: Uint8Array | undefined;
}

/** Content read at any offset (an attachment in the blob store): a package is built and signed without holding it. */
export interface RandomAccessContent {
  readonly byteLength: number;
  /** Up to `length` bytes at `offset`. */
  readSync(offset: number, length: number): Buffer;
  /**
   * The file's ZIP data made ahead of the build (a large file that compresses, deflated as a stream into
   * the blob store: `deflateAhead`): used as is when the attachment is zipped, so the file is not read here.
   */
  readonly zip?: DeflatedAhead;
}

/** Raw deflate of a file, made ahead, with the CRC-32 of the file. */
export interface DeflatedAhead {
  readonly crc32: number;
  readonly deflated: RandomAccessContent;
}

/** `content` in consecutive reads of `pieceBytes` (the last one shorter); a short read is an error, not a shorter file. */
export function* readPieces(content: RandomAccessContent, pieceBytes: number): Generator<Buffer> {
  for (let at = 0; at < content.byteLength; at += pieceBytes) {
    const want = Math.min(pieceBytes, content.byteLength - at);
    const piece = content.readSync(at, want);
    if (piece.length !== want) throw new Error(`a file gave ${piece.length} bytes at ${at}, ${want} expected`);
    yield piece;
  }
}

/** An attachment to send. */
export interface OutgoingAttachment {
  /** Without `cid:`; generated (`<index+1>`) when absent. */
  readonly contentId?: string | undefined;
  readonly name: string;
  readonly description?: string | undefined;
  readonly contentType?: string | undefined;
  readonly content: Uint8Array | RandomAccessContent;
  /** Default `zip`, as the vendor SDK sends. */
  readonly transferEncoding?: TransferEncoding | undefined;
}

/** A document package to build. */
export interface OutgoingDocumentPackage {
  readonly header: DocumentHeader;
  readonly traceHeaders: readonly TraceHeader[];
  readonly business?: Business | undefined;
  readonly attachments: readonly OutgoingAttachment[];
}

/** A status message (DOMAIN.md §4): no body, sent with messagetype=status. */
export interface StatusMessage {
  readonly from: Organization;
  readonly responseFor: ResponseFor;
  readonly staffInfo?: StaffInfo | undefined;
  readonly statusCode: StatusCode;
  readonly description?: string | undefined;
  readonly timestamp: Date;
  readonly traceHeaders: readonly TraceHeader[];
}

/** A deviation from the usual shape that the parser tolerated. */
export interface ConformanceWarning {
  readonly code: string;
  readonly field?: string | undefined;
  readonly message: string;
}

/** Where the envelope signature was found (verifying it is src/pki's work, on the raw package bytes). */
export type EnvelopeSignaturePresence = 'absent' | 'xmldsig' | 'outside-xmldsig-namespace';

export interface ParsedDocumentPackage {
  readonly kind: 'document';
  readonly header: DocumentHeader;
  readonly traceHeaders: readonly TraceHeader[];
  readonly business?: Business | undefined;
  readonly manifest: readonly ManifestReference[];
  readonly attachments: readonly ReceivedAttachment[];
  readonly signature: EnvelopeSignaturePresence;
  readonly warnings: readonly ConformanceWarning[];
}

export interface ParsedStatusMessage {
  readonly kind: 'status';
  readonly status: StatusMessage;
  readonly signature: EnvelopeSignaturePresence;
  readonly warnings: readonly ConformanceWarning[];
}

export type ParsedEdxml = ParsedDocumentPackage | ParsedStatusMessage;
