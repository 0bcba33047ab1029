// Exchange of documents over the axis (issue 5, DOMAIN.md §2–§4, DESIGN.md "Main flows"): per-recipient
// delivery tracking on the sending side, received packages and quarantine on the receiving side, and the
// ports the exchange services need (signing and verifying envelopes, one transaction spanning the
// registry, the outbox and the inbox).
import type { InboxKey, InboxOutcome, InboxRecord } from './axis-inbox.ts';
import type { AxisMessageType } from './axis-transport.ts';
import type { SignedDirectory } from './directory.ts';
import type { BlobReader } from './registry-ports.ts';
import type { DocumentStatus, RegistryDocument } from './document.ts';
import type { NewOutboxEntry } from './outbox.ts';
import type { Repositories } from './unit-of-work.ts';
import type { SignatureValidationReport } from './validation-report.ts';
import type { StatusCode } from './edxml-codes.ts';
import type { MetadataChanges } from './exchange-update.ts';

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
  /** A status code, or `resent`: the sender's own event, the document sent again after a 02 (below). */
  readonly code: StatusCode | typeof RESENT;
  readonly at: string; // ISO 8601, the status message's Timestamp
  readonly description: string | null;
  readonly arrivalNumber: number | null;
  /** For 13/15/16: the request it belongs to (recall, update, replacement). */
  readonly request?: RequestKind | undefined;
}

/**
 * A recipient that returned the document (02) can be sent it again (an update adding it back): its
 * delivery then starts a new round — status cleared, 01 and then 03 or 02 apply again — and its history
 * keeps the earlier round before this event.
 */
export const RESENT = 'resent';

export function resentEvent(at: Date, reason: string): StatusEvent {
  return { code: RESENT, at: at.toISOString(), description: reason, arrivalNumber: null, request: 'update' };
}

/**
 * What a progress status (not 15/16) with Timestamp `at` does to a delivery (its status so far and its
 * history): null when it is not applied — its code was given already in the current round (since the last
 * `resent`), or, in a round after a resend, it is a 02 older than the round's 01 (a late copy of the 02
 * given before the resend: the recipient answers 01 first when it receives the document again) — else the
 * delivery's next status. Likewise a 01 of that round newer than a 02 applied in it shows that 02 was such
 * a late copy: the 01 supersedes it. Timestamps are the recipient's clock on both sides of each comparison.
 */
export function progressAfter(current: StatusCode | null, history: readonly StatusEvent[], code: StatusCode, at: string): { status: StatusCode | null } | null {
  let start = 0;
  history.forEach((e, i) => { if (e.code === RESENT) start = i + 1; });
  const round = history.slice(start);
  if (round.some((e) => e.code === code)) return null;
  if (start === 0) return { status: advanceDelivery(current, code) };
  const at01 = round.find((e) => e.code === '01')?.at;
  if (code === '02' && at01 !== undefined && at < at01) return null;
  const at02 = round.find((e) => e.code === '02')?.at;
  if (code === '01' && current === '02' && at02 !== undefined && at02 < at) return { status: '01' };
  return { status: advanceDelivery(current, code) };
}

/** The requests a sender makes about a sent document (BussinessDocType 1, 2, 3), answered 15 or 16. */
export type RequestKind = 'recall' | 'update' | 'replace';
export const requestKindOf = (businessDocType: number): RequestKind | null =>
  businessDocType === 1 ? 'recall' : businessDocType === 2 ? 'update' : businessDocType === 3 ? 'replace' : null;

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
  /** The request sent to this recipient and not answered yet: its 15/16 applies once, then it is cleared. */
  readonly pendingRequest: RequestKind | null;
  /** When an update removed this recipient (it got the update, so it knows). */
  readonly removedAt: string | null;
  /** For a replacement's delivery: the earlier outgoing document it replaces. */
  readonly replacesDocumentId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A delivery to insert (a new document sent, or a recipient added by an update). */
export type NewDelivery = Pick<Delivery, 'documentId' | 'agencyOrganId' | 'recipientOrganId' | 'recipientName' | 'edxmlDocumentId' | 'messageId'>
  & { readonly pendingRequest?: RequestKind | null; readonly replacesDocumentId?: string | null };

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

