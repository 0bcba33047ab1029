// The văn thư's and leader's actions on a document received over the axis, each emitting its status
// message to the sender in the same transaction (issue 5 item 5, DOMAIN.md §4): accept = register with
// the next số đến of the shared paper+electronic series (Nghị định 30, art. 22) → 03 (carrying the số
// đến) then 05; return with a reason → 02 (art. 17: a document failing checks or sent to the wrong
// recipient is returned through the system); assignment → 04; completion → 06.
import { authorize, type Actor } from '../domain/actor.ts';
import type { RegistryDocument } from '../domain/document.ts';
import { findAgency } from '../domain/directory.ts';
import { DomainError } from '../domain/errors.ts';
import type { ExchangeRepositories, ExchangeUnitOfWork, QuarantinedPackage, ReceivedPackage, RecallRequest } from '../domain/exchange.ts';
import type { DocumentHeader } from '../edxml/model.ts';
import type { OrganId } from '../domain/organ-id.ts';
import { INCOMING_SERIES, registerName } from '../domain/registers.ts';
import { vietnamYear, type Clock } from '../domain/vietnam-time.ts';
import type { Organization } from '../edxml/model.ts';
import type { DirectoryHolder } from './directory-service.ts';
import { describeStatus, type StatusEmitter } from './exchange-status.ts';

export class ExchangeClerkService {
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
      const { registerId, number } = await repos.registers.nextNumber({ agencyOrganId: organId, direction: 'incoming', seriesKey: INCOMING_SERIES, year, name: registerName('incoming', INCOMING_SERIES, year) });
      const registered = await repos.documents.markArrived(documentId, { registerId, registerYear: year, arrivalNumber: number });
      await repos.audit.append(organId, { actor: actor.userId, action: 'incoming.register', subjectType: 'document', subjectId: documentId, after: { arrivalNumber: number, registerId } });
      await this.emitter.emitFor(repos, received, from, '03', now, describeStatus('03', number));
      await this.emitter.emitFor(repos, received, from, '05', now);
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
      await this.emitter.emitFor(repos, received, from, '02', now, describeStatus('02', null, reason.trim()));
      return returned;
    });
    this.afterCommit();
    return document;
  }

  /** Progress of a registered document: assigned (04) or completed (06), told to the sender. */
  async reportProgress(actor: Actor, organId: string, documentId: string, step: 'assigned' | 'completed'): Promise<RegistryDocument> {
    authorize(actor, step === 'assigned' ? 'assignment.create' : 'incoming.complete', organId);
    const now = this.clock.now();
    const from = this.from(organId, now);
    const document = await this.uow.run(async (repos) => {
      const doc = await repos.documents.findForUpdate(organId, documentId);
      const received = doc ? await repos.exchange.findReceivedByDocument(organId, documentId) : null;
      if (!doc || !received) throw new DomainError('registry.document_not_found');
      if (doc.status === 'received' || doc.status === 'returned' || doc.status === 'recalled') throw new DomainError('exchange.not_received', { details: [{ field: 'status', message: doc.status }] });
      const updated = await repos.documents.setStatus(documentId, step);
      await repos.audit.append(organId, { actor: actor.userId, action: `incoming.${step}`, subjectType: 'document', subjectId: documentId, after: { status: step } });
      await this.emitter.emitFor(repos, received, from, step === 'assigned' ? '04' : '06', now);
      return updated;
    });
    this.afterCommit();
    return document;
  }

  /**
   * Answers a recall request (Nghị định 30, art. 17): accepted → the incoming document is cancelled
   * (status `recalled`, its metadata and the request kept) and 15 goes back; refused → 16 with the reason.
   */
  async answerRecall(actor: Actor, organId: string, requestId: string, accept: boolean, reason?: string): Promise<RecallRequest> {
    authorize(actor, 'incoming.register', organId);
    const now = this.clock.now();
    const from = this.from(organId, now);
    const answered = await this.uow.run(async (repos) => {
      const request = await repos.exchange.findRequestForUpdate(organId, requestId);
      if (!request) throw new DomainError('registry.document_not_found', { details: [{ field: 'requestId', message: requestId }] });
      if (request.state !== 'pending') throw new DomainError('exchange.not_received', { details: [{ field: 'state', message: request.state }] });
      const answer = reason?.trim() || null;
      if (accept && request.documentId) {
        await repos.documents.findForUpdate(organId, request.documentId);
        await repos.documents.setStatus(request.documentId, 'recalled');
      }
      await repos.exchange.answerRequest(request.id, accept ? 'accepted' : 'refused', answer);
      await repos.audit.append(organId, { actor: actor.userId, action: accept ? 'incoming.recall_accept' : 'incoming.recall_refuse', subjectType: 'document', subjectId: request.documentId ?? request.id, after: { requestId: request.id, reason: request.reason, answer } });
      const code = accept ? '15' : '16';
      await this.emitter.emit(repos, { from, original: request.header as DocumentHeader, code, at: now, description: describeStatus(code, null, answer), documentId: request.documentId, to: request.senderOrganId });
      return { ...request, state: accept ? 'accepted' as const : 'refused' as const, answer };
    });
    this.afterCommit();
    return answered;
  }

  async recallRequests(actor: Actor, organId: string, limit = 100): Promise<RecallRequest[]> {
    authorize(actor, 'incoming.register', organId);
    return this.uow.run((repos) => repos.exchange.listRequests(organId, limit));
  }

  async quarantine(actor: Actor, organId: string, limit = 100): Promise<QuarantinedPackage[]> {
    authorize(actor, 'incoming.register', organId);
    return this.uow.run((repos) => repos.exchange.listQuarantine(organId, limit));
  }

  private async awaiting(repos: ExchangeRepositories, organId: string, documentId: string): Promise<{ doc: RegistryDocument; received: ReceivedPackage }> {
    const doc = await repos.documents.findForUpdate(organId, documentId);
    if (!doc || doc.direction !== 'incoming') throw new DomainError('registry.document_not_found');
    const received = await repos.exchange.findReceivedByDocument(organId, documentId);
    if (!received || doc.status !== 'received') throw new DomainError('exchange.not_received', { details: [{ field: 'status', message: doc.status }] });
    return { doc, received };
  }

  /** Statuses are sent only with a valid directory (fail closed), from the agency as the directory names it. */
  private from(organId: string, now: Date): Organization {
    const directory = this.directory.requireValid(now);
    return { organId: organId as OrganId, organName: findAgency(directory, organId)?.name ?? organId };
  }
}
