// One transaction spanning the registry repositories, the exchange tables, the outbox and the inbox, so
// that issuing + outbox entries, and storing a received package + its inbox record + status 01, each
// commit together or not at all (DESIGN.md "Exactly-once effect").
import type { Knex } from 'knex';
import type { ExchangeRepositories, ExchangeUnitOfWork } from '../domain/exchange.ts';
import { KnexExchangeRepository } from './knex-exchange-repository.ts';
import { KnexInboxStore } from './knex-inbox-store.ts';
import { KnexOutboxStore } from './knex-outbox-store.ts';
import { DeferredAuditEntries } from './knex-audit-log.ts';
import { runTransaction, translateDatabaseError, type KnexUnitOfWork } from './knex-unit-of-work.ts';

export class KnexExchangeUnitOfWork implements ExchangeUnitOfWork {
  private readonly outbox: KnexOutboxStore;
  private readonly inbox = new KnexInboxStore();
  /** The transaction behind each repositories object handed out, for savepoints. */
  private readonly transactions = new WeakMap<ExchangeRepositories, { trx: Knex.Transaction; audit: DeferredAuditEntries }>();

  constructor(private readonly knex: Knex, private readonly registry: KnexUnitOfWork, private readonly maxAttempts = 5) {
    this.outbox = new KnexOutboxStore(knex);
  }

  repositories(trx: Knex.Transaction, audit: DeferredAuditEntries): ExchangeRepositories {
    const repos: ExchangeRepositories = {
      ...this.registry.repositories(trx, audit),
      exchange: new KnexExchangeRepository(trx),
      outbox: { enqueue: (entry) => this.outbox.enqueue(trx, entry), retryFailed: (sender, documentId) => this.outbox.retryFailed(trx, sender, documentId),
        listFailed: (sender, limit) => this.outbox.listFailed(trx, sender, limit),
      },
      inbox: {
        find: (recipient, messageId) => this.inbox.find(trx, recipient, messageId), findMany: (keys) => this.inbox.findMany(trx, keys),
        record: (record) => this.inbox.record(trx, record), recordMany: (records) => this.inbox.recordMany(trx, records),
      },
    };
    this.transactions.set(repos, { trx, audit });
    return repos;
  }

  run<T>(work: (repos: ExchangeRepositories) => Promise<T>): Promise<T> {
    return runTransaction(this.knex, async (trx) => {
      const audit = new DeferredAuditEntries();
      const result = await work(this.repositories(trx, audit));
      await audit.flush(trx); // the audit entries last: the agency's chain head is locked only until the commit
      return result;
    }, this.maxAttempts);
  }

  /** Runs `work` under a SAVEPOINT of the transaction behind `repos`: rolled back alone when it throws. */
  async savepoint<T>(repos: ExchangeRepositories, work: (repos: ExchangeRepositories) => Promise<T>): Promise<T> {
    const parent = this.transactions.get(repos);
    if (!parent) throw new Error('savepoint: these repositories are not from a transaction of this unit of work');
    const audit = parent.audit.child();
    try {
      const result = await parent.trx.transaction((nested) => work(this.repositories(nested, audit)));
      parent.audit.adopt(audit); // released: its audit entries commit with the transaction
      return result;
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}
