// Exchange of documents over the axis (issue 5, DOMAIN.md §2–§4, DESIGN.md "Main flows"): per-recipient
// delivery tracking on the sending side, received packages and quarantine on the receiving side, and the
// ports the exchange services need (signing and verifying envelopes, one transaction spanning the
// registry, the outbox and the inbox).
import type { InboxOutcome, InboxRecord } from './axis-inbox.ts';
import type { SignedDirectory } from './directory.ts';
import type { NewOutboxEntry } from './outbox.ts';
import type { Repositories } from './unit-of-work.ts';
import type { SignatureValidationReport } from './validation-report.ts';
import type { StatusCode } from './edxml-codes.ts';

/**
 * Per recipient, the sender tracks (DOMAIN.md §4): queued → sent → 01 đã đến → 03 đã tiếp nhận (with
 * the recipient's số đến) → 04 → 05 → 06, or 02 returned (with a reason); `failed` when the relay gave up.
 * `queued`/`sent`/`failed` come from the outbox entry; the codes from the recipient's status messages.
 */
export type DeliveryState = 'queued' | 'sent' | 'failed' | '01' | '02' | '03' | '04' | '05' | '06';

/** The progress order of the status codes: a status applies only if it moves the delivery forward. */
const STATUS_RANK: Readonly<Record<string, number>> = { '01': 1, '03': 3, '04': 4, '05': 5, '06': 6, '02': 7 };

/** The state after applying `code` to a delivery whose status so far is `current` (null: none yet). */
export function advanceDelivery(current: StatusCode | null, code: StatusCode): StatusCode | null {
  const next = STATUS_RANK[code];
  if (next === undefined) return current; // 13/15/16 concern recall/update, not progress
  if (current === null) return code;
  // 02 (returned) ends a delivery only before the recipient registered it (DOMAIN.md §4: the văn thư
  // returns instead of registering); a 02 after 03 contradicts the registration and changes nothing.
  if (code === '02') return current === '01' ? code : current;
  if (current === '02') return current;
  return next > (STATUS_RANK[current] ?? 0) ? code : current;
}

export interface StatusEvent {
  readonly code: StatusCode;
  readonly at: string; // ISO 8601, the status message's Timestamp
  readonly description: string | null;
  readonly arrivalNumber: number | null;
}

