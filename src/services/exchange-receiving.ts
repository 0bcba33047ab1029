// Receiving over the axis (issue 5 item 4; DESIGN.md "Main flows", incoming; Nghị định 30, art. 17
// "Receiving electronically"). The checks of a package need no transaction and may run ahead
// (`preflight`); the rest runs inside the inbox consumer's transaction, so the incoming document (status
// `received`), the inbox record and status 01 commit together; the broker is acknowledged after the
// commit. Order: directory valid → parse with the edXML limits → verify the envelope (trust layer +
// directory: the signer organisation must be the sending agency) and signed PDF attachments → dedupe on
// (sender, DocumentId, business type) → store → 01. A package failing parse or verification is
// quarantined with its report and answered 02 with a Vietnamese reason when the sender can be identified
// in the directory — never dropped. Status messages update the sender's deliveries.
import { randomUUID } from 'node:crypto';
import { bytesPayload, type AxisDelivery, type AxisHeaders } from '../domain/axis-transport.ts';
import { findAgency, type InstalledDirectory } from '../domain/directory.ts';
import { DomainError, isDomainError } from '../domain/errors.ts';
import { progressAfter, type ExchangeRepositories, type ExchangeRequest, type ExchangeUnitOfWork, type InboxOutcome, type PackageVerifier, type QuarantinedPackage } from '../domain/exchange.ts';
import { readBlob, type BlobStore } from '../domain/registry-ports.ts';
import type { SignatureValidationReport } from '../domain/validation-report.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import type { EdxmlLimits } from '../edxml/limits.ts';
import type { DocumentHeader, Organization, ParsedDocumentPackage, StatusMessage } from '../edxml/model.ts';
import type { OrganId } from '../domain/organ-id.ts';
import { parseEdxml } from '../edxml/parse-package.ts';
import { incomingMetadataFromPackage } from '../edxml/registry-mapping.ts';
import type { DirectoryHolder } from './directory-service.ts';
import { BlobAttachmentSink } from './blob-attachment-sink.ts';
import { applyAcceptedRequest, requestAnswerEvent } from './exchange-request-effects.ts';
import { ExchangeRequestReceiver } from './exchange-request-receiving.ts';
import { arrivalNumberOf, describeStatus, type StatusEmitter } from './exchange-status.ts';

/** `servicetype` of a directory publication travelling over the broker. */
export const DIRECTORY_SERVICE_TYPE = 'directory';

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> { yield bytes; }

/** How long a preflight's examination (and the blobs it wrote) may be used: well under the sweep's hour. */
const PREFLIGHT_FRESH_MS = 5 * 60_000;

/** A package over this size (the axis chunks it) is streamed, never read whole (issue 5 item 7). */
const LARGE_PACKAGE_BYTES = 1024 * 1024;

/** The user a received document is created by: the node's axis service for that agency (no roles, disabled). */
export async function axisUserFor(repos: ExchangeRepositories, organId: string): Promise<string> {
  const username = `truc-lien-thong@${organId}`;
  const existing = await repos.users.findCredentials(username);
  if (existing) return existing.user.id;
  const id = randomUUID();
  await repos.users.insert({ id, username, agencyOrganId: organId, unitId: null, fullName: 'Trục liên thông văn bản', position: null, roles: [], disabled: true }, '!');
  return id;
}

/** What a receipt finds before its transaction: the package checked, or why it is refused (quarantined). */
type Examined =
  | { readonly kind: 'document'; readonly parsed: ParsedDocumentPackage; readonly report: SignatureValidationReport; readonly pdfReports: SignatureValidationReport[]; readonly packageSha256: string; readonly inPackage: ReadonlySet<string> }
  | { readonly kind: 'status'; readonly status: StatusMessage }
  | { readonly kind: 'refused'; readonly packageSha256: string; readonly refusal: Refusal };

interface Refusal {
  readonly code: string;
  readonly reason: string; // Vietnamese, sent with 02
  readonly report: unknown;
  readonly original?: DocumentHeader;
  /** The sending agency as the package (or, failing that, the transport) names it. */
  readonly claimedSender: string;
  readonly answer: boolean;
}

export interface ReceivingOptions {
  readonly limits?: Partial<EdxmlLimits>;
  readonly attachmentMaxBytes: number;
  readonly onDirectory?: (version: number, installed: boolean) => void;
}

