// Sending an issued outgoing document over the axis (issue 5 item 3; DESIGN.md "Main flows", outgoing):
// one package (edXML builder, the agency's organisation signature on the envelope), one outbox entry and
// one delivery row per recipient, all in one transaction. Refused before anything is written: a document
// not issued, a classified one (DOMAIN.md §6: never exchanged electronically), a recipient not in the
// directory, or no valid directory (fail closed). Then the sender's requests about a sent document
// (issue 5 item 6, DOMAIN.md §3 Bussiness): recall (1), update (2), replacement (3), each answered 15/16.
import { createHash, randomUUID } from 'node:crypto';
import { authorize, type Actor } from '../domain/actor.ts';
import { isClassified, type RegistryDocument } from '../domain/document.ts';
import { DomainError } from '../domain/errors.ts';
import { findAgency } from '../domain/directory.ts';
import { resentEvent, type DeliveryView, type ExchangeRepositories, type ExchangeUnitOfWork, type NewDelivery, type PackageSigner, type RequestKind, type SignedPackage } from '../domain/exchange.ts';
import { changeRecipients, diffMetadata, isEmptyDiff, type MetadataChanges } from '../domain/exchange-update.ts';
import type { OrganRef } from '../domain/document.ts';
import { readBlob, type BlobReader, type BlobStore } from '../domain/registry-ports.ts';
import { OUTBOX_INLINE_MAX_BYTES, type PackageParts, type StoredPackage } from '../domain/outbox.ts';
import { currentAttachments } from '../domain/signing-keys.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import { buildDocumentPackageSkeleton } from '../edxml/package-builder.ts';
import { packageParts } from '../edxml/package-parts.ts';
import { deflateAhead } from '../edxml/single-file-zip.ts';
import type { Business, OutgoingAttachment, OutgoingDocumentPackage, ReceiverChangeEntry } from '../edxml/model.ts';
import type { OrganId } from '../domain/organ-id.ts';
import { packageFromOutgoing } from '../edxml/registry-mapping.ts';
import type { InstalledDirectory } from '../domain/directory.ts';
import type { DirectoryHolder } from './directory-service.ts';

/** The package's slices for the blob store, made one at a time as it writes them. */
async function* asyncSlices(signed: SignedPackage): AsyncIterable<Uint8Array> {
  yield* signed.slices();
}

export interface SendResult {
  readonly edxmlDocumentId: string;
  readonly recipients: readonly string[];
}

/** Cập nhật (BussinessDocType 2): what changes, and why. */
export interface DocumentUpdate {
  readonly reason: string;
  readonly metadata?: Omit<MetadataChanges, 'to' | 'toPlaces'>;
  readonly addRecipients?: readonly OrganRef[];
  readonly removeRecipients?: readonly string[];
}

export interface UpdateResult extends SendResult {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** The metadata items that changed (previous values are in the document's metadata history). */
  readonly changed: readonly string[];
}

/** Options of a package sent as a whole document: a new one (0) or a replacement (3). */
interface DocumentSend {
  readonly business?: Business;
  readonly replacesDocumentId?: string;
  readonly pendingRequest?: RequestKind;
  readonly audit: { readonly action: string; readonly after: Record<string, unknown> };
}

export class ExchangeSendingService {
  constructor(
    private readonly uow: ExchangeUnitOfWork,
    private readonly directory: DirectoryHolder,
    private readonly signer: PackageSigner,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
    private readonly afterCommit: () => void = () => {},
  ) {}

  /** Gửi văn bản điện tử: to every recipient of the document (metadata.to) not yet sent to. */
  async send(actor: Actor, organId: string, documentId: string): Promise<SendResult> {
    authorize(actor, 'outgoing.issue', organId);
    return this.sendDocument(actor, organId, documentId, { audit: { action: 'outgoing.send', after: {} } });
  }

