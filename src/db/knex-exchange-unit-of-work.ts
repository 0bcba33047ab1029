// One transaction spanning the registry repositories, the exchange tables, the outbox and the inbox, so
// that issuing + outbox entries, and storing a received package + its inbox record + status 01, each
// commit together or not at all (DESIGN.md "Exactly-once effect").
import type { Knex } from 'knex';
import { bytesPayload } from '../domain/axis-transport.ts';
import type { ExchangeRepositories, ExchangeUnitOfWork } from '../domain/exchange.ts';
import type { NewOutboxEntry, OutboxEntry, OutboxHandOff } from '../domain/outbox.ts';
import { KnexExchangeRepository } from './knex-exchange-repository.ts';
import { KnexInboxStore } from './knex-inbox-store.ts';
import { KnexOutboxStore } from './knex-outbox-store.ts';
import { DeferredAuditEntries } from './knex-audit-log.ts';
import { runTransaction, translateDatabaseError, type KnexUnitOfWork } from './knex-unit-of-work.ts';

/** The outbox entries a transaction (or a savepoint of it) wrote for the hand-off, given to it at the commit. */
class HandedOffEntries {
  private readonly entries: OutboxEntry[] = [];
  /** An entry was written that is not handed off: the relay must claim it. */
  private claim = false;

  constructor(readonly handOff: OutboxHandOff | undefined) {}

  /** The lease to write `entry` with, when it is handed off (packages kept in the row; not those in the blob store). */
  leaseFor(entry: NewOutboxEntry): Date | undefined {
    return this.handOff && 'package' in entry ? this.handOff.leaseUntil() : undefined;
  }

  /** Records an entry written with the lease `leaseFor` gave (none: it waits for a claim). */
  written(entry: NewOutboxEntry, lease: Date | undefined): void {
    if (lease && 'package' in entry) this.entries.push({ id: entry.id, headers: entry.headers, payload: bytesPayload(entry.package), attempts: 0 });
    else this.claim = true;
  }

  child(): HandedOffEntries { return new HandedOffEntries(this.handOff); }

  adopt(child: HandedOffEntries): void {
    this.entries.push(...child.entries.splice(0));
    this.claim ||= child.claim;
  }

  committed(): void {
    if (this.entries.length > 0 || this.claim) this.handOff?.take(this.entries.splice(0), this.claim);
  }
}

interface Transaction {
  readonly trx: Knex.Transaction;
  readonly audit: DeferredAuditEntries;
  readonly handed: HandedOffEntries;
}

export class KnexExchangeUnitOfWork implements ExchangeUnitOfWork {
  private readonly outbox: KnexOutboxStore;
  private readonly inbox = new KnexInboxStore();
  /** The transaction behind each repositories object handed out, for savepoints. */
  private readonly transactions = new WeakMap<ExchangeRepositories, Transaction>();
  private handOff: OutboxHandOff | undefined;

  constructor(private readonly knex: Knex, private readonly registry: KnexUnitOfWork, private readonly maxAttempts = 5) {
    this.outbox = new KnexOutboxStore(knex);
  }

  /** Outbox entries written from now on are published by `handOff` after their commit (undefined: by a claim). */
  handOutboxTo(handOff: OutboxHandOff | undefined): void {
    this.handOff = handOff;
  }

  repositories(trx: Knex.Transaction, audit: DeferredAuditEntries, handed = new HandedOffEntries(undefined)): ExchangeRepositories {
    const enqueue = async (...entries: NewOutboxEntry[]): Promise<void> => {
      const leased = entries.map((entry) => ({ entry, leaseUntil: handed.leaseFor(entry) }));
      await this.outbox.enqueueAll(trx, leased);
      for (const { entry, leaseUntil } of leased) handed.written(entry, leaseUntil);
    };
    const repos: ExchangeRepositories = {
      ...this.registry.repositories(trx, audit),
      exchange: new KnexExchangeRepository(trx),
      outbox: { enqueue, retryFailed: (sender, documentId) => this.outbox.retryFailed(trx, sender, documentId),
        listFailed: (sender, limit) => this.outbox.listFailed(trx, sender, limit),
      },
      inbox: {
        find: (recipient, messageId) => this.inbox.find(trx, recipient, messageId), findMany: (keys) => this.inbox.findMany(trx, keys),
        record: (record) => this.inbox.record(trx, record), recordMany: (records) => this.inbox.recordMany(trx, records),
      },
    };
    this.transactions.set(repos, { trx, audit, handed });
    return repos;
  }

  async run<T>(work: (repos: ExchangeRepositories) => Promise<T>): Promise<T> {
    let handed: HandedOffEntries | undefined;
    const result = await runTransaction(this.knex, async (trx) => {
      const audit = new DeferredAuditEntries();
      handed = new HandedOffEntries(this.handOff); // anew if the transaction is run again
      const result = await work(this.repositories(trx, audit, handed));
      await audit.flush(trx); // the audit entries last: the agency's chain head is locked only until the commit
      return result;
    }, this.maxAttempts);
    handed?.committed();
    return result;
  }

  /** Runs `work` under a SAVEPOINT of the transaction behind `repos`: rolled back alone when it throws. */
  async savepoint<T>(repos: ExchangeRepositories, work: (repos: ExchangeRepositories) => Promise<T>): Promise<T> {
    const parent = this.transactions.get(repos);
    if (!parent) throw new Error('savepoint: these repositories are not from a transaction of this unit of work');
    const audit = parent.audit.child();
    const handed = parent.handed.child();
    try {
      const result = await parent.trx.transaction((nested) => work(this.repositories(nested, audit, handed)));
      parent.audit.adopt(audit); // released: its audit entries commit with the transaction
      parent.handed.adopt(handed);
      return result;
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}