export class ExchangeReceivingService {
  /** Recall, update and replacement packages (BussinessDocType 1, 2, 3). */
  private readonly requests: ExchangeRequestReceiver;
  /** The axis user of each hosted agency, made (and committed) at start: then a receipt need not look it up. */
  private readonly axisUsers = new Map<string, string>();
  /** Examinations started by `preflight`, with the directory they were checked against. */
  private readonly examined = new WeakMap<AxisDelivery, { readonly directory: InstalledDirectory; readonly at: number; readonly result: Promise<Examined | null>; settled?: Examined | null }>();

  constructor(
    private readonly directory: DirectoryHolder,
    private readonly verifier: PackageVerifier,
    private readonly emitter: StatusEmitter,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
    private readonly options: ReceivingOptions,
  ) {
    this.requests = new ExchangeRequestReceiver(emitter);
  }

  async prepare(uow: ExchangeUnitOfWork, organIds: readonly string[]): Promise<void> {
    for (const organId of organIds) this.axisUsers.set(organId, await uow.run((repos) => axisUserFor(repos, organId)));
  }

  /**
   * The periodic pass (docs/exchange.md, "A request before its document"): for each agency, in one
   * transaction, the requests a concurrent receipt left waiting are linked and the accepted ones take effect,
   * as on arrival. Returns how many were linked.
   */
  async linkWaitingRequests(uow: ExchangeUnitOfWork, organIds: readonly string[]): Promise<number> {
    let linked = 0;
    for (const organId of organIds) {
      linked += await uow.run(async (repos) => {
        const requests = await repos.exchange.linkWaitingRequests(organId);
        if (requests.length === 0) return 0;
        const by = this.axisUsers.get(organId) ?? await axisUserFor(repos, organId);
        await this.applyWaitingRequests(repos, organId, requests, by);
        return requests.length;
      });
    }
    return linked;
  }

  /**
   * Starts the work of a receipt that needs no transaction — the package stored as a blob, parsed (its
   * attachments streamed into the blob store), its envelope and PDF signatures verified — before the
   * delivery's batch runs (InboxConsumer `preflight`): the deliveries of a batch are then examined side by
   * side, and the next batch's while this one's transaction runs. `handle` takes the result if the
   * directory is still the one it was checked against, else (and if it failed) examines again itself.
   * Blobs written for a delivery that is then rolled back or found a duplicate are named by no row: the
   * blob sweep removes them. Packages over 1 MB are left to `handle` (not held side by side).
   */
  preflight(delivery: AxisDelivery): void {
    const h = delivery.headers;
    if (h.serviceType === DIRECTORY_SERVICE_TYPE || delivery.payload.size > LARGE_PACKAGE_BYTES || this.examined.has(delivery)) return;
    let directory: InstalledDirectory;
    try {
      directory = this.directory.requireValid(this.clock.now());
    } catch {
      return; // quarantined by `handle`
    }
    const early: { directory: InstalledDirectory; at: number; result: Promise<Examined | null>; settled?: Examined | null } = { directory, at: this.clock.now().getTime(), result: this.examine(delivery).catch(() => null) };
    void early.result.then((examined) => { early.settled = examined; });
    this.examined.set(delivery, early);
  }

