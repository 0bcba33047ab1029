import type { Knex } from 'knex';
import { DomainError } from '../domain/errors.ts';
import type { Repositories, UnitOfWork } from '../domain/unit-of-work.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import { KnexAgencyRepository } from './knex-agency-repository.ts';
import { KnexAssignmentRepository, KnexAttachmentRepository } from './knex-attachment-repository.ts';
import { DeferredAuditEntries, KnexAuditLog } from './knex-audit-log.ts';
import { KnexDocumentRepository } from './knex-document-repository.ts';
import { KnexRegisterRepository } from './knex-register-repository.ts';
import { KnexSessionRepository, KnexUserRepository } from './knex-user-repository.ts';
import { KnexSigningKeyRepository } from './knex-signing-key-repository.ts';
import { KnexSignatureReportRepository } from './knex-signing-report-repository.ts';
import { isStalePreparedPlan } from './prepared-statements.ts';

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

/**
 * pg's and knex's errors without a code that mean the connection is gone: a pool that cannot connect, a
 * connection cut mid-statement, and a statement (knex's ROLLBACK after the cut, say) on a client that
 * already failed or was closed.
 */
const UNAVAILABLE_MESSAGE = /Knex: Timeout acquiring a connection|Connection terminated|Client has encountered a connection error and is not queryable|Client was closed and is not queryable/;

/** Which catalogue error a unique violation means, by constraint name. */
const uniqueViolations: Record<string, DomainError['code']> = {
  documents_outgoing_code_unique: 'registry.number_conflict',
  documents_register_number_unique: 'registry.number_conflict',
  documents_arrival_number_unique: 'registry.number_conflict',
  users_username_unique: 'user.duplicate',
  agencies_pkey: 'agency.duplicate',
};

export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e.code === '23503' && (e.constraint ?? e.message ?? '').includes('agency_organ_id')) {
    return new DomainError('agency.not_found', { cause: error });
  }
  if (e.code === '23505') {
    const constraint = e.constraint ?? Object.keys(uniqueViolations).find((c) => e.message?.includes(c));
    const code = constraint ? uniqueViolations[constraint] : undefined;
    if (code) return new DomainError(code, { cause: error });
  }
  if ((e.code && UNAVAILABLE.has(e.code)) || UNAVAILABLE_MESSAGE.test(e.message ?? '')) {
    return new DomainError('db.unavailable', { cause: error });
  }
  return error;
}

/**
 * Runs `work` in one transaction, retrying it on a deadlock or serialisation failure (the work must be
 * safe to repeat: it is, since its effects were rolled back), and turns database errors into catalogue
 * errors.
 */
export async function runTransaction<T>(knex: Knex, work: (trx: Knex.Transaction) => Promise<T>, maxAttempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await knex.transaction(work);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (((code && RETRYABLE.has(code)) || isStalePreparedPlan(error)) && attempt < maxAttempts) continue;
      throw translateDatabaseError(error);
    }
  }
}

export class KnexUnitOfWork implements UnitOfWork {
  constructor(private readonly knex: Knex, private readonly clock: Clock, private readonly maxAttempts = 5) {}

  /**
   * Repositories over a transaction, or over the pool (each statement its own transaction). With
   * `deferredAudit`, audit entries wait for its flush (done by run() just before the commit).
   */
  repositories(trx: Knex, deferredAudit?: DeferredAuditEntries): Repositories {
    return {
      agencies: new KnexAgencyRepository(trx),
      users: new KnexUserRepository(trx),
      sessions: new KnexSessionRepository(trx),
      documents: new KnexDocumentRepository(trx),
      registers: new KnexRegisterRepository(trx),
      attachments: new KnexAttachmentRepository(trx),
      assignments: new KnexAssignmentRepository(trx),
      audit: new KnexAuditLog(trx, this.clock, deferredAudit),
      signingKeys: new KnexSigningKeyRepository(trx),
      signatureReports: new KnexSignatureReportRepository(trx),
    };
  }

  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    return runTransaction(this.knex, async (trx) => {
      const audit = new DeferredAuditEntries();
      const result = await work(this.repositories(trx, audit));
      await audit.flush(trx);
      return result;
    }, this.maxAttempts);
  }
}
