// The receiving side of the sender's requests about a document it sent (issue 5 item 6; DOMAIN.md §3
// Bussiness; Nghị định 30, art. 17): recall (BussinessDocType 1), update (2), replacement (3). Each is
// recorded in `exchange_requests` for the văn thư, who accepts (15) or refuses (16) — see
// ExchangeClerkService.answerRequest — and is answered 01 now. Runs in the inbox consumer's transaction,
// after the package was parsed and verified like any other.
//
// An update that adds this agency back is applied without the văn thư when it undoes what the agency
// already did: a removal it accepted (the document restored) or a return (02: the document sent again,
// received anew).
//
// Dedupe: recall on (sender, DocumentId, 1) — one recall per document; update on (sender, DocumentId, 2,
// package SHA-256) — several updates of one document are several requests, the same package twice is one;
// replacement on the new document's (sender, DocumentId, 3) in `exchange_received`. A duplicate changes
// nothing and gets the status already given, again.
import { randomUUID } from 'node:crypto';
import { DomainError } from '../domain/errors.ts';
import type { ExchangeRepositories, InboxOutcome } from '../domain/exchange.ts';
import type { DocumentHeader, Organization, ParsedDocumentPackage } from '../edxml/model.ts';
import { applyAcceptedRequest, requestAnswerEvent } from './exchange-request-effects.ts';
import { describeStatus, type StatusEmitter } from './exchange-status.ts';

export interface ReceivedRequest {
  readonly recipient: string; // our organ id
  readonly messageId: string;
  readonly parsed: ParsedDocumentPackage;
  readonly businessDocType: number;
  readonly packageSha256: string;
  /** Us, as the directory names us (From of the statuses). */
  readonly from: Organization;
  readonly now: Date;
  /** Stores the package as a new incoming document (status `received`, 01 to the sender). */
  readonly storeAsNew: () => Promise<InboxOutcome>;
  /** The agency's axis user: the actor of what happens without the văn thư. */
  readonly axisUser: string;
}

/** The sender's TraceHeader time (the last one it wrote), as ISO text; null when the package has none. */
function sentAtOf(request: ReceivedRequest): string | null {
  const sender = request.parsed.header.from.organId;
  const trace = [...request.parsed.traceHeaders].reverse().find((t) => t.organId === sender);
  return trace ? trace.timestamp.toISOString() : null;
}

export class ExchangeRequestReceiver {
  constructor(private readonly emitter: StatusEmitter) {}

  async receive(repos: ExchangeRepositories, request: ReceivedRequest): Promise<InboxOutcome> {
    if (request.businessDocType === 2) return this.receiveUpdate(repos, request);
    if (request.businessDocType === 3) return this.receiveReplacement(repos, request);
    return this.record(repos, request, '');
  }

  /**
   * An update: a receiver that has the document records the request (the văn thư applies it or not); a
   * receiver that does not have the DocumentId (a recipient the update adds) treats the package as a new
   * incoming document — it carries the whole document — and answers 01 like any new document, unless the
   * update removes it from the recipients.
   */
  private async receiveUpdate(repos: ExchangeRepositories, request: ReceivedRequest): Promise<InboxOutcome> {
    const { header } = request.parsed;
    const sender = header.from.organId;
    const earlier = await repos.exchange.findRequest(request.recipient, sender, header.documentId, 2, request.packageSha256);
    if (earlier) return this.resendAnswer(repos, request, earlier);
    const asNew = await repos.exchange.findReceived(request.recipient, sender, header.documentId, 2);
    if (asNew && asNew.packageSha256 === request.packageSha256) {
      await this.emitter.emit(repos, { from: request.from, original: header, code: asNew.lastStatus, at: request.now, description: describeStatus(asNew.lastStatus), documentId: asNew.documentId, to: sender });
      return { duplicateOf: asNew.documentId, status: asNew.lastStatus };
    }
    const receivers = request.parsed.business?.businessDocumentInfo?.receivers ?? [];
    const removedHere = receivers.some((r) => r.organId === request.recipient && r.receiverType === 0);
    const addedHere = receivers.some((r) => r.organId === request.recipient && r.receiverType === 1);
    const target = await repos.exchange.findReceivedDocument(request.recipient, sender, header.documentId);
    // A removed recipient that never got the document is told, not given it: the request is recorded unlinked.
    if (!removedHere && !target) {
      const stored = await request.storeAsNew();
      const documentId = typeof stored.documentId === 'string' ? stored.documentId : null;
      // Added back after a removal that arrived first (and, accepted, cancelled it as it was stored): restored.
      return (addedHere && documentId ? await this.addBack(repos, request, documentId) : null) ?? stored;
    }
    const back = addedHere && target ? await this.addBack(repos, request, target.documentId) ?? await this.sentAgain(repos, request, target.documentId) : null;
    return back ?? this.record(repos, request, request.packageSha256);
  }

