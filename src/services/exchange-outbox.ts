// Sending again what the axis refused for good (issue 5 item 3: "failures retry with backoff and end in a
// visible failed state with the reason"). An outbox entry fails once its retry schedule is spent — the
// broker unreachable for hours, say — and nothing sends it after that. Here the văn thư sends a failed
// document again, and the văn thư or the quản trị everything the agency failed to send (documents and
// status messages): the entries go back to pending, due now, with the same message ids, so a recipient
// that had in fact received one dedupes it. Refused while the directory is invalid (fail closed).
import { authorize, type Actor } from '../domain/actor.ts';
import { DomainError } from '../domain/errors.ts';
import type { ExchangeUnitOfWork, FailedOutboxEntry } from '../domain/exchange.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import type { DirectoryHolder } from './directory-service.ts';

export interface RetriedEntries {
  readonly retried: number;
  readonly entries: ReadonlyArray<{ readonly recipientOrganId: string; readonly messageType: string; readonly documentId: string | null }>;
}

export class ExchangeOutboxService {
  constructor(
    private readonly uow: ExchangeUnitOfWork,
    private readonly directory: DirectoryHolder,
    private readonly clock: Clock,
    private readonly afterCommit: () => void = () => {},
  ) {}

  /** Gửi lại: the failed entries of one outgoing document (its package, a recall, an update). */
  async retryDocument(actor: Actor, organId: string, documentId: string): Promise<RetriedEntries> {
    authorize(actor, 'outgoing.issue', organId);
    return this.retry(actor, organId, documentId);
  }

  /** What the agency failed to send, newest first: documents and status messages, with the last error. */
  async listFailed(actor: Actor, organId: string, limit = 100): Promise<FailedOutboxEntry[]> {
    authorize(actor, 'exchange.outbox', organId);
    return this.uow.run((repos) => repos.outbox.listFailed(organId, limit));
  }

  /** Every failed entry the agency sent: documents and status messages (01–06, 15/16, 02). */
  async retryAll(actor: Actor, organId: string): Promise<RetriedEntries> {
    authorize(actor, 'exchange.outbox', organId);
    return this.retry(actor, organId, null);
  }

  /** `documentId` null: every failed entry of the agency; else that outgoing document's (which must exist). */
  private async retry(actor: Actor, organId: string, documentId: string | null): Promise<RetriedEntries> {
    this.directory.requireValid(this.clock.now());
    const result = await this.uow.run(async (repos) => {
      if (documentId !== null) {
        const doc = await repos.documents.find(organId, documentId);
        if (!doc || doc.direction !== 'outgoing') throw new DomainError('registry.document_not_found');
      }
      const entries = await repos.outbox.retryFailed(organId, documentId);
      if (entries.length === 0) throw new DomainError('exchange.nothing_failed');
      await repos.audit.append(organId, {
        actor: actor.userId, action: 'exchange.outbox.retry', subjectType: documentId ? 'document' : 'agency', subjectId: documentId ?? organId,
        after: { entries: entries.map((e) => `${e.messageType} → ${e.recipientOrganId}`) },
      });
      return { retried: entries.length, entries };
    });
    this.afterCommit();
    return result;
  }
}
