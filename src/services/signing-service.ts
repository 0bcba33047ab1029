// The signing use cases (issue 3 item 5, DESIGN.md "Outgoing", Nghị định 30 Phụ lục I):
// 1. a lãnh đạo signs the outgoing document's main PDF with their personal PAdES signature and a
//    signature time-stamp; the signed PDF is a new version of the main attachment (content-addressed);
//    the document becomes `signed`;
// 2. after the văn thư issued it (number and ký hiệu given), the agency signature: a second incremental
//    PAdES signature on the main PDF (the leader's stays valid) and a detached CMS on every other
//    attachment.
// Every signature is verified once by our verifier before anything is stored; its validation report is
// kept with the document (signature_reports) and the use of the key recorded and audited, in the same
// transaction as the new attachment version.
import { createHash, randomUUID } from 'node:crypto';
import { authorize, type Actor } from '../domain/actor.ts';
import type { RegistryDocument } from '../domain/document.ts';
import { DomainError } from '../domain/errors.ts';
import { readBlob, type AttachmentRecord, type BlobStore } from '../domain/registry-ports.ts';
import { currentAttachments, type DocumentSignatureTools, type StoredSignatureReport, type UnsealedKey } from '../domain/signing-keys.ts';
import type { Repositories, UnitOfWork } from '../domain/unit-of-work.ts';
import type { SignatureValidationReport } from '../domain/validation-report.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import type { KeyCustodyService } from './key-custody-service.ts';

const PERSONAL_SIGNING_STATUSES = new Set(['draft', 'awaiting_signature', 'signed']);

interface ProducedSignature {
  readonly source: AttachmentRecord;
  readonly form: 'PAdES' | 'CMS';
  /** PAdES: the signed PDF (a new attachment version); CMS: the detached signature. */
  readonly bytes: Buffer;
  readonly report: SignatureValidationReport;
}

async function* once(bytes: Buffer): AsyncIterable<Uint8Array> { yield bytes; }

