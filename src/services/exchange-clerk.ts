// The văn thư's and leader's actions on a document received over the axis, each emitting its status
// message to the sender in the same transaction (issue 5 item 5, DOMAIN.md §4): accept = register with
// the next số đến of the shared paper+electronic series (Nghị định 30, art. 22) → 03 (carrying the số
// đến) then 05; return with a reason → 02 (art. 17: a document failing checks or sent to the wrong
// recipient is returned through the system); assignment → 04; completion → 06 (also for AssignmentService,
// as its ProgressReporter). And the answers to the sender's requests (issue 5 item 6): recall, update,
// replacement → 15 (accepted, applied with the history kept) or 16 (refused, nothing changes).
import { authorize, type Actor } from '../domain/actor.ts';
import type { RegistryDocument } from '../domain/document.ts';
import { findAgency } from '../domain/directory.ts';
import { DomainError } from '../domain/errors.ts';
import { type ExchangeRepositories, type ExchangeRequest, type ExchangeUnitOfWork, type MetadataHistoryEntry, type ProgressReporter, type ProgressStep, type ReceivedRecord } from '../domain/exchange.ts';
import type { DocumentHeader, Organization } from '../edxml/model.ts';
import type { OrganId } from '../domain/organ-id.ts';
import { INCOMING_SERIES, registerName } from '../domain/registers.ts';
import { vietnamYear, type Clock } from '../domain/vietnam-time.ts';
import type { DirectoryHolder } from './directory-service.ts';
import { applyAcceptedRequest, requestAnswerEvent } from './exchange-request-effects.ts';
import { describeStatus, type StatusEmitter } from './exchange-status.ts';

export class ExchangeClerkService implements ProgressReporter {
  constructor(
    private readonly uow: ExchangeUnitOfWork,
    private readonly directory: DirectoryHolder,
    private readonly emitter: StatusEmitter,
    private readonly clock: Clock,
    private readonly afterCommit: () => void = () => {},
  ) {}

  /** Tiếp nhận: vào sổ with the next số đến, then 03 (with the số đến) and 05 to the sender. */
  async accept(actor: Actor, organId: string, documentId: string): Promise<RegistryDocument> {
    authorize(actor, 'incoming.register', organId);
    const now = this.clock.now();
    const from = this.from(organId, now);
    const document = await this.uow.run(async (repos) => {
      const { received } = await this.awaiting(repos, organId, documentId);
      const year = vietnamYear(now);
      // Counter row locked until commit: a rollback gives the number back (gapless, art. 22).
      const registered = await repos.documents.markArrived(documentId, { agencyOrganId: organId, direction: 'incoming', seriesKey: INCOMING_SERIES, year, name: registerName('incoming', INCOMING_SERIES, year) });
      const number = registered.metadata.arrivalNumber as number;
      await repos.audit.append(organId, { actor: actor.userId, action: 'incoming.register', subjectType: 'document', subjectId: documentId, after: { arrivalNumber: number, registerId: registered.registerId } });
      await this.emitter.emitFor(repos, received, from, now, { code: '03', description: describeStatus('03', number) }, { code: '05' });
      return registered;
    });
    this.afterCommit();
    return document;
  }

  /** Trả lại: the document goes back to the sender with a reason (02). */
  async returnDocument(actor: Actor, organId: string, documentId: string, reason: string): Promise<RegistryDocument> {
    authorize(actor, 'incoming.register', organId);
    if (!reason.trim()) throw new DomainError('request.invalid', { details: [{ field: 'reason', message: 'a reason is required to return a document (DOMAIN.md §4, status 02)' }] });
    const now = this.clock.now();
    const from = this.from(organId, now);
    const document = await this.uow.run(async (repos) => {
      const { received } = await this.awaiting(repos, organId, documentId);
      const returned = await repos.documents.setStatus(documentId, 'returned');
      await repos.audit.append(organId, { actor: actor.userId, action: 'incoming.return', subjectType: 'document', subjectId: documentId, after: { reason } });
      await this.emitter.emitFor(repos, received, from, now, { code: '02', description: describeStatus('02', null, reason.trim()) });
      return returned;
    });
    this.afterCommit();
    return document;
  }