  /**
   * Before an inbox batch's handlers (InboxConsumer `beforeBatch`): the deliveries its statuses apply to
   * are announced, to be read and locked in one statement when the first of them is applied, and the
   * receipts its new documents are checked against (duplicates), to be read in one statement. Uses the
   * preflight's examinations only: a status's awaited (the handlers await them anyway; they are quick), a
   * document's only when it is done — the batch does not wait for the slowest document's checks before its
   * first handler runs (it did for a while on 8 Dec; `bench:ab` could not tell the two apart in p99 on this
   * machine, docs/exchange.md "Figures"). A delivery left out is applied or checked with its own read.
   */
  async beforeBatch(repos: ExchangeRepositories, deliveries: readonly AxisDelivery[]): Promise<void> {
    const now = this.clock.now().getTime();
    const byAgency = new Map<string, Array<{ edxmlDocumentId: string; recipientOrganId: string }>>();
    const receipts = new Map<string, Array<{ senderOrganId: string; edxmlDocumentId: string }>>();
    const add = <K>(map: Map<string, K[]>, organId: string, key: K) => map.set(organId, [...map.get(organId) ?? [], key]);
    for (const delivery of deliveries) {
      const early = this.examined.get(delivery);
      if (!early || now - early.at >= PREFLIGHT_FRESH_MS) continue;
      const examined = delivery.headers.messageType === 'status' ? await early.result : early.settled;
      if (examined?.kind === 'status') add(byAgency, delivery.headers.to, { edxmlDocumentId: examined.status.responseFor.documentId, recipientOrganId: examined.status.from.organId });
      // A new document's duplicate check (`handle`): the batch's receipts looked up together.
      if (examined?.kind === 'document' && (examined.parsed.business?.businessDocType ?? 0) === 0) add(receipts, delivery.headers.to, { senderOrganId: examined.parsed.header.from.organId, edxmlDocumentId: examined.parsed.header.documentId });
    }
    for (const [organId, keys] of byAgency) repos.exchange.expectDeliveries(organId, keys);
    for (const [organId, keys] of receipts) repos.exchange.expectReceived(organId, keys);
  }

  /** The inbox handler, in the consumer's transaction (the package's checks may have run ahead: `preflight`). */
  async handle(repos: ExchangeRepositories, delivery: AxisDelivery): Promise<InboxOutcome> {
    const h = delivery.headers;
    if (h.serviceType === DIRECTORY_SERVICE_TYPE) return this.receiveDirectory(repos, await delivery.payload.bytes());
    const now = this.clock.now();
    let directory: InstalledDirectory;
    try {
      directory = this.directory.requireValid(now);
    } catch (error) {
      if (!isDomainError(error, 'axis.directory_expired')) throw error;
      // Fail closed: nothing is accepted without a valid directory, and nothing can be sent to answer.
      return this.quarantine(repos, h, await this.keep(delivery, null), directory0(), { code: error.code, reason: error.messageVi, report: error.details, claimedSender: h.from, answer: false });
    }
    const examined = await this.examinationOf(delivery, directory);
    if (examined.kind === 'refused') return this.quarantine(repos, h, examined.packageSha256, directory, examined.refusal);
    if (examined.kind === 'status') return this.applyStatus(repos, h.to, examined.status);
    const { parsed, report, pdfReports, packageSha256, inPackage } = examined;
    const header = parsed.header;
    const sender = header.from.organId;
    const businessDocType = parsed.business?.businessDocType ?? 0;
    if (businessDocType !== 0) {
      const storeAsNew = () => this.store(repos, h, parsed, { packageSha256, inPackage }, { envelope: report, pdf: pdfReports }, directory, now);
      const axisUser = this.axisUsers.get(h.to) ?? await axisUserFor(repos, h.to);
      return this.requests.receive(repos, { recipient: h.to, messageId: h.messageId, parsed, businessDocType, packageSha256, from: this.organisation(directory, h.to), now, storeAsNew, axisUser });
    }
    const earlier = await repos.exchange.findReceivedDocument(h.to, sender, header.documentId); // also one an update created (BussinessDocType 2)
    if (earlier) {
      // DESIGN.md "Incoming": a duplicate changes nothing and gets the status already given, again.
      await this.emitter.emit(repos, { from: this.organisation(directory, h.to), original: earlier.header as DocumentHeader, code: earlier.lastStatus, at: now, description: describeStatus(earlier.lastStatus), documentId: earlier.documentId, to: sender });
      return { duplicateOf: earlier.documentId, status: earlier.lastStatus };
    }
    return this.store(repos, h, parsed, { packageSha256, inPackage }, { envelope: report, pdf: pdfReports }, directory, now);
  }

  /**
   * The preflight's examination when it ran against this directory, succeeded and is recent, else one run
   * now. Recent: the blob sweep removes unnamed blobs once they are an hour old (MIN_SWEEP_AGE_HOURS), so
   * a delivery held longer (a database outage waited out) writes its blobs again before naming them.
   */
  private async examinationOf(delivery: AxisDelivery, directory: InstalledDirectory): Promise<Examined> {
    const early = this.examined.get(delivery);
    const fresh = early !== undefined && early.directory === directory && this.clock.now().getTime() - early.at < PREFLIGHT_FRESH_MS;
    const result = fresh ? await early.result : null;
    return result ?? this.examine(delivery);
  }