  /**
   * An update adding back an agency that an earlier update removed: when that removal was accepted (the
   * document cancelled) and was sent before this package, the document is restored at once to the status it
   * had (ExchangeRequestEffects `reinstate`), recorded as an update accepted automatically and answered 15 —
   * the văn thư already agreed to hold it, and it comes back with its số đến. Otherwise (the removal was
   * refused, or is the later of the two) null: handled as any update.
   */
  private async addBack(repos: ExchangeRepositories, request: ReceivedRequest, documentId: string): Promise<InboxOutcome | null> {
    const { header } = request.parsed;
    const sender = header.from.organId;
    const removal = await repos.exchange.findLastRemoval(request.recipient, sender, header.documentId);
    // (A removal accepted before migration 20261206210000 did not keep the status to restore: the văn thư decides.)
    if (!removal || removal.state !== 'accepted' || removal.documentId !== documentId || removal.previousDocumentStatus === null) return null;
    const sentAt = sentAtOf(request);
    // Sent after this package (the sender's clock, whole seconds; a tie goes to the addition): the removal stands.
    if (removal.sentAt && sentAt && removal.sentAt > sentAt) return null;
    const doc = await repos.documents.findForUpdate(request.recipient, documentId);
    if (doc?.status !== 'recalled') return null;
    const { id, effect } = await this.acceptAutomatically(repos, request, documentId, 'Tự động: cơ quan được bổ sung lại vào nơi nhận, văn bản được khôi phục');
    return { request: id, status: '15', documentId, reinstated: effect.reinstated ?? null };
  }

  /**
   * An update adding back this agency after its văn thư returned the document (02): the sender sends it
   * again (gửi lại). The document is received again — status `received`, awaiting the văn thư, who accepts
   * it (số đến, 03, 05) or returns it again (02) — recorded as an update accepted automatically (15, its
   * metadata changes applied) and answered 01 like a new arrival. Null when the document is not returned.
   */
  private async sentAgain(repos: ExchangeRepositories, request: ReceivedRequest, documentId: string): Promise<InboxOutcome | null> {
    const doc = await repos.documents.findForUpdate(request.recipient, documentId);
    const received = doc?.status === 'returned' ? await repos.exchange.findReceivedByDocument(request.recipient, documentId) : null;
    if (!received) return null;
    const { id, effect } = await this.acceptAutomatically(repos, request, documentId, 'Tự động: văn bản đã trả lại được gửi lại, chờ tiếp nhận');
    await this.emitter.emitFor(repos, received, request.from, request.now, { code: '01' });
    return { request: id, status: '01', documentId, reopened: effect.reopened ?? null };
  }

  /** Records the update as a request accepted without the văn thư, applies it, and answers 15. */
  private async acceptAutomatically(repos: ExchangeRepositories, request: ReceivedRequest, documentId: string, answer: string): Promise<{ id: string; effect: Record<string, unknown> }> {
    const { header, business } = request.parsed;
    const sender = header.from.organId;
    const id = randomUUID();
    const row = {
      id, agencyOrganId: request.recipient, senderOrganId: sender, edxmlDocumentId: header.documentId, businessDocType: 2, targetEdxmlDocumentId: header.documentId,
      documentId, replacementDocumentId: null, reason: business?.businessDocReason ?? null, messageId: request.messageId, packageSha256: request.packageSha256, header, business: business ?? null, sentAt: sentAtOf(request),
    };
    if (await repos.exchange.insertRequest(row) === 'duplicate') throw new DomainError('axis.duplicate');
    await repos.exchange.answerRequest(id, 'accepted', answer);
    const accepted = { ...row, state: 'accepted' as const, answer, receivedAt: request.now.toISOString(), previousDocumentStatus: null };
    const effect = await applyAcceptedRequest(repos, request.recipient, accepted, documentId, request.axisUser);
    await repos.audit.append(request.recipient, requestAnswerEvent(accepted, request.axisUser, true, answer, { automatic: true, ...effect }));
    await this.emitter.emit(repos, { from: request.from, original: header, code: '15', at: request.now, description: describeStatus('15', null, answer), documentId, to: sender });
    return { id, effect };
  }

