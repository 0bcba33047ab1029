// Phân công (DOMAIN.md §1, Nghị định 30 art. 24): one chủ trì, any phối hợp and để biết, deadlines.
import { randomUUID } from 'node:crypto';
import { authorize, type Actor } from '../domain/actor.ts';
import { DomainError } from '../domain/errors.ts';
import type { Assignment, AssignmentKind } from '../domain/registry-ports.ts';
import type { UnitOfWork } from '../domain/unit-of-work.ts';
import type { Clock } from '../domain/vietnam-time.ts';

export interface AssignmentRequest {
  readonly kind: AssignmentKind;
  readonly unitId?: string | null;
  readonly userId?: string | null;
  readonly deadline?: string | null;
  readonly note?: string | null;
}

export class AssignmentService {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async assign(actor: Actor, organId: string, documentId: string, requests: readonly AssignmentRequest[]): Promise<Assignment[]> {
    authorize(actor, 'assignment.create', organId);
    if (requests.filter((r) => r.kind === 'chu_tri').length > 1) {
      throw new DomainError('request.invalid', { details: [{ field: 'assignments', message: 'at most one chủ trì' }] });
    }
    return this.uow.run(async (repos) => {
      const document = await repos.documents.findForUpdate(organId, documentId);
      if (!document || document.direction !== 'incoming') throw new DomainError('registry.document_not_found');
      if (!['registered', 'assigned', 'in_progress'].includes(document.status)) throw new DomainError('registry.invalid_state');
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
      return created;
    });
  }
}