  /**
   * Thay thế (BussinessDocType 3): `documentId` is a NEW issued outgoing document (its own số, ký hiệu and
   * DocumentId) sent like any document, whose Bussiness names the earlier sent document it replaces and
   * the agencies that had received it (ReplacementInfoList). Each recipient stores it as a new incoming
   * document and its văn thư accepts the replacement (15: the earlier document becomes `replaced`) or
   * refuses it (16); the new deliveries wait for that answer.
   */
  async replace(actor: Actor, organId: string, documentId: string, replaced: { readonly replacesDocumentId: string; readonly reason: string }): Promise<SendResult> {
    authorize(actor, 'outgoing.issue', organId);
    const reason = requireReason(replaced.reason, 'a replacement needs a reason (BussinessDocReason)');
    if (replaced.replacesDocumentId === documentId) throw new DomainError('request.invalid', { details: [{ field: 'replacesDocumentId', message: 'a document cannot replace itself' }] });
    return this.sendDocument(actor, organId, documentId, {
      replacesDocumentId: replaced.replacesDocumentId, pendingRequest: 'replace',
      audit: { action: 'outgoing.replace', after: { replacesDocumentId: replaced.replacesDocumentId, reason } },
      // Filled in the transaction, once the replaced document's deliveries are read.
      business: { businessDocType: 3, businessDocReason: reason, paper: false, replacementInfoList: [] },
    });
  }

  /**
   * Thu hồi (issue 5 item 6): a package with BussinessDocType 1 and the reason, same DocumentId, to every
   * recipient that has not returned the document; each delivery records 13 with the reason and later the
   * recipient's 15 (accepted: cancelled there) or 16 (refused).
   */
  async recall(actor: Actor, organId: string, documentId: string, reason: string): Promise<SendResult> {
    authorize(actor, 'outgoing.issue', organId);
    const why = requireReason(reason, 'a recall needs a reason (BussinessDocReason)');
    const now = this.clock.now();
    const directory = this.directory.requireValid(now);
    const result = await this.uow.run(async (repos) => {
      const doc = await repos.documents.findForUpdate(organId, documentId);
      if (!doc || doc.direction !== 'outgoing') throw new DomainError('registry.document_not_found');
      assertInForce(doc);
      const targets = (await activeDeliveries(repos, organId, documentId)).filter((d) => !d.history.some((e) => e.code === '13'));
      const first = targets[0];
      if (!first) throw new DomainError('exchange.not_sendable', { details: [{ field: 'recipients', message: 'no delivery to recall' }] });
      assertNoPendingRequest(targets);
      const pkg = packageFromOutgoing({
        metadata: doc.metadata, sender: this.organisation(directory, organId, doc.metadata.organName),
        recipients: targets.map((d) => ({ organId: d.recipientOrganId as OrganId, organName: d.recipientName })), attachments: [], sentAt: now,
        documentId: first.edxmlDocumentId,
        business: { businessDocType: 1, businessDocReason: why, documentId: first.edxmlDocumentId, paper: false, replacementInfoList: [] },
      });
      await this.signAndEnqueue(repos, organId, documentId, pkg, [], targets.map((t) => t.recipientOrganId));
      for (const target of targets) {
        const d = await repos.exchange.findDeliveryForUpdate(organId, target.edxmlDocumentId, target.recipientOrganId);
        if (d) await repos.exchange.updateDelivery({ ...d, pendingRequest: 'recall', history: [...d.history, { code: '13', at: now.toISOString(), description: why, arrivalNumber: null, request: 'recall' }] });
      }
      // The sender's book shows the document withdrawn; each recipient's answer (15/16) is on its delivery.
      await repos.documents.setStatus(documentId, 'recalled');
      await repos.audit.append(organId, { actor: actor.userId, action: 'outgoing.recall', subjectType: 'document', subjectId: documentId, before: { status: doc.status }, after: { status: 'recalled', reason: why, recipients: targets.map((t) => t.recipientOrganId) } });
      return { edxmlDocumentId: first.edxmlDocumentId, recipients: targets.map((t) => t.recipientOrganId) };
    });
    this.afterCommit();
    return result;
  }