export interface Delivery {
  readonly documentId: string; // the outgoing registry document
  readonly agencyOrganId: string; // sender (hosted)
  readonly recipientOrganId: string;
  readonly recipientName: string;
  readonly edxmlDocumentId: string;
  readonly messageId: string; // the outbox entry's message id
  readonly status: StatusCode | null;
  readonly arrivalNumber: number | null;
  readonly reason: string | null;
  readonly history: readonly StatusEvent[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A delivery with its outbox state, for the văn thư's view. */
export interface DeliveryView extends Delivery {
  readonly state: DeliveryState;
  readonly outboxState: 'pending' | 'sent' | 'failed' | null;
  readonly lastError: string | null;
}

export function deliveryState(status: StatusCode | null, outboxState: DeliveryView['outboxState']): DeliveryState {
  if (status && STATUS_RANK[status] !== undefined) return status as DeliveryState;
  if (outboxState === 'sent') return 'sent';
  if (outboxState === 'failed') return 'failed';
  return 'queued';
}

/** What the receiver keeps about a received package (beside the incoming registry document). */
export interface ReceivedPackage {
  readonly documentId: string; // the incoming registry document
  readonly agencyOrganId: string; // recipient (hosted)
  readonly senderOrganId: string;
  readonly edxmlDocumentId: string;
  readonly businessDocType: number;
  readonly messageId: string;
  readonly packageSha256: string; // in the blob store
  /** The original MessageHeader (JSON of the edXML model), to address status messages about it. */
  readonly header: unknown;
  readonly report: SignatureValidationReport;
  /** Reports of the signatures in PDF attachments (PAdES), oldest first per file. */
  readonly attachmentReports: readonly SignatureValidationReport[];
  /** The last status this node gave the sender about it (re-sent on duplicates). */
  readonly lastStatus: StatusCode;
}

export interface QuarantinedPackage {
  readonly id: string;
  readonly agencyOrganId: string;
  readonly senderOrganId: string; // transport header `from` (not authenticated)
  readonly messageId: string;
  readonly reasonCode: string;
  readonly reason: string; // Vietnamese, as sent back with 02
  readonly report: unknown;
  readonly packageSha256: string | null;
  readonly answered: boolean; // a 02 was sent
  readonly receivedAt: string;
}

/** A recall request received from a sender (BussinessDocType 1), answered 15 (accepted) or 16 (refused). */
export interface RecallRequest {
  readonly id: string;
  readonly agencyOrganId: string;
  readonly senderOrganId: string;
  readonly edxmlDocumentId: string;
  readonly businessDocType: number;
  readonly documentId: string | null;
  readonly reason: string | null;
  readonly state: 'pending' | 'accepted' | 'refused';
  readonly answer: string | null;
  readonly messageId: string;
  readonly header: unknown;
  readonly receivedAt: string;
}

export interface ExchangeRepository {
  insertDeliveries(deliveries: readonly Omit<Delivery, 'createdAt' | 'updatedAt' | 'status' | 'arrivalNumber' | 'reason' | 'history'>[]): Promise<void>;
  /** Locks the delivery row for the status being applied. */
  findDeliveryForUpdate(agencyOrganId: string, edxmlDocumentId: string, recipientOrganId: string): Promise<Delivery | null>;
  updateDelivery(delivery: Delivery): Promise<void>;
  listDeliveries(agencyOrganId: string, documentId: string): Promise<DeliveryView[]>;
  /** `duplicate` when (agency, sender, DocumentId, business type) is already recorded. */
  insertReceived(received: ReceivedPackage): Promise<'inserted' | 'duplicate'>;
  findReceived(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string, businessDocType: number): Promise<ReceivedPackage | null>;
  findReceivedByDocument(agencyOrganId: string, documentId: string): Promise<ReceivedPackage | null>;
  setReceivedStatus(documentId: string, status: StatusCode): Promise<void>;
  insertQuarantine(entry: QuarantinedPackage): Promise<void>;
  listQuarantine(agencyOrganId: string, limit: number): Promise<QuarantinedPackage[]>;
  /** `duplicate` when (agency, sender, DocumentId, business type) is already recorded. */
  insertRequest(request: Omit<RecallRequest, 'state' | 'answer' | 'receivedAt'>): Promise<'inserted' | 'duplicate'>;
  findRequest(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string, businessDocType: number): Promise<RecallRequest | null>;
  findRequestForUpdate(agencyOrganId: string, id: string): Promise<RecallRequest | null>;
  answerRequest(id: string, state: 'accepted' | 'refused', answer: string | null): Promise<void>;
  listRequests(agencyOrganId: string, limit: number): Promise<RecallRequest[]>;
  saveDirectory(directory: SignedDirectory, version: number): Promise<void>;
  loadDirectory(): Promise<SignedDirectory | undefined>;
}

/** The repositories of one transaction spanning the registry, the exchange tables, the outbox and the inbox. */
export interface ExchangeRepositories extends Repositories {
  readonly exchange: ExchangeRepository;
  readonly outbox: { enqueue(entry: NewOutboxEntry): Promise<void> };
  readonly inbox: {
    find(recipient: string, messageId: string): Promise<InboxRecord | undefined>;
    record(record: InboxRecord): Promise<'recorded' | 'duplicate'>;
  };
}

export interface ExchangeUnitOfWork {
  run<T>(work: (repos: ExchangeRepositories) => Promise<T>): Promise<T>;
}

/** Signs a built edXML package (or status message) with the agency's organisation key (DOMAIN.md §3). */
export interface PackageSigner {
  signPackage(organId: string, unsigned: Uint8Array): Promise<Uint8Array>;
}

/** Verifies an envelope signature with the trust layer and the directory (signer organisation = From). */
export interface PackageVerifier {
  verifyEnvelope(signed: Uint8Array): Promise<SignatureValidationReport>;
  /** Every signature of a PDF attachment (PAdES), oldest first. */
  verifyPdf(pdf: Uint8Array): Promise<SignatureValidationReport[]>;
}

export type { InboxOutcome };
