// Packages refused on receipt (issue 5 item 4): kept in quarantine with their report, listed for the văn
// thư and the quản trị, and — where the refusal came from this node's state rather than the package, above
// all an expired directory or a sender not yet in it — run through receipt once more after the cause is
// mended, so that a document that arrived while the node was closed is not lost. Only packages the sender
// was not answered 02 for: a 02 is final for the sender (DOMAIN.md §4), which must send again instead.
import { authorize, type Actor } from '../domain/actor.ts';
import { DomainError, isDomainError } from '../domain/errors.ts';
import { reprocessRefusal, type ExchangeUnitOfWork, type QuarantinedPackage } from '../domain/exchange.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import type { ExchangeReceivingService } from './exchange-receiving.ts';

export class ExchangeQuarantineService {
  constructor(
    private readonly uow: ExchangeUnitOfWork,
    private readonly receiving: ExchangeReceivingService,
    private readonly clock: Clock,
    private readonly afterCommit: () => void = () => {},
  ) {}

  async list(actor: Actor, organId: string, limit = 100): Promise<QuarantinedPackage[]> {
    authorize(actor, 'exchange.quarantine', organId);
    return this.uow.run((repos) => repos.exchange.listQuarantine(organId, limit));
  }

  /**
   * Receipt again, in one transaction with the record of it: the document is stored and answered 01 (or a
   * status applied, or a duplicate answered with the status already given), or the package is refused
   * again — quarantined anew, answered 02 where the sender can now be identified — and this entry says so.
   */
  async reprocess(actor: Actor, organId: string, id: string): Promise<QuarantinedPackage> {
    authorize(actor, 'exchange.quarantine', organId);
    const result = await this.uow.run(async (repos) => {
      const quarantined = await repos.exchange.findQuarantineForUpdate(organId, id);
      if (!quarantined) throw new DomainError('exchange.quarantine_not_found');
      const refusal = reprocessRefusal(quarantined);
      if (refusal) throw new DomainError(refusal, quarantined.reprocessed ? { details: [{ field: 'reprocessedAt', message: quarantined.reprocessed.at }] } : {});
      const outcome = await this.receiving.reprocess(repos, quarantined);
      const reprocessed = { at: this.clock.now().toISOString(), by: actor.userId, outcome };
      await repos.exchange.markQuarantineReprocessed(quarantined.id, reprocessed);
      await repos.audit.append(organId, { actor: actor.userId, action: 'exchange.quarantine.reprocess', subjectType: 'quarantine', subjectId: quarantined.id, before: { reasonCode: quarantined.reasonCode }, after: outcome });
      return { ...quarantined, reprocessed };
    });
    this.afterCommit(); // statuses to send (01, or a 02 now answerable)
    return result;
  }

  /**
   * Every package that can be re-processed (after a directory outage there may be dozens), each in its own
   * transaction as {@link reprocess} does it, oldest first. An entry refused on its own (another user was
   * first) is reported and the rest go on; a cause that refuses them all (the directory still not valid, the
   * database gone) stops the run with its error. Up to `limit` per call.
   */
  async reprocessAll(actor: Actor, organId: string, limit = 500): Promise<{ reprocessed: QuarantinedPackage[]; refused: Array<{ id: string; code: string }> }> {
    authorize(actor, 'exchange.quarantine', organId);
    const candidates = (await this.uow.run((repos) => repos.exchange.listQuarantine(organId, limit))).filter((q) => reprocessRefusal(q) === null).reverse();
    if (candidates.length === 0) throw new DomainError('exchange.nothing_to_reprocess');
    const reprocessed: QuarantinedPackage[] = [];
    const refused: Array<{ id: string; code: string }> = [];
    for (const q of candidates) {
      try {
        reprocessed.push(await this.reprocess(actor, organId, q.id));
      } catch (error) {
        if (!isDomainError(error) || !ENTRY_REFUSALS.has(error.code)) throw error;
        refused.push({ id: q.id, code: error.code });
      }
    }
    return { reprocessed, refused };
  }
}

/** What refuses one entry and not the others: it was re-processed or answered in the meantime. */
const ENTRY_REFUSALS = new Set(['exchange.quarantine_reprocessed', 'exchange.quarantine_answered', 'exchange.quarantine_not_found']);