export class SigningService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly blobs: BlobStore,
    private readonly custody: KeyCustodyService,
    private readonly tools: () => DocumentSignatureTools,
    private readonly clock: Clock,
    private readonly maxBytes: number,
  ) {}

  /** Lãnh đạo: personal PAdES signature on the main PDF, unlocked with the PIN (DOMAIN.md §1). */
  async signPersonal(actor: Actor, organId: string, documentId: string, request: { pin?: string; keyId?: string }): Promise<{ document: RegistryDocument; attachment: AttachmentRecord; report: StoredSignatureReport }> {
    authorize(actor, 'document.sign_personal', organId);
    const { document, main } = await this.uow.run(async (repos) => {
      const doc = await this.outgoing(repos, organId, documentId);
      if (!PERSONAL_SIGNING_STATUSES.has(doc.status)) throw new DomainError('signing.wrong_status', { details: [{ field: 'status', message: `a ${doc.status} document cannot receive a leader's signature` }] });
      return { document: doc, main: await this.currentMain(repos, documentId) };
    });
    const key = await this.custody.unsealPersonal(actor, organId, request);
    const signed = await this.signPdf(main, key, `Ký duyệt: ${document.metadata.subject}`.slice(0, 200));
    const stored = await this.store(actor, organId, documentId, 'personal', key, [signed], (doc) => {
      if (!PERSONAL_SIGNING_STATUSES.has(doc.status)) throw new DomainError('signing.wrong_status');
      return 'signed';
    });
    const [first] = stored.reports;
    const attachment = stored.attachments[0];
    if (!first || !attachment) throw new Error('no report stored');
    return { document: stored.document, attachment, report: first };
  }

  /**
   * Văn thư, right after issuing: the agency signature — PAdES on the main PDF after the leader's, a
   * detached CMS on every other attachment (Nghị định 30 Phụ lục I; DESIGN.md "Outgoing").
   */
  async signOrganisation(actor: Actor, organId: string, documentId: string): Promise<{ document: RegistryDocument; reports: StoredSignatureReport[] }> {
    authorize(actor, 'document.sign_organisation', organId);
    const { main, others } = await this.uow.run(async (repos) => {
      const doc = await this.outgoing(repos, organId, documentId);
      if (doc.status !== 'issued') throw new DomainError('signing.wrong_status', { details: [{ field: 'status', message: 'the agency signature is applied when the văn thư issues the document (number and ký hiệu given)' }] });
      const reports = await repos.signatureReports.listByDocument(documentId);
      if (reports.some((r) => r.kind === 'organisation')) throw new DomainError('signing.already_sealed');
      if (!reports.some((r) => r.kind === 'personal' && r.form === 'PAdES')) throw new DomainError('signing.not_signed_by_leader');
      const attachments = await repos.attachments.listByDocument(documentId);
      return { main: await this.currentMain(repos, documentId, reports), others: attachments.filter((a) => a.role !== 'main') };
    });
    const key = await this.custody.unsealOrganisation(actor, organId);
    const produced: ProducedSignature[] = [await this.signPdf(main, key, 'Ký số của cơ quan, tổ chức')];
    for (const attachment of others) produced.push(await this.signDetached(attachment, key));
    const stored = await this.store(actor, organId, documentId, 'organisation', key, produced, (doc) => {
      if (doc.status !== 'issued') throw new DomainError('signing.wrong_status');
      return null;
    });
    return { document: stored.document, reports: stored.reports };
  }

  async listReports(actor: Actor, organId: string, documentId: string): Promise<StoredSignatureReport[]> {
    authorize(actor, 'document.read', organId);
    return this.uow.run(async (repos) => {
      if (!(await repos.documents.find(organId, documentId))) throw new DomainError('registry.document_not_found');
      return repos.signatureReports.listByDocument(documentId);
    });
  }

  /** The detached CMS of a report (DER), for download and for `openssl cms -verify`. */
  async openDetachedSignature(actor: Actor, organId: string, documentId: string, reportId: string): Promise<{ report: StoredSignatureReport; content: AsyncIterable<Uint8Array> }> {
    authorize(actor, 'document.read', organId);
    const report = await this.uow.run(async (repos) => ((await repos.documents.find(organId, documentId)) ? repos.signatureReports.find(documentId, reportId) : null));
    if (!report?.signatureSha256) throw new DomainError('attachment.not_found');
    return { report, content: this.blobs.open(report.signatureSha256) };
  }

  private async outgoing(repos: Repositories, organId: string, documentId: string): Promise<RegistryDocument> {
    const doc = await repos.documents.find(organId, documentId);
    if (!doc || doc.direction !== 'outgoing') throw new DomainError('registry.document_not_found');
    return doc;
  }

  /** The current version of the main PDF: the latest main attachment no signature superseded. */
  private async currentMain(repos: Repositories, documentId: string, known?: readonly StoredSignatureReport[]): Promise<AttachmentRecord> {
    const reports = known ?? (await repos.signatureReports.listByDocument(documentId));
    const mains = currentAttachments(await repos.attachments.listByDocument(documentId), reports).filter((a) => a.role === 'main');
    const main = mains[mains.length - 1];
    if (!main || main.mediaType !== 'application/pdf') throw new DomainError('signing.no_main_pdf');
    return main;
  }

  private async read(record: AttachmentRecord): Promise<Buffer> {
    const bytes = await readBlob(this.blobs, record.sha256);
    if (createHash('sha256').update(bytes).digest('hex') !== record.sha256) throw new DomainError('attachment.digest_mismatch');
    return bytes;
  }

  private async signPdf(main: AttachmentRecord, key: UnsealedKey, reason: string): Promise<ProducedSignature> {
    const tools = this.tools();
    const signed = await tools.signPdf(await this.read(main), key, { reason, signingTime: this.clock.now() });
    const reports = await tools.verifyPdf(signed);
    // The new signature is the last one; the earlier ones (the leader's) must still hold as well.
    this.requirePassed(reports, main.fileName);
    return { source: main, form: 'PAdES', bytes: signed, report: reports[reports.length - 1] as SignatureValidationReport };
  }

  private async signDetached(attachment: AttachmentRecord, key: UnsealedKey): Promise<ProducedSignature> {
    const tools = this.tools();
    const content = await this.read(attachment);
    const cms = await tools.signDetached(Buffer.from(attachment.sha256, 'hex'), key, this.clock.now());
    const report = await tools.verifyDetached(cms, content);
    this.requirePassed([report], attachment.fileName);
    return { source: attachment, form: 'CMS', bytes: cms, report };
  }

  private requirePassed(reports: readonly SignatureValidationReport[], fileName: string): void {
    const failed = reports.filter((r) => r.indication !== 'TOTAL_PASSED');
    if (reports.length === 0 || failed.length > 0) {
      throw new DomainError('pki.signature_invalid', { details: failed.map((r) => ({ field: fileName, message: `${r.indication}${r.subIndication ? `/${r.subIndication}` : ''}: ${r.message}`, indication: r.indication, subIndication: r.subIndication })) });
    }
  }

  private async store(actor: Actor, organId: string, documentId: string, kind: 'personal' | 'organisation', key: UnsealedKey, produced: readonly ProducedSignature[], nextStatus: (doc: RegistryDocument) => 'signed' | null) {
    const blobs: { sha256: string; size: number }[] = [];
    for (const p of produced) blobs.push(await this.blobs.put(once(p.bytes), Math.max(this.maxBytes, p.bytes.length)));
    return this.uow.run(async (repos) => {
      const before = await repos.documents.findForUpdate(organId, documentId);
      if (!before) throw new DomainError('registry.document_not_found');
      const status = nextStatus(before);
      // The document row lock serialises signers: what was signed must still be the current state.
      const current = await repos.signatureReports.listByDocument(documentId);
      if (kind === 'organisation' && current.some((r) => r.kind === 'organisation')) throw new DomainError('signing.already_sealed');
      const pades = produced.find((p) => p.form === 'PAdES');
      if (pades && (await this.currentMain(repos, documentId, current)).id !== pades.source.id) {
        throw new DomainError('signing.main_changed', { details: [{ field: pades.source.fileName, message: 'the main PDF changed while it was being signed: sign again' }] });
      }
      const reports: StoredSignatureReport[] = [];
      const attachments: AttachmentRecord[] = [];
      for (const [i, p] of produced.entries()) {
        const blob = blobs[i] as { sha256: string; size: number };
        let signedAttachment = p.source;
        if (p.form === 'PAdES') {
          signedAttachment = await repos.attachments.insert({ id: randomUUID(), documentId, role: 'main', fileName: p.source.fileName, mediaType: 'application/pdf', size: blob.size, sha256: blob.sha256, uploadedBy: actor.userId });
          attachments.push(signedAttachment);
        }
        await repos.signingKeys.recordUse({ keyId: key.keyId, userId: actor.userId, documentId, attachmentId: p.source.id, form: p.form, signedSha256: p.source.sha256 });
        const report = await repos.signatureReports.insert({
          id: randomUUID(), documentId, attachmentId: signedAttachment.id, sourceAttachmentId: p.source.id, form: p.form, kind, keyId: key.keyId,
          signedBy: actor.userId, signatureSha256: p.form === 'CMS' ? blob.sha256 : null, report: p.report,
        });
        reports.push(report);
        await repos.audit.append(organId, { actor: actor.userId, action: 'key.use', subjectType: 'key', subjectId: key.keyId, after: { documentId, attachmentId: p.source.id, form: p.form, signedSha256: p.source.sha256, resultSha256: blob.sha256 } });
      }
      const document = status && before.status !== status ? await repos.documents.setStatus(documentId, status) : before;
      await repos.audit.append(organId, { actor: actor.userId, action: kind === 'personal' ? 'document.sign_personal' : 'document.sign_organisation', subjectType: 'document', subjectId: documentId, before, after: { document, signatures: reports.map((r) => ({ id: r.id, form: r.form, attachmentId: r.attachmentId, indication: r.report.indication })) } });
      return { document, reports, attachments };
    });
  }
}
