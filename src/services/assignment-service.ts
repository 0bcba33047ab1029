// Phân công (DOMAIN.md §1, Nghị định 30 art. 24): one chủ trì, any phối hợp and để biết, deadlines; then
// completion of the handling. For a document received over the axis the sender is told in the same
// transaction (issue 5 item 5, DOMAIN.md §4): the first assignment emits 04, completion emits 06.
import { randomUUID } from 'node:crypto';
import { authorize, type Actor } from '../domain/actor.ts';
import type { RegistryDocument } from '../domain/document.ts';
import { DomainError } from '../domain/errors.ts';
import type { ExchangeRepositories, ExchangeUnitOfWork, ProgressReporter } from '../domain/exchange.ts';
import type { Assignment, AssignmentKind } from '../domain/registry-ports.ts';
import type { Repositories, UnitOfWork } from '../domain/unit-of-work.ts';
import type { Clock } from '../domain/vietnam-time.ts';

export interface AssignmentRequest {
  readonly kind: AssignmentKind;
  readonly unitId?: string | null;
  readonly userId?: string | null;
  readonly deadline?: string | null;
  readonly note?: string | null;
}

/** The exchange side: its unit of work (registry + exchange tables + outbox in one transaction) and who emits 04/06. */
export interface AssignmentExchange {
  readonly uow: ExchangeUnitOfWork;
  readonly progress: ProgressReporter;
  /** After a commit that may have enqueued a status (wakes the outbox relay). */
  readonly afterCommit: () => void;
}

/** A document whose handling is under way: it can be (re)assigned or completed. */
const IN_HANDLING: readonly string[] = ['registered', 'assigned', 'in_progress'];

export class AssignmentService {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly exchange?: AssignmentExchange) {}

  async assign(actor: Actor, organId: string, documentId: string, requests: readonly AssignmentRequest[]): Promise<Assignment[]> {
    authorize(actor, 'assignment.create', organId);
    if (requests.filter((r) => r.kind === 'chu_tri').length > 1) {
      throw new DomainError('request.invalid', { details: [{ field: 'assignments', message: 'at most one chủ trì' }] });
    }
    return this.inTransaction(async (repos, report) => {
      const document = await this.inHandling(repos, organId, documentId);
      for (const r of requests) {
        if (r.unitId && !(await repos.agencies.findUnit(organId, r.unitId))) throw new DomainError('unit.not_found', { details: [{ field: 'unitId', message: r.unitId }] });
        if (r.userId) {
          const user = await repos.users.findById(r.userId);
          if (!user || user.agencyOrganId !== organId) throw new DomainError('user.not_found', { details: [{ field: 'userId', message: r.userId }] });
        }
      }
      const created = await repos.assignments.insertMany(requests.map((r) => ({ id: randomUUID(), documentId, kind: r.kind, unitId: r.unitId ?? null, userId: r.userId ?? null, deadline: r.deadline ?? null, note: r.note ?? null, assignedBy: actor.userId })));
      for (const a of created) await repos.audit.append(organId, { actor: actor.userId, action: 'assignment.create', subjectType: 'assignment', subjectId: a.id, after: a });
      // Ngày chuyển and Đơn vị hoặc người nhận of the incoming book follow from the routing.
      const units = await repos.agencies.listUnits(organId);
      const lead = created.find((a) => a.kind === 'chu_tri');
      const leadUnit = lead?.unitId ? units.find((u) => u.id === lead.unitId)?.name : undefined;
      const after = await repos.documents.setStatus(documentId, 'assigned', { forwardedAt: this.clock.now(), ...(leadUnit ? { recipientsNote: leadUnit } : {}) });
      await repos.audit.append(organId, { actor: actor.userId, action: 'incoming.assign', subjectType: 'document', subjectId: documentId, before: document, after });
      // 04 once, on the first assignment (a re-assignment is internal routing; the sender already knows).
      if (document.status === 'registered') await report(organId, documentId, 'assigned');
      return created;
    });
  }

  /** Hoàn thành: the handling of the document is finished (06 to the sender of an electronic one). */
  async complete(actor: Actor, organId: string, documentId: string): Promise<RegistryDocument> {
    authorize(actor, 'incoming.complete', organId);
    return this.inTransaction(async (repos, report) => {
      const document = await this.inHandling(repos, organId, documentId);
      const after = await repos.documents.setStatus(documentId, 'completed');
      await repos.audit.append(organId, { actor: actor.userId, action: 'incoming.completed', subjectType: 'document', subjectId: documentId, before: { status: document.status }, after: { status: 'completed' } });
      await report(organId, documentId, 'completed');
      return after;
    });
  }

  private async inHandling(repos: Repositories, organId: string, documentId: string): Promise<RegistryDocument> {
    const document = await repos.documents.findForUpdate(organId, documentId);
    if (!document || document.direction !== 'incoming') throw new DomainError('registry.document_not_found');
    if (!IN_HANDLING.includes(document.status)) throw new DomainError('registry.invalid_state', { details: [{ field: 'status', message: document.status }] });
    return document;
  }

  /** The registry transaction, or — when the exchange is wired — the exchange one, so 04/06 commit with the action. */
  private async inTransaction<T>(work: (repos: Repositories, report: (organId: string, documentId: string, step: 'assigned' | 'completed') => Promise<void>) => Promise<T>): Promise<T> {
    const exchange = this.exchange;
    if (!exchange) return this.uow.run((repos) => work(repos, async () => {}));
    const result = await exchange.uow.run((repos: ExchangeRepositories) => work(repos, async (organId, documentId, step) => { await exchange.progress.reportProgressIn(repos, organId, documentId, step); }));
    exchange.afterCommit();
    return result;
  }
}