/**
 * A received package as the exchange reads it back (dedupe, statuses, requests): without its validation
 * reports, ~20 KB of JSON a document that no step after the receipt reads (the registry shows them).
 */
export type ReceivedRecord = Omit<ReceivedPackage, 'report' | 'attachmentReports'>;

export interface QuarantinedPackage {
  readonly id: string;
  readonly agencyOrganId: string;
  readonly senderOrganId: string; // as the package names it, else the transport header `from` (not authenticated)
  readonly messageId: string;
  /** As it arrived: a document (`edoc`) or a status message (`status`). */
  readonly messageType: AxisMessageType;
  readonly reasonCode: string;
  readonly reason: string; // Vietnamese, as sent back with 02
  readonly report: unknown;
  readonly packageSha256: string | null;
  readonly answered: boolean; // a 02 was sent
  readonly receivedAt: string;
  /** Run through receipt again (once), by whom, and what came of it. */
  readonly reprocessed: QuarantineReprocessing | null;
}

/**
 * Why a quarantined package cannot be run through receipt again, or null when it can: once only, never
 * after a 02 (final for the sender, which must send again), and only with the package bytes kept.
 */
export function reprocessRefusal(q: QuarantinedPackage): 'exchange.quarantine_reprocessed' | 'exchange.quarantine_answered' | 'exchange.quarantine_no_package' | null {
  if (q.reprocessed) return 'exchange.quarantine_reprocessed';
  if (q.answered) return 'exchange.quarantine_answered';
  if (q.packageSha256 === null) return 'exchange.quarantine_no_package';
  return null;
}

export interface QuarantineReprocessing {
  readonly at: string;
  readonly by: string;
  readonly outcome: InboxOutcome;
}

/**
 * A request received from a sender about a document it sent: recall (BussinessDocType 1), update (2) or
 * replacement (3), answered 15 (accepted) or 16 (refused) by the văn thư.
 */
export interface ExchangeRequest {
  readonly id: string;
  readonly agencyOrganId: string;
  readonly senderOrganId: string;
  /** The package's DocumentId: the document concerned (recall, update) or the new document (replacement). */
  readonly edxmlDocumentId: string;
  readonly businessDocType: number;
  /** The DocumentId of the document concerned: the package's own (recall, update) or the replaced one (replacement). */
  readonly targetEdxmlDocumentId: string | null;
  /**
   * The incoming document concerned (recalled, updated, or replaced), when this node has it. A request that
   * arrived before its document has none until the document arrives (`insertReceived` links it).
   */
  readonly documentId: string | null;
  /** Replacement: the new incoming document (stored as `received` like any new document). */
  readonly replacementDocumentId: string | null;
  readonly reason: string | null;
  readonly state: 'pending' | 'accepted' | 'refused';
  readonly answer: string | null;
  readonly messageId: string;
  /** Updates: SHA-256 of the package (several updates of one document are several requests); '' otherwise. */
  readonly packageSha256: string;
  readonly header: unknown;
  /** The Bussiness block as parsed (edXML model), for updates and replacements. */
  readonly business: unknown;
  readonly receivedAt: string;
  /** An accepted update that removed this agency: the status its document had before it was cancelled. */
  readonly previousDocumentStatus: DocumentStatus | null;
  /** When the sender sent the package (its TraceHeader), if it says. */
  readonly sentAt: string | null;
}

/** The previous values of a document's metadata changed by an update (sender or receiver). */
export interface MetadataHistoryEntry {
  readonly id: string;
  readonly documentId: string;
  readonly agencyOrganId: string;
  readonly source: 'update_sent' | 'update_received';
  readonly requestId: string | null;
  readonly reason: string | null;
  readonly before: MetadataChanges;
  readonly after: MetadataChanges;
  readonly changedBy: string;
  readonly changedAt: string;
}

/** What recording a received document did (`ExchangeRepository.insertReceived`). */
export type ReceivedInsert = { readonly duplicate: true } | { readonly duplicate: false; readonly linkedRequests: readonly ExchangeRequest[] };

