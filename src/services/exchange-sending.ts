// Sending an issued outgoing document over the axis (issue 5 item 3; DESIGN.md "Main flows", outgoing):
// one package (edXML builder, the agency's organisation signature on the envelope), one outbox entry and
// one delivery row per recipient, all in one transaction. Refused before anything is written: a document
// not issued, a classified one (DOMAIN.md §6: never exchanged electronically), a recipient not in the
// directory, or no valid directory (fail closed).
import { createHash, randomUUID } from 'node:crypto';
import { authorize, type Actor } from '../domain/actor.ts';
import { isClassified, type RegistryDocument } from '../domain/document.ts';
import { DomainError } from '../domain/errors.ts';
import { findAgency } from '../domain/directory.ts';
import type { DeliveryView, ExchangeUnitOfWork, PackageSigner } from '../domain/exchange.ts';
import type { BlobStore } from '../domain/registry-ports.ts';
import { currentAttachments } from '../domain/signing-keys.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import { buildDocumentPackage } from '../edxml/package-builder.ts';
import type { OutgoingAttachment } from '../edxml/model.ts';
import type { OrganId } from '../domain/organ-id.ts';
import { packageFromOutgoing } from '../edxml/registry-mapping.ts';
import type { DirectoryHolder } from './directory-service.ts';

async function readBlob(blobs: BlobStore, sha256: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of blobs.open(sha256)) parts.push(chunk);
  return Buffer.concat(parts);
}