  /**
   * Cập nhật (BussinessDocType 2) of a sent document: its metadata changes here with the previous values
   * kept (metadata history + audit); one package with the same DocumentId and BussinessDocumentInfo
   * {DocumentInfo, DocumentReceiver, ReceiverList} goes to the current recipients, the added ones (for
   * them it is a new document: it carries the attachments) and the removed ones (so they know; their
   * delivery is marked removed). Current and removed recipients answer 15/16. A recipient that returned
   * the document (02) listed among the added ones is sent it again (gửi lại): a new round of statuses on
   * its delivery; an update that does nothing else goes to it alone.
   */
  async update(actor: Actor, organId: string, documentId: string, change: DocumentUpdate): Promise<UpdateResult> {
    authorize(actor, 'outgoing.issue', organId);
    const reason = requireReason(change.reason, 'an update needs a reason (BussinessDocReason)');
    const now = this.clock.now();
    const directory = this.directory.requireValid(now);
    const opened: BlobReader[] = []; // files read while the package is encoded: closed once it is written
    const result = await closingAfter(opened, this.uow.run(async (repos) => {
      const doc = await repos.documents.findForUpdate(organId, documentId);
      if (!doc || doc.direction !== 'outgoing') throw new DomainError('registry.document_not_found');
      assertInForce(doc);
      const all = await repos.exchange.listDeliveries(organId, documentId);
      const active = all.filter((d) => d.removedAt === null && d.status !== '02');
      const first = all[0];
      if (!first) throw new DomainError('exchange.not_sent');
      assertNoPendingRequest(active);
      const add = (change.addRecipients ?? []).map((r) => {
        const agency = r.organId ? findAgency(directory, r.organId) : undefined;
        if (!agency) throw new DomainError('axis.unknown_recipient', { details: [{ field: 'addRecipients', message: r.organId ?? r.organName }] });
        const earlier = all.find((d) => d.recipientOrganId === agency.organId);
        // A recipient an earlier update removed can be added back, once its answer to the removal came; one
        // that returned the document (02) can be sent it again (gửi lại): still in Nơi nhận, a new round.
        const returned = earlier !== undefined && earlier.removedAt === null && earlier.status === '02';
        if (earlier && earlier.removedAt === null && !returned) throw new DomainError('exchange.already_sent', { details: [{ field: 'addRecipients', message: agency.organId }] });
        if (earlier?.pendingRequest) throw new DomainError('exchange.request_pending', { details: [{ field: 'addRecipients', message: `${agency.organId}: ${earlier.pendingRequest}` }] });
        return { organId: agency.organId, organName: r.organName || agency.name, back: earlier !== undefined, returned };
      });
      const remove = change.removeRecipients ?? [];
      for (const organId of remove) {
        if (!active.some((d) => d.recipientOrganId === organId)) throw new DomainError('request.invalid', { details: [{ field: 'removeRecipients', message: `${organId} has no active delivery of this document` }] });
      }
      const newcomers = add.filter((a) => !a.returned); // a recipient sent the document again is in Nơi nhận already
      const to = newcomers.length > 0 || remove.length > 0 ? changeRecipients(doc.metadata.to, newcomers, remove) : doc.metadata.to;
      const diff = diffMetadata(doc.metadata, { ...change.metadata, to });
      const unchanged = isEmptyDiff(diff);
      if (unchanged && newcomers.length === add.length) throw new DomainError('request.invalid', { details: [{ field: 'metadata', message: 'the update changes nothing' }] });
      if (!unchanged) await repos.exchange.updateDocumentMetadata({ id: randomUUID(), documentId, agencyOrganId: organId, source: 'update_sent', requestId: null, reason, before: diff.before, after: diff.after, changedBy: actor.userId });
      const metadata = { ...doc.metadata, ...diff.after };

      // To lists every recipient in force — those that returned it too: they stay in Nơi nhận — and the added ones.
      const listed = all.filter((d) => d.removedAt === null && !add.some((a) => a.organId === d.recipientOrganId));
      const addressees = [...listed.map((d) => ({ organId: d.recipientOrganId, organName: d.recipientName })), ...add];
      // Only sent again to recipients that had returned it (nothing else changes): the others are not asked.
      const informed = unchanged && remove.length === 0 && newcomers.length === 0 ? [] : active;
      const publishedTo = [...informed.map((d) => d.recipientOrganId), ...add.map((a) => a.organId)];
      const receivers: ReceiverChangeEntry[] = [...add.map((r) => ({ organId: r.organId as OrganId, receiverType: 1 as const })), ...remove.map((o) => ({ organId: o as OrganId, receiverType: 0 as const }))];
      const documentInfo = Object.keys(diff.after).some((f) => f !== 'to');
      const files = add.length > 0 ? await this.attachmentsOf(repos, documentId, opened) : NO_FILES;
      const pkg = packageFromOutgoing({
        metadata, sender: this.organisation(directory, organId, doc.metadata.organName),
        recipients: addressees.map((a) => ({ organId: a.organId as OrganId, organName: a.organName })),
        attachments: files.attachments, sentAt: now, documentId: first.edxmlDocumentId,
        business: { businessDocType: 2, businessDocReason: reason, documentId: first.edxmlDocumentId, paper: false, businessDocumentInfo: { documentInfo, documentReceiver: receivers.length > 0, receivers }, replacementInfoList: [] },
      });
      const { messageIds } = await this.signAndEnqueue(repos, organId, documentId, pkg, files.sha256s, publishedTo);
      for (const d of informed) {
        const locked = await repos.exchange.findDeliveryForUpdate(organId, d.edxmlDocumentId, d.recipientOrganId);
        if (locked) await repos.exchange.updateDelivery({ ...locked, pendingRequest: 'update', removedAt: remove.includes(d.recipientOrganId) ? now.toISOString() : locked.removedAt });
      }
      // A recipient added back answers 15 (its document restored at once when it had accepted the removal, or
      // received again when it had returned it) or 15/16 from its văn thư (it had refused the removal): its
      // delivery is in force again, waiting for that answer. One sent the document again starts a new round
      // of statuses (01, then 03 or 02 again), after a `resent` event in its history.
      for (const a of add.filter((x) => x.back)) {
        const locked = await repos.exchange.findDeliveryForUpdate(organId, first.edxmlDocumentId, a.organId);
        if (!locked) continue;
        const round = a.returned ? { status: null, arrivalNumber: null, reason: null, history: [...locked.history, resentEvent(now, reason)] } : {};
        await repos.exchange.updateDelivery({ ...locked, messageId: messageIds.get(a.organId) as string, pendingRequest: 'update', removedAt: null, ...round });
      }
      // An added recipient receives the update as a new document: its delivery follows 01, 03, 05 like any other.
      await repos.exchange.insertDeliveries(add.filter((x) => !x.back).map((a) => ({
        documentId, agencyOrganId: organId, recipientOrganId: a.organId, recipientName: a.organName, edxmlDocumentId: first.edxmlDocumentId, messageId: messageIds.get(a.organId) as string,
      })));
      await repos.audit.append(organId, { actor: actor.userId, action: 'outgoing.update', subjectType: 'document', subjectId: documentId, before: diff.before, after: { ...diff.after, reason, added: add.map((a) => a.organId), removed: remove } });
      return { edxmlDocumentId: first.edxmlDocumentId, recipients: publishedTo, added: add.map((a) => a.organId), removed: [...remove], changed: Object.keys(diff.after) };
    }));
    this.afterCommit();
    return result;
  }