  /**
   * The package kept in the blob store (when a row names it: a received document's, a quarantined one's):
   * from `held` when the caller has it in memory, else streamed.
   */
  private async keep(delivery: AxisDelivery, held: Uint8Array | null): Promise<string> {
    return (await this.blobs.put(held ? once(held) : delivery.payload.chunks(), Number.MAX_SAFE_INTEGER)).sha256;
  }

  /**
   * The package-level checks, outside any transaction: parsed (the attachments streamed into the blob
   * store), its envelope signature and signed PDFs verified; a document's package stored as a blob. A
   * package over 1 MB (one the axis chunks: a document with large files) is never read whole: it streams
   * into the blob store and the parser, and its envelope is verified from a skeleton
   * (pki/xmldsig/base64-runs.ts), unless it cannot be split safely. A smaller one is held only here. A
   * status's package is written only when it is refused: an applied status names none (its delivery's
   * history records it). Throws (the delivery is retried) for what is no fault of the package, such as a
   * full disk.
   */
  private async examine(delivery: AxisDelivery): Promise<Examined> {
    const h = delivery.headers;
    const payload = delivery.payload;
    const large = h.messageType === 'edoc' && payload.size > LARGE_PACKAGE_BYTES;
    const bytes = large ? null : await payload.bytes();
    if (h.messageType === 'status') return this.examineStatus(delivery, bytes ?? await payload.bytes());
    const packageSha256 = await this.keep(delivery, bytes);
    const refused = (refusal: Refusal): Examined => ({ kind: 'refused', packageSha256, refusal });

    let parsed;
    // Decoded attachments stream into the blob store (content-addressed: harmless if the transaction rolls
    // back); a package held whole has its files held instead, for the PDF checks below, and not written
    // again: the package stored above holds them (`inPackage`: its rows name it as their source, and the
    // blob store makes such a file on its first read — PackageFileBlobStore).
    const sink = new BlobAttachmentSink(this.blobs, this.options.attachmentMaxBytes, { holdContent: bytes !== null, leaveHeldInPackage: true });
    try {
      parsed = await parseEdxml(bytes ?? payload.chunks(), { limits: { maxAttachmentBytes: this.options.attachmentMaxBytes, ...this.options.limits }, sink });
    } catch (error) {
      // A full disk or another outage is no fault of the package: the inbox holds it and retries (never a 02).
      if (!isDomainError(error) || error.kind === 'unavailable') throw error;
      return refused({ code: error.code, reason: `${error.messageVi} ${error.details.map((d) => d.field ?? '').filter(Boolean).join(', ')}`.trim(), report: { message: error.message, details: error.details }, claimedSender: h.from, answer: true });
    }
    if (parsed.kind !== 'document') {
      return refused({ code: 'edxml.malformed', reason: 'Gói tin gửi là văn bản nhưng chứa thông điệp trạng thái.', report: null, claimedSender: h.from, answer: true });
    }
    const header = parsed.header;
    const sender = header.from.organId;
    if (!header.to.some((t) => t.organId === h.to)) {
      return refused({ code: 'exchange.wrong_recipient', reason: `Văn bản không gửi cho cơ quan ${h.to} (gửi nhầm cơ quan nhận).`, report: null, original: header, claimedSender: sender, answer: true });
    }
    const report = bytes
      ? await this.verifier.verifyEnvelope(bytes)
      : await this.verifier.verifyEnvelopeStream(() => payload.chunks()) ?? await this.verifier.verifyEnvelope(await payload.bytes());
    if (report.indication !== 'TOTAL_PASSED') {
      return refused({ code: 'exchange.signature_invalid', reason: `Chữ ký số của gói tin không hợp lệ: ${report.messageVi}`, report, original: header, claimedSender: sender, answer: true });
    }
    // From here on the package itself is no longer held: a 67 MB package is not kept beside the 50 MB PDF read next.
    const pdfReports = await this.verifyPdfAttachments(parsed, sink);
    const badPdf = pdfReports.find((r) => r.indication === 'TOTAL_FAILED' && r.subIndication !== 'FORMAT_FAILURE');
    if (badPdf) {
      return refused({ code: 'exchange.signature_invalid', reason: `Chữ ký số trên tệp đính kèm không hợp lệ: ${badPdf.messageVi}`, report: { envelope: report, pdf: pdfReports }, original: header, claimedSender: sender, answer: true });
    }
    return { kind: 'document', parsed, report, pdfReports, packageSha256, inPackage: sink.inPackage };
  }