export interface ExchangeRepository {
  insertDeliveries(deliveries: readonly NewDelivery[]): Promise<void>;
  /** Locks the delivery row for the status being applied. */
  findDeliveryForUpdate(agencyOrganId: string, edxmlDocumentId: string, recipientOrganId: string): Promise<Delivery | null>;
  /**
   * The deliveries this transaction's coming `findDeliveryForUpdate` calls will ask for (an inbox batch of
   * statuses): the first of those calls reads and locks them all in one statement. Reads nothing itself.
   */
  expectDeliveries(agencyOrganId: string, keys: ReadonlyArray<{ readonly edxmlDocumentId: string; readonly recipientOrganId: string }>): void;
  /** Receipts `findReceivedDocument` will be asked for in this transaction: read together at the first such lookup. */
  expectReceived(agencyOrganId: string, keys: ReadonlyArray<{ readonly senderOrganId: string; readonly edxmlDocumentId: string }>): void;
  updateDelivery(delivery: Delivery): Promise<void>;
  listDeliveries(agencyOrganId: string, documentId: string): Promise<DeliveryView[]>;
  /**
   * `duplicate` when (agency, sender, DocumentId, business type) is already recorded. Else the requests
   * that arrived before this document (no `documentId`, same sender, `targetEdxmlDocumentId` this
   * DocumentId), now linked to it, locked, oldest first, with their state (answered or not).
   */
  insertReceived(received: ReceivedPackage): Promise<ReceivedInsert>;
  /**
   * Links the agency's requests still waiting for a document that is now recorded (missed by `insertReceived`
   * when both were received at once by two processes), oldest first; each row once, whoever links it.
   */
  linkWaitingRequests(agencyOrganId: string): Promise<ExchangeRequest[]>;
  findReceived(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string, businessDocType: number): Promise<ReceivedRecord | null>;
  findReceivedByDocument(agencyOrganId: string, documentId: string): Promise<ReceivedRecord | null>;
  /** The document, locked, with the recipients it has deliveries to already (none: never sent): one read. */
  findForSending(agencyOrganId: string, documentId: string): Promise<{ readonly document: RegistryDocument; readonly sentTo: readonly string[] } | null>;
  /** The document, locked, with its receipt over the axis (null: not received electronically): one read. */
  findWithReceiptForUpdate(agencyOrganId: string, documentId: string): Promise<{ readonly document: RegistryDocument; readonly received: ReceivedRecord | null } | null>;
  /** The incoming document this node has for a DocumentId, whatever package created it (new, update, replacement). */
  findReceivedDocument(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string): Promise<ReceivedRecord | null>;
  setReceivedStatus(documentId: string, status: StatusCode): Promise<void>;
  insertQuarantine(entry: QuarantinedPackage): Promise<void>;
  listQuarantine(agencyOrganId: string, limit: number): Promise<QuarantinedPackage[]>;
  /** Locks the row while it is re-processed (two clicks, two clerks: one re-processing). */
  findQuarantineForUpdate(agencyOrganId: string, id: string): Promise<QuarantinedPackage | null>;
  markQuarantineReprocessed(id: string, reprocessing: QuarantineReprocessing): Promise<void>;
  /** `duplicate` when (agency, sender, DocumentId, business type, package digest) is already recorded. */
  insertRequest(request: Omit<ExchangeRequest, 'state' | 'answer' | 'receivedAt' | 'previousDocumentStatus'>): Promise<'inserted' | 'duplicate'>;
  /** Keeps the status a document had when an accepted removal cancelled it (to restore it if the agency is added back). */
  recordPreviousDocumentStatus(requestId: string, status: DocumentStatus): Promise<void>;
  /** The newest update from `senderOrganId` about this DocumentId that removed this agency from the recipients, if any. */
  findLastRemoval(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string): Promise<ExchangeRequest | null>;
  findRequest(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string, businessDocType: number, packageSha256?: string): Promise<ExchangeRequest | null>;
  findRequestForUpdate(agencyOrganId: string, id: string): Promise<ExchangeRequest | null>;
  answerRequest(id: string, state: 'accepted' | 'refused', answer: string | null): Promise<void>;
  listRequests(agencyOrganId: string, limit: number): Promise<ExchangeRequest[]>;
  /** Writes the changed metadata of a document (the updatable items only) and records the previous values. */
  updateDocumentMetadata(entry: Omit<MetadataHistoryEntry, 'changedAt'>): Promise<void>;
  metadataHistory(agencyOrganId: string, documentId: string): Promise<MetadataHistoryEntry[]>;
  saveDirectory(directory: SignedDirectory, version: number): Promise<void>;
  loadDirectory(): Promise<SignedDirectory | undefined>;
}