  /** Per-recipient delivery state of a sent document (the văn thư follows it). */
  async deliveries(actor: Actor, organId: string, documentId: string): Promise<DeliveryView[]> {
    authorize(actor, 'document.read', organId);
    return this.uow.run((repos) => repos.exchange.listDeliveries(organId, documentId));
  }

  /** The one path that sends a whole document (new or replacement): checks, package, outbox, deliveries, audit. */
  private async sendDocument(actor: Actor, organId: string, documentId: string, options: DocumentSend): Promise<SendResult> {
    const now = this.clock.now();
    const directory = this.directory.requireValid(now);
    const opened: BlobReader[] = []; // files read while the package is encoded: closed once it is written
    const result = await closingAfter(opened, this.uow.run(async (repos) => {
      const found = await repos.exchange.findForSending(organId, documentId); // with the recipients sent to already: one read
      const doc = found?.document;
      if (!found || !doc || doc.direction !== 'outgoing') throw new DomainError('registry.document_not_found');
      this.assertSendable(doc);
      const recipients = doc.metadata.to.map((t) => {
        const agency = t.organId ? findAgency(directory, t.organId) : undefined;
        if (!agency) throw new DomainError('axis.unknown_recipient', { details: [{ field: 'recipients', message: t.organId ?? t.organName }] });
        return agency;
      });
      const sender = findAgency(directory, organId);
      if (!sender) throw new DomainError('axis.unknown_recipient', { details: [{ field: 'sender', message: `${organId} is not in the directory` }] });
      if (found.sentTo.length > 0) throw new DomainError('exchange.already_sent', { details: found.sentTo.map((recipient) => ({ field: 'recipients', message: recipient })) });
      const business = options.replacesDocumentId ? await this.replacementOf(repos, organId, options.replacesDocumentId, options.business) : options.business;

      const files = await this.attachmentsOf(repos, documentId, opened);
      const pkg = packageFromOutgoing({
        metadata: doc.metadata, sender: { organId: organId as OrganId, organName: sender.name },
        recipients: recipients.map((r) => ({ organId: r.organId as OrganId, organName: r.name })), attachments: files.attachments, sentAt: now,
        ...(business ? { business } : {}),
      });
      const { messageIds, digest } = await this.signAndEnqueue(repos, organId, documentId, pkg, files.sha256s, recipients.map((r) => r.organId));
      const deliveries: NewDelivery[] = recipients.map((r) => ({
        documentId, agencyOrganId: organId, recipientOrganId: r.organId, recipientName: r.name, edxmlDocumentId: pkg.header.documentId, messageId: messageIds.get(r.organId) as string,
        pendingRequest: options.pendingRequest ?? null, replacesDocumentId: options.replacesDocumentId ?? null,
      }));
      await repos.exchange.insertDeliveries(deliveries);
      await repos.audit.append(organId, { actor: actor.userId, action: options.audit.action, subjectType: 'document', subjectId: documentId, after: { ...options.audit.after, edxmlDocumentId: pkg.header.documentId, recipients: deliveries.map((d) => d.recipientOrganId), packageSha256: digest } });
      if (options.replacesDocumentId) {
        // The earlier document is replaced in the sender's book at once; each recipient's answer (15/16) is on the new deliveries.
        await repos.documents.setStatus(options.replacesDocumentId, 'replaced');
        await repos.audit.append(organId, { actor: actor.userId, action: 'outgoing.replaced', subjectType: 'document', subjectId: options.replacesDocumentId, before: { status: 'issued' }, after: { status: 'replaced', replacedBy: documentId, replacementEdxmlDocumentId: pkg.header.documentId } });
      }
      return { edxmlDocumentId: pkg.header.documentId, recipients: deliveries.map((d) => d.recipientOrganId) };
    }));
    this.afterCommit();
    return result;
  }