  private async examineStatus(delivery: AxisDelivery, bytes: Uint8Array): Promise<Examined> {
    const refused = async (code: string, reason: string, report: unknown): Promise<Examined> => ({ kind: 'refused', packageSha256: await this.keep(delivery, bytes), refusal: { code, reason, report, claimedSender: delivery.headers.from, answer: false } });
    let parsed;
    try {
      parsed = await parseEdxml(bytes, { limits: this.options.limits ?? {} });
    } catch (error) {
      if (!isDomainError(error) || error.kind === 'unavailable') throw error;
      return refused(error.code, error.messageVi, { message: error.message, details: error.details });
    }
    if (parsed.kind !== 'status') return refused('edxml.malformed', 'Thông điệp trạng thái không đúng cấu trúc.', null);
    const report = await this.verifier.verifyEnvelope(bytes);
    if (report.indication !== 'TOTAL_PASSED') return refused('exchange.signature_invalid', `Chữ ký số của thông điệp trạng thái không hợp lệ: ${report.messageVi}`, report);
    return { kind: 'status', status: parsed.status };
  }

  /**
   * Runs a quarantined package through receipt again, in the caller's transaction, with every check of a
   * first delivery (directory, parse, envelope and PDF signatures, signer against the directory, dedupe).
   * Refused up front while the directory is not valid: it would only be quarantined again.
   */
  async reprocess(repos: ExchangeRepositories, quarantined: QuarantinedPackage): Promise<InboxOutcome> {
    if (quarantined.packageSha256 === null) throw new DomainError('exchange.quarantine_no_package');
    this.directory.requireValid(this.clock.now());
    const bytes = await readBlob(this.blobs, quarantined.packageSha256);
    const headers: AxisHeaders = {
      from: quarantined.senderOrganId, to: quarantined.agencyOrganId, messageType: quarantined.messageType, serviceType: 'eDoc',
      messageId: quarantined.messageId, packageDigest: quarantined.packageSha256,
    };
    return this.handle(repos, { headers, payload: bytesPayload(bytes), redelivered: true, deliveryCount: 0 });
  }

  /** After the commit: a redelivered message id gets the status recorded the first time, again. */
  async resendAfterDuplicate(repos: ExchangeRepositories, headers: AxisHeaders, outcome: InboxOutcome): Promise<boolean> {
    const documentId = typeof outcome.documentId === 'string' ? outcome.documentId : typeof outcome.duplicateOf === 'string' ? outcome.duplicateOf : undefined;
    if (headers.messageType !== 'edoc' || !documentId) return false;
    const received = await repos.exchange.findReceivedByDocument(headers.to, documentId);
    const directory = this.directory.directory;
    if (!received || !directory) return false;
    await this.emitter.emit(repos, { from: this.organisation(directory, headers.to), original: received.header as DocumentHeader, code: received.lastStatus, at: this.clock.now(), description: describeStatus(received.lastStatus), documentId, to: received.senderOrganId });
    return true;
  }