/** An outbox entry whose retries ran out (delivery state `failed`). */
export interface FailedOutboxEntry {
  readonly messageId: string;
  readonly recipientOrganId: string;
  readonly messageType: string;
  readonly documentId: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly failedAt: string | null;
}

/** The repositories of one transaction spanning the registry, the exchange tables, the outbox and the inbox. */
export interface ExchangeRepositories extends Repositories {
  readonly exchange: ExchangeRepository;
  readonly outbox: {
    /** Entries written together (one statement), in their order. */
    enqueue(...entries: NewOutboxEntry[]): Promise<void>;
    /**
     * Puts the `failed` entries sent by this agency (of one document, or all) back to `pending`, due now,
     * with their attempts reset; their message ids are kept (the recipient's inbox dedupes a re-send).
     * Returns how many, by recipient and message type.
     */
    retryFailed(senderOrganId: string, documentId: string | null): Promise<ReadonlyArray<{ readonly recipientOrganId: string; readonly messageType: string; readonly documentId: string | null }>>;
    /** The agency's failed entries, newest first (what a retry would send again). */
    listFailed(senderOrganId: string, limit: number): Promise<FailedOutboxEntry[]>;
  };
  readonly inbox: {
    find(recipient: string, messageId: string): Promise<InboxRecord | undefined>;
    findMany(keys: readonly InboxKey[]): Promise<Map<string, InboxRecord>>;
    record(record: InboxRecord): Promise<'recorded' | 'duplicate'>;
    recordMany(records: readonly InboxRecord[]): Promise<number>;
  };
}

export interface ExchangeUnitOfWork {
  run<T>(work: (repos: ExchangeRepositories) => Promise<T>): Promise<T>;
}

/** Progress of the handling of an incoming document, told to its sender when it came over the axis. */
export type ProgressStep = 'assigned' | 'completed';

/**
 * Emits 04 (assigned) or 06 (completed) to the sender of an electronically received document, in the
 * caller's transaction; `false` (nothing sent) for a paper document.
 */
export interface ProgressReporter {
  reportProgressIn(repos: ExchangeRepositories, organId: string, documentId: string, step: ProgressStep): Promise<boolean>;
}

/** Signs a built edXML package (or status message) with the agency's organisation key (DOMAIN.md §3). */
export interface PackageSigner {
  signPackage(organId: string, unsigned: Uint8Array): Promise<Uint8Array>;
  /**
   * A document package signed from its skeleton: the attachments' base64 is hashed and written slice by
   * slice, so a package with a 50 MB attachment is never whole in memory.
   */
  signPackageSkeleton(organId: string, unsigned: UnsignedPackageSkeleton): Promise<SignedPackage>;
}

/** An unsigned package as a small skeleton, each attachment's base64 standing in it as a marker (edxml/xml-writer.ts). */
export interface UnsignedPackageSkeleton {
  readonly skeleton: Uint8Array;
  readonly attachments: ReadonlyArray<{ readonly marker: string; readonly size: number; base64(): Iterable<Uint8Array> }>;
}

/** A signed package: its size, and its bytes as slices, made afresh on each call. */
export interface SignedPackage {
  readonly size: number;
  slices(): Iterable<Uint8Array>;
  /** The signed package with each attachment's marker in place of its base64 (see PackageParts, domain/outbox.ts). */
  readonly skeleton: Uint8Array;
}

/** Verifies an envelope signature with the trust layer and the directory (signer organisation = From). */
export interface PackageVerifier {
  verifyEnvelope(signed: Uint8Array): Promise<SignatureValidationReport>;
  /**
   * A package too large to hold whole, read as a stream (`read` starts it again on each call); null when it
   * cannot be verified that way (then read it whole and call verifyEnvelope).
   */
  verifyEnvelopeStream(read: () => AsyncIterable<Uint8Array>): Promise<SignatureValidationReport | null>;
  /** Every signature of a PDF attachment (PAdES), oldest first; from memory, or from the blob store without reading it whole. */
  verifyPdf(pdf: Uint8Array | BlobReader): Promise<SignatureValidationReport[]>;
}

export type { InboxOutcome };