  /**
   * A replacement is a new document (its own DocumentId): stored as `received` like any new one (01), and
   * a request to replace the earlier document (ReplacementInfo/DocumentId) is recorded for the văn thư.
   */
  private async receiveReplacement(repos: ExchangeRepositories, request: ReceivedRequest): Promise<InboxOutcome> {
    const { header, business } = request.parsed;
    const sender = header.from.organId;
    const earlier = await repos.exchange.findReceived(request.recipient, sender, header.documentId, 3);
    if (earlier) {
      await this.emitter.emit(repos, { from: request.from, original: header, code: earlier.lastStatus, at: request.now, description: describeStatus(earlier.lastStatus), documentId: earlier.documentId, to: sender });
      return { duplicateOf: earlier.documentId, status: earlier.lastStatus };
    }
    const stored = await request.storeAsNew();
    const newDocumentId = typeof stored.documentId === 'string' ? stored.documentId : null;
    // The replaced document: the ReplacementInfo naming us (or naming nobody), else the first one.
    const infos = business?.replacementInfoList ?? [];
    const info = infos.find((i) => i.organIds.includes(request.recipient as never)) ?? infos.find((i) => i.organIds.length === 0) ?? infos[0];
    const target = info ? await repos.exchange.findReceivedDocument(request.recipient, sender, info.documentId) : null;
    const id = randomUUID();
    const inserted = await repos.exchange.insertRequest({
      id, agencyOrganId: request.recipient, senderOrganId: sender, edxmlDocumentId: header.documentId, businessDocType: 3,
      targetEdxmlDocumentId: info?.documentId ?? null, documentId: target?.documentId ?? null,
      replacementDocumentId: newDocumentId, reason: business?.businessDocReason ?? null, messageId: request.messageId, packageSha256: '', header, business: business ?? null, sentAt: sentAtOf(request),
    });
    if (inserted === 'duplicate') throw new DomainError('axis.duplicate'); // a concurrent consumer won: roll back, redelivered as a duplicate
    return { ...stored, request: id };
  }

  /** Records a request about a document this node has (or not: recorded anyway, the văn thư sees it) and answers 01. */
  private async record(repos: ExchangeRepositories, request: ReceivedRequest, packageSha256: string): Promise<InboxOutcome> {
    const { header, business } = request.parsed;
    const sender = header.from.organId;
    if (!packageSha256) {
      const earlier = await repos.exchange.findRequest(request.recipient, sender, header.documentId, request.businessDocType);
      if (earlier) return this.resendAnswer(repos, request, earlier);
    }
    const target = await repos.exchange.findReceivedDocument(request.recipient, sender, header.documentId);
    const id = randomUUID();
    const inserted = await repos.exchange.insertRequest({
      id, agencyOrganId: request.recipient, senderOrganId: sender, edxmlDocumentId: header.documentId, businessDocType: request.businessDocType,
      targetEdxmlDocumentId: header.documentId, documentId: target?.documentId ?? null, replacementDocumentId: null, reason: business?.businessDocReason ?? null, messageId: request.messageId,
      packageSha256, header, business: business ?? null, sentAt: sentAtOf(request),
    });
    if (inserted === 'duplicate') throw new DomainError('axis.duplicate');
    await this.emitter.emit(repos, { from: request.from, original: header, code: '01', at: request.now, description: describeStatus('01'), documentId: target?.documentId ?? null, to: sender });
    return { request: id, status: '01' };
  }

  private async resendAnswer(repos: ExchangeRepositories, request: ReceivedRequest, earlier: { id: string; state: string; answer: string | null; documentId: string | null; header: unknown }): Promise<InboxOutcome> {
    const code = earlier.state === 'accepted' ? '15' : earlier.state === 'refused' ? '16' : '01';
    await this.emitter.emit(repos, { from: request.from, original: earlier.header as DocumentHeader, code, at: request.now, description: describeStatus(code, null, earlier.answer), documentId: earlier.documentId, to: request.parsed.header.from.organId });
    return { duplicateRequest: earlier.id, status: code };
  }
}