  /** ReplacementInfoList: the replaced document's DocumentId and the agencies that had received it. */
  private async replacementOf(repos: ExchangeRepositories, organId: string, replacedId: string, business: Business | undefined): Promise<Business> {
    const replaced = await repos.documents.findForUpdate(organId, replacedId);
    if (!replaced || replaced.direction !== 'outgoing') throw new DomainError('registry.document_not_found', { details: [{ field: 'replacesDocumentId', message: replacedId }] });
    // Only a document in force can be replaced: not one already replaced or recalled.
    if (replaced.status !== 'issued') throw new DomainError(isWithdrawn(replaced) ? 'exchange.withdrawn' : 'exchange.not_sendable', { details: [{ field: 'replacesDocumentId', message: `${replacedId}: ${replaced.status}` }] });
    const sent = await repos.exchange.listDeliveries(organId, replacedId);
    const first = sent[0];
    if (!first) throw new DomainError('exchange.not_sent', { details: [{ field: 'replacesDocumentId', message: replacedId }] });
    return {
      businessDocType: 3, paper: false, ...business,
      replacementInfoList: [{ documentId: first.edxmlDocumentId, organIds: sent.filter((d) => d.removedAt === null).map((d) => d.recipientOrganId as OrganId) }],
    };
  }

  /**
   * The current versions only (a PAdES signature supersedes the PDF it signed), main first, each separate
   * attachment followed by its detached CMS signature (`<name>.p7s`) when it has one; with each, its file
   * in the blob store when it is held in memory (a file read as a stream has none: see `signAndEnqueue`).
   */
  private async attachmentsOf(repos: ExchangeRepositories, documentId: string, opened: BlobReader[]): Promise<SentFiles> {
    const files = await repos.signatureReports.filesOf(documentId);
    const current = currentAttachments(files.attachments, files.signatures)
      .filter((a) => a.role !== 'scan')
      .sort((a, b) => (a.role === 'main' ? 0 : 1) - (b.role === 'main' ? 0 : 1));
    const attachments: OutgoingAttachment[] = [];
    const sha256s: Array<string | undefined> = [];
    for (const a of current) {
      attachments.push({ name: a.fileName, contentType: a.mediaType, content: await this.contentOf(a.sha256, a.size, opened) });
      sha256s.push(a.size <= STREAMED_FILE_BYTES ? a.sha256 : undefined);
      if (a.detachedSignatureSha256) {
        attachments.push({ name: `${a.fileName}.p7s`, contentType: 'application/pkcs7-signature', content: await readBlob(this.blobs, a.detachedSignatureSha256) });
        sha256s.push(a.detachedSignatureSha256);
      }
    }
    return { attachments, sha256s };
  }