  private async store(repos: ExchangeRepositories, h: AxisHeaders, parsed: ParsedDocumentPackage, kept: { readonly packageSha256: string; readonly inPackage: ReadonlySet<string> }, reports: { envelope: SignatureValidationReport; pdf: SignatureValidationReport[] }, directory: InstalledDirectory, now: Date): Promise<InboxOutcome> {
    const { packageSha256 } = kept;
    const incoming = incomingMetadataFromPackage(parsed, now);
    const createdBy = this.axisUsers.get(h.to) ?? await axisUserFor(repos, h.to);
    const document = await repos.documents.insert({
      id: randomUUID(), agencyOrganId: h.to, direction: 'incoming', origin: 'electronic', status: 'received', confidentiality: 'none',
      metadata: incoming.metadata, senderOrganId: incoming.senderOrganId, edxmlDocumentId: incoming.edxmlDocumentId, draftingUnitId: null,
      recipientsNote: null, notes: null, createdBy,
    });
    for (const [i, a] of parsed.attachments.entries()) {
      const blob = a.content ? await this.blobs.put(once(a.content), this.options.attachmentMaxBytes) : { sha256: a.sha256, size: a.size }; // else already stored by the parser's sink
      await repos.attachments.insert({
        id: randomUUID(), documentId: document.id, role: i === 0 ? 'main' : 'attachment', fileName: a.name, mediaType: a.contentType ?? 'application/octet-stream', size: blob.size, sha256: blob.sha256, uploadedBy: createdBy,
        sourcePackageSha256: kept.inPackage.has(blob.sha256) ? kept.packageSha256 : null,
      });
    }
    const received = {
      documentId: document.id, agencyOrganId: h.to, senderOrganId: incoming.senderOrganId, edxmlDocumentId: incoming.edxmlDocumentId,
      businessDocType: parsed.business?.businessDocType ?? 0, messageId: h.messageId, packageSha256, header: parsed.header, report: reports.envelope, attachmentReports: reports.pdf, lastStatus: '01' as const,
    };
    const recorded = await repos.exchange.insertReceived(received);
    if (recorded.duplicate) throw new DomainError('axis.duplicate'); // a concurrent consumer won: roll back, redelivered as a duplicate
    await repos.audit.append(h.to, { actor: createdBy, action: 'incoming.receive', subjectType: 'document', subjectId: document.id, after: { sender: incoming.senderOrganId, edxmlDocumentId: incoming.edxmlDocumentId, packageSha256, signature: reports.envelope.indication } });
    await this.emitter.emitFor(repos, received, this.organisation(directory, h.to), now, { code: '01' }); // recorded as given by insertReceived
    await this.applyWaitingRequests(repos, h.to, recorded.linkedRequests, createdBy);
    return { status: '01', documentId: document.id };
  }

  /**
   * A recall, update or replacement that arrived before this document (the original's publish was retried,
   * or sent again by the văn thư, after the request left) was recorded without a document: `insertReceived`
   * linked it to it. One still pending is answered as usual; one the văn thư already accepted (15 given) takes
   * effect now, so the document the sender was told is cancelled does not stay live; a refused one
   * changes nothing.
   */
  private async applyWaitingRequests(repos: ExchangeRepositories, organId: string, linked: readonly ExchangeRequest[], by: string): Promise<void> {
    for (const request of linked) {
      const documentId = request.documentId;
      if (request.state !== 'accepted' || documentId === null) continue;
      const effect = await applyAcceptedRequest(repos, organId, request, documentId, by);
      await repos.audit.append(organId, requestAnswerEvent(request, by, true, request.answer, { appliedOnArrival: true, ...effect }));
    }
  }

  /** The sender's side: applies a status to the recipient's delivery, in progress order, once per code. */
  private async applyStatus(repos: ExchangeRepositories, me: string, status: StatusMessage): Promise<InboxOutcome> {
    const delivery = await repos.exchange.findDeliveryForUpdate(me, status.responseFor.documentId, status.from.organId);
    if (!delivery) return { ignored: 'no delivery of this document to this recipient', statusCode: status.statusCode };
    // 15/16 answer the request waiting on this delivery (recall, update, replacement), once; other codes apply once each.
    const answer = status.statusCode === '15' || status.statusCode === '16';
    const progress = !answer ? progressAfter(delivery.status, delivery.history, status.statusCode, status.timestamp.toISOString())
      : delivery.pendingRequest === null ? null : { status: delivery.status };
    if (progress === null) return { applied: false, statusCode: status.statusCode };
    const arrivalNumber = status.statusCode === '03' ? arrivalNumberOf(status.description) : null;
    const history = [...delivery.history, { code: status.statusCode, at: status.timestamp.toISOString(), description: status.description ?? null, arrivalNumber, ...(answer && delivery.pendingRequest ? { request: delivery.pendingRequest } : {}) }];
    await repos.exchange.updateDelivery({
      ...delivery, history, pendingRequest: answer ? null : delivery.pendingRequest,
      status: progress.status,
      arrivalNumber: arrivalNumber ?? delivery.arrivalNumber,
      // A 02 superseded (a late copy from before a resend) takes its reason with it.
      reason: status.statusCode === '02' ? (status.description ?? null) : delivery.status === '02' && progress.status === '01' ? null : delivery.reason,
    });
    return { applied: true, statusCode: status.statusCode, documentId: delivery.documentId };
  }