  /** Progress of a registered document: assigned (04) or completed (06), told to the sender. */
  async reportProgress(actor: Actor, organId: string, documentId: string, step: ProgressStep): Promise<RegistryDocument> {
    authorize(actor, step === 'assigned' ? 'assignment.create' : 'incoming.complete', organId);
    const document = await this.uow.run(async (repos) => {
      const found = await repos.exchange.findWithReceiptForUpdate(organId, documentId);
      const doc = found?.document;
      const received = found?.received;
      if (!doc || !received) throw new DomainError('registry.document_not_found');
      if (!HANDLED.includes(doc.status)) throw new DomainError('exchange.not_received', { details: [{ field: 'status', message: doc.status }] });
      const updated = await repos.documents.setStatus(documentId, step);
      await repos.audit.append(organId, { actor: actor.userId, action: `incoming.${step}`, subjectType: 'document', subjectId: documentId, after: { status: step } });
      await this.reportProgressIn(repos, organId, documentId, step);
      return updated;
    });
    this.afterCommit();
    return document;
  }

  /** ProgressReporter: 04 or 06 to the sender of an electronically received document, in the caller's transaction. */
  async reportProgressIn(repos: ExchangeRepositories, organId: string, documentId: string, step: ProgressStep): Promise<boolean> {
    const received = await repos.exchange.findReceivedByDocument(organId, documentId);
    if (!received) return false;
    const now = this.clock.now();
    await this.emitter.emitFor(repos, received, this.from(organId, now), now, { code: step === 'assigned' ? '04' : '06' });
    return true;
  }

  /**
   * Answers a request of the sender (Nghị định 30, art. 17), 15 if accepted, 16 with the reason if refused.
   * Accepted: a recall cancels the incoming document (status `recalled`, its metadata and the request
   * kept); an update changes its metadata with the previous values kept (metadata history), or, when it
   * removes this agency from the recipients, cancels it like a recall; a replacement marks the earlier
   * document `replaced` (kept; the request links it to the new one, which the văn thư registers as usual).
   */
  async answerRequest(actor: Actor, organId: string, requestId: string, accept: boolean, reason?: string): Promise<ExchangeRequest> {
    authorize(actor, 'incoming.register', organId);
    const now = this.clock.now();
    const from = this.from(organId, now);
    const answered = await this.uow.run(async (repos) => {
      const request = await repos.exchange.findRequestForUpdate(organId, requestId);
      if (!request) throw new DomainError('registry.document_not_found', { details: [{ field: 'requestId', message: requestId }] });
      if (request.state !== 'pending') throw new DomainError('exchange.request_answered', { details: [{ field: 'state', message: request.state }] });
      const answer = reason?.trim() || null;
      let effect: Record<string, unknown> = {};
      if (accept && request.documentId) effect = await applyAcceptedRequest(repos, organId, request, request.documentId, actor.userId);
      await repos.exchange.answerRequest(request.id, accept ? 'accepted' : 'refused', answer);
      await repos.audit.append(organId, requestAnswerEvent(request, actor.userId, accept, answer, effect));
      const code = accept ? '15' : '16';
      await this.emitter.emit(repos, { from, original: request.header as DocumentHeader, code, at: now, description: describeStatus(code, null, answer), documentId: request.documentId ?? request.replacementDocumentId, to: request.senderOrganId });
      return { ...request, state: accept ? 'accepted' as const : 'refused' as const, answer };
    });
    this.afterCommit();
    return answered;
  }

  /** Recall, update and replacement requests received, newest first. */
  async requests(actor: Actor, organId: string, limit = 100): Promise<ExchangeRequest[]> {
    authorize(actor, 'incoming.register', organId);
    return this.uow.run((repos) => repos.exchange.listRequests(organId, limit));
  }

  /** The previous values of a document's metadata changed by updates (sent or received), oldest first. */
  async metadataHistory(actor: Actor, organId: string, documentId: string): Promise<MetadataHistoryEntry[]> {
    authorize(actor, 'document.read', organId);
    return this.uow.run(async (repos) => {
      if (!(await repos.documents.find(organId, documentId))) throw new DomainError('registry.document_not_found');
      return repos.exchange.metadataHistory(organId, documentId);
    });
  }

  private async awaiting(repos: ExchangeRepositories, organId: string, documentId: string): Promise<{ doc: RegistryDocument; received: ReceivedRecord }> {
    const found = await repos.exchange.findWithReceiptForUpdate(organId, documentId);
    const doc = found?.document;
    if (!doc || doc.direction !== 'incoming') throw new DomainError('registry.document_not_found');
    const received = found.received;
    if (!received || doc.status !== 'received') throw new DomainError('exchange.not_received', { details: [{ field: 'status', message: doc.status }] });
    return { doc, received };
  }

  /** Statuses are sent only with a valid directory (fail closed), from the agency as the directory names it. */
  private from(organId: string, now: Date): Organization {
    const directory = this.directory.requireValid(now);
    return { organId: organId as OrganId, organName: findAgency(directory, organId)?.name ?? organId };
  }
}

/** A registered electronic document whose handling can progress (04/06). */
const HANDLED: readonly string[] = ['registered', 'assigned', 'in_progress', 'completed'];