  /**
   * A file over 1 MB is read from the blob store while the package is encoded (its CRC-32, then its base64
   * for the digest and again for the output), not held: a 50 MB scan costs no 50 MB buffer here; one that
   * compresses is deflated ahead into the blob store and its deflated data is read the same way. The
   * readers are added to `opened`, for the caller to close once the package is written.
   */
  private async contentOf(sha256: string, size: number, opened: BlobReader[]): Promise<OutgoingAttachment['content']> {
    if (size <= STREAMED_FILE_BYTES) return readBlob(this.blobs, sha256, size);
    const reader = await this.blobs.openReader(sha256);
    opened.push(reader);
    if (reader.size !== size) throw new DomainError('attachment.not_found', { details: [{ field: 'sha256', message: `${sha256} holds ${reader.size} bytes, ${size} recorded` }] });
    const file = { byteLength: reader.size, readSync: (offset: number, length: number) => reader.readSync(offset, length) };
    // A file that compresses is deflated now, as a stream into the blob store (not in memory), for its ZIP.
    // That blob is named by no row: the next `edoc-node blobs sweep` removes it (the same file sent again
    // deflates to the same blob).
    const ahead = deflateAhead(file);
    if (!ahead) return file;
    const stored = await this.blobs.put(ahead.chunks, Number.MAX_SAFE_INTEGER);
    const deflated = await this.blobs.openReader(stored.sha256);
    opened.push(deflated);
    return { ...file, zip: { crc32: ahead.crc32(), deflated: { byteLength: deflated.size, readSync: (offset, length) => deflated.readSync(offset, length) } } };
  }