  private async receiveDirectory(repos: ExchangeRepositories, bytes: Uint8Array): Promise<InboxOutcome> {
    let result;
    try {
      result = this.directory.install(JSON.parse(Buffer.from(bytes).toString('utf8')), this.clock.now());
    } catch (error) {
      if (error instanceof SyntaxError) return { directory: 'refused', reason: 'not JSON' };
      if (!isDomainError(error)) throw error;
      return { directory: 'refused', reason: error.details[0]?.message ?? error.message };
    }
    if (result.installed) await repos.exchange.saveDirectory(result.directory.signed, result.directory.body.version);
    this.options.onDirectory?.(result.directory.body.version, result.installed);
    return { directory: result.installed ? 'installed' : 'not_newer', version: result.directory.body.version };
  }

  private async verifyPdfAttachments(parsed: ParsedDocumentPackage, sink: BlobAttachmentSink): Promise<SignatureValidationReport[]> {
    const reports: SignatureValidationReport[] = [];
    for (const a of parsed.attachments) {
      const isPdf = a.contentType === 'application/pdf' || a.name.toLowerCase().endsWith('.pdf');
      if (!isPdf) continue;
      const content = a.content ?? sink.held(a.sha256);
      if (content) {
        if (Buffer.from(content.subarray(0, 5)).toString('latin1') === '%PDF-') reports.push(...(await this.verifier.verifyPdf(content)));
        continue;
      }
      // Streamed to the blob store by the parser: verified from there, never read whole (a 50 MB PDF).
      const reader = await this.blobs.openReader(a.sha256);
      try {
        if (reader.readSync(0, 5).toString('latin1') === '%PDF-') reports.push(...(await this.verifier.verifyPdf(reader)));
      } finally {
        await reader.close();
      }
    }
    return reports;
  }

  private async quarantine(repos: ExchangeRepositories, h: AxisHeaders, packageSha256: string, directory: InstalledDirectory, refusal: Refusal): Promise<InboxOutcome> {
    const canAnswer = refusal.answer && findAgency(directory, refusal.claimedSender) !== undefined && findAgency(directory, h.to) !== undefined;
    const now = this.clock.now();
    await repos.exchange.insertQuarantine({
      id: randomUUID(), agencyOrganId: h.to, senderOrganId: refusal.claimedSender, messageId: h.messageId, messageType: h.messageType, reasonCode: refusal.code,
      reason: refusal.reason, report: refusal.report ?? null, packageSha256, answered: canAnswer, receivedAt: now.toISOString(), reprocessed: null,
    });
    if (canAnswer) {
      const original = refusal.original ?? placeholderHeader(refusal.claimedSender, h.messageId, now);
      await this.emitter.emit(repos, { from: this.organisation(directory, h.to), original, code: '02', at: now, description: describeStatus('02', null, refusal.reason), documentId: null, to: refusal.claimedSender });
    }
    return { quarantined: true, reasonCode: refusal.code, answered: canAnswer };
  }

  private organisation(directory: InstalledDirectory, organId: string): Organization {
    return { organId: organId as OrganId, organName: findAgency(directory, organId)?.name ?? organId };
  }
}

/** A directory with no agency: nobody can be answered. */
const directory0 = (): InstalledDirectory => ({ body: { version: 0, issuedAt: '', validFrom: '', validUntil: '', agencies: [] }, signed: { body: '', signature: { algorithm: 'RSA-SHA256', certificate: '', value: '' } }, organIdByCertificate: new Map() });

/** When a package cannot be read, the 02 answers its message id (the only identifier there is). */
function placeholderHeader(sender: string, messageId: string, now: Date): DocumentHeader {
  return {
    from: { organId: sender as OrganId }, to: [], documentId: messageId, code: { codeNumber: '0', codeNotation: 'KHONG-DOC-DUOC' },
    promulgationInfo: { promulgationDate: now.toISOString().slice(0, 10) as DocumentHeader['promulgationInfo']['promulgationDate'] },
    documentType: { type: 0 }, subject: '', toPlaces: [], responseFor: [],
  };
}