export interface SendResult {
  readonly edxmlDocumentId: string;
  readonly recipients: readonly string[];
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
    const now = this.clock.now();
    const directory = this.directory.requireValid(now);
    const result = await this.uow.run(async (repos) => {
      const doc = await repos.documents.findForUpdate(organId, documentId);
      if (!doc || doc.direction !== 'outgoing') throw new DomainError('registry.document_not_found');
      this.assertSendable(doc);
      const recipients = doc.metadata.to.map((t) => {
        const agency = t.organId ? findAgency(directory, t.organId) : undefined;
        if (!agency) throw new DomainError('axis.unknown_recipient', { details: [{ field: 'recipients', message: t.organId ?? t.organName }] });
        return agency;
      });
      const sender = findAgency(directory, organId);
      if (!sender) throw new DomainError('axis.unknown_recipient', { details: [{ field: 'sender', message: `${organId} is not in the directory` }] });
      const already = await repos.exchange.listDeliveries(organId, documentId);
      if (already.length > 0) throw new DomainError('exchange.already_sent', { details: already.map((d) => ({ field: 'recipients', message: d.recipientOrganId })) });

      // The current versions only (a PAdES signature supersedes the PDF it signed), main first, each
      // separate attachment followed by its detached CMS signature (`<name>.p7s`) when it has one.
      const current = currentAttachments(await repos.attachments.listByDocument(documentId), await repos.signatureReports.listByDocument(documentId))
        .filter((a) => a.role !== 'scan')
        .sort((a, b) => (a.role === 'main' ? 0 : 1) - (b.role === 'main' ? 0 : 1));
      const attachments: OutgoingAttachment[] = [];
      for (const a of current) {
        attachments.push({ name: a.fileName, contentType: a.mediaType, content: await readBlob(this.blobs, a.sha256) });
        if (a.detachedSignatureSha256) attachments.push({ name: `${a.fileName}.p7s`, contentType: 'application/pkcs7-signature', content: await readBlob(this.blobs, a.detachedSignatureSha256) });
      }
      const pkg = packageFromOutgoing({
        metadata: doc.metadata, sender: { organId: organId as OrganId, organName: sender.name },
        recipients: recipients.map((r) => ({ organId: r.organId as OrganId, organName: r.name })), attachments, sentAt: now,
      });
      const signed = await this.signer.signPackage(organId, buildDocumentPackage(pkg));
      const digest = createHash('sha256').update(signed).digest('hex');
      const deliveries = recipients.map((r) => ({
        documentId, agencyOrganId: organId, recipientOrganId: r.organId, recipientName: r.name, edxmlDocumentId: pkg.header.documentId, messageId: randomUUID(),
      }));
      for (const d of deliveries) {
        await repos.outbox.enqueue({
          id: randomUUID(), documentId, package: signed,
          headers: { from: organId, to: d.recipientOrganId, messageType: 'edoc', serviceType: 'eDoc', messageId: d.messageId, packageDigest: digest },
        });
      }
      await repos.exchange.insertDeliveries(deliveries);
      await repos.audit.append(organId, { actor: actor.userId, action: 'outgoing.send', subjectType: 'document', subjectId: documentId, after: { edxmlDocumentId: pkg.header.documentId, recipients: deliveries.map((d) => d.recipientOrganId), packageSha256: digest } });
      return { edxmlDocumentId: pkg.header.documentId, recipients: deliveries.map((d) => d.recipientOrganId) };
    });
    this.afterCommit();
    return result;
  }

  /**
   * Thu hồi (issue 5 item 6): a package with BussinessDocType 1 and the reason, same DocumentId, to every
   * recipient that has not returned the document; each delivery records 13 with the reason and later the
   * recipient's 15 (accepted: cancelled there) or 16 (refused).
   */
  async recall(actor: Actor, organId: string, documentId: string, reason: string): Promise<SendResult> {
    authorize(actor, 'outgoing.issue', organId);
    if (!reason.trim()) throw new DomainError('request.invalid', { details: [{ field: 'reason', message: 'a recall needs a reason (BussinessDocReason)' }] });
    const now = this.clock.now();
    const directory = this.directory.requireValid(now);
    const result = await this.uow.run(async (repos) => {
      const doc = await repos.documents.findForUpdate(organId, documentId);
      if (!doc || doc.direction !== 'outgoing') throw new DomainError('registry.document_not_found');
      const targets = (await repos.exchange.listDeliveries(organId, documentId)).filter((d) => d.status !== '02' && !d.history.some((e) => e.code === '13'));
      const first = targets[0];
      if (!first) throw new DomainError('exchange.not_sendable', { details: [{ field: 'recipients', message: 'no delivery to recall' }] });
      const sender = findAgency(directory, organId);
      const pkg = packageFromOutgoing({
        metadata: doc.metadata, sender: { organId: organId as OrganId, organName: sender?.name ?? doc.metadata.organName },
        recipients: targets.map((d) => ({ organId: d.recipientOrganId as OrganId, organName: d.recipientName })), attachments: [], sentAt: now,
        documentId: first.edxmlDocumentId,
        business: { businessDocType: 1, businessDocReason: reason.trim(), documentId: first.edxmlDocumentId, paper: false, replacementInfoList: [] },
      });
      const signed = await this.signer.signPackage(organId, buildDocumentPackage(pkg));
      const digest = createHash('sha256').update(signed).digest('hex');
      for (const target of targets) {
        await repos.outbox.enqueue({
          id: randomUUID(), documentId, package: signed,
          headers: { from: organId, to: target.recipientOrganId, messageType: 'edoc', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: digest },
        });
        const d = await repos.exchange.findDeliveryForUpdate(organId, target.edxmlDocumentId, target.recipientOrganId);
        if (d) await repos.exchange.updateDelivery({ ...d, history: [...d.history, { code: '13', at: now.toISOString(), description: reason.trim(), arrivalNumber: null }] });
      }
      await repos.audit.append(organId, { actor: actor.userId, action: 'outgoing.recall', subjectType: 'document', subjectId: documentId, after: { reason: reason.trim(), recipients: targets.map((t) => t.recipientOrganId) } });
      return { edxmlDocumentId: first.edxmlDocumentId, recipients: targets.map((t) => t.recipientOrganId) };
    });
    this.afterCommit();
    return result;
  }

  /** Per-recipient delivery state of a sent document (the văn thư follows it). */
  async deliveries(actor: Actor, organId: string, documentId: string): Promise<DeliveryView[]> {
    authorize(actor, 'document.read', organId);
    return this.uow.run((repos) => repos.exchange.listDeliveries(organId, documentId));
  }

  private assertSendable(doc: RegistryDocument): void {
    if (isClassified(doc.confidentiality)) throw new DomainError('registry.classified_not_electronic');
    if (doc.status !== 'issued') throw new DomainError('exchange.not_sendable', { details: [{ field: 'status', message: doc.status }] });
    if (doc.metadata.to.length === 0) throw new DomainError('exchange.not_sendable', { details: [{ field: 'recipients', message: 'no recipients' }] });
  }
}