  /**
   * Builds and signs the package (the organisation's signature on the envelope), then writes one outbox
   * entry (own message id) per recipient, all carrying it: a small package with attachments, every one of
   * them a file in the blob store held in memory (`sha256s`), as its parts (the signed skeleton and those
   * files: PackageParts, domain/outbox.ts); another small one in the entries; a large one written once to
   * the blob store slice by slice (the package is never whole in memory), which the entries name. Returns
   * the message ids by recipient and the package digest (SHA-256, hex).
   */
  private async signAndEnqueue(repos: ExchangeRepositories, organId: string, documentId: string, pkg: OutgoingDocumentPackage, sha256s: ReadonlyArray<string | undefined>, recipients: readonly string[]): Promise<{ messageIds: Map<string, string>; digest: string }> {
    const unsigned = buildDocumentPackageSkeleton(pkg);
    const signed = await this.signer.signPackageSkeleton(organId, unsigned);
    let content: { package: Uint8Array; parts?: PackageParts | undefined } | { packageBlob: StoredPackage };
    let digest: string;
    if (signed.size > OUTBOX_INLINE_MAX_BYTES) {
      const packageBlob = await this.blobs.put(asyncSlices(signed), Number.MAX_SAFE_INTEGER);
      content = { packageBlob };
      digest = packageBlob.sha256;
    } else {
      const whole = Buffer.concat([...signed.slices()]);
      content = { package: whole, parts: pkg.attachments.length > 0 ? packageParts(pkg, unsigned, signed.skeleton, sha256s) ?? undefined : undefined };
      digest = createHash('sha256').update(whole).digest('hex');
    }
    const messageIds = new Map<string, string>(recipients.map((to) => [to, randomUUID()]));
    await repos.outbox.enqueue(...[...messageIds].map(([to, messageId]) => ({
      id: randomUUID(), documentId, ...content, headers: { from: organId, to, messageType: 'edoc' as const, serviceType: 'eDoc', messageId, packageDigest: digest },
    })));
    return { messageIds, digest };
  }

  private organisation(directory: InstalledDirectory, organId: string, fallback: string): { organId: OrganId; organName: string } {
    return { organId: organId as OrganId, organName: findAgency(directory, organId)?.name ?? fallback };
  }

  private assertSendable(doc: RegistryDocument): void {
    if (isClassified(doc.confidentiality)) throw new DomainError('registry.classified_not_electronic');
    assertInForce(doc);
    if (doc.metadata.to.length === 0) throw new DomainError('exchange.not_sendable', { details: [{ field: 'recipients', message: 'no recipients' }] });
  }
}

const isWithdrawn = (doc: RegistryDocument): boolean => doc.status === 'recalled' || doc.status === 'replaced';

/** Issued and neither recalled nor replaced: what may be sent, updated, recalled or replaced. */
function assertInForce(doc: RegistryDocument): void {
  if (doc.status !== 'issued') throw new DomainError(isWithdrawn(doc) ? 'exchange.withdrawn' : 'exchange.not_sendable', { details: [{ field: 'status', message: doc.status }] });
}

function requireReason(reason: string, why: string): string {
  const trimmed = reason.trim();
  if (!trimmed) throw new DomainError('request.invalid', { details: [{ field: 'reason', message: why }] });
  return trimmed;
}

/** One request at a time per delivery: its 15/16 must answer that request and no other. */
function assertNoPendingRequest(deliveries: readonly DeliveryView[]): void {
  const pending = deliveries.filter((d) => d.pendingRequest !== null);
  if (pending.length > 0) throw new DomainError('exchange.request_pending', { details: pending.map((d) => ({ field: 'recipients', message: `${d.recipientOrganId}: ${d.pendingRequest}` })) });
}

/** The deliveries still in force: not removed by an update, not returned (02). */
async function activeDeliveries(repos: ExchangeRepositories, organId: string, documentId: string): Promise<DeliveryView[]> {
  return (await repos.exchange.listDeliveries(organId, documentId)).filter((d) => d.removedAt === null && d.status !== '02');
}

/** The attachments of a package, and each one's file in the blob store (undefined: read as a stream). */
interface SentFiles {
  readonly attachments: OutgoingAttachment[];
  readonly sha256s: ReadonlyArray<string | undefined>;
}

const NO_FILES: SentFiles = { attachments: [], sha256s: [] };

/** Files over this size are read from the blob store as the package is encoded (`contentOf`). */
const STREAMED_FILE_BYTES = 1024 * 1024;

/** `work`'s result, once every reader in `opened` is closed (whatever the outcome). */
async function closingAfter<T>(opened: BlobReader[], work: Promise<T>): Promise<T> {
  try {
    return await work;
  } finally {
    for (const reader of opened.splice(0)) await reader.close();
  }
}
