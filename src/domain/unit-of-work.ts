import type { AgencyRepository } from './agency.ts';
import type { AuditLog } from './audit.ts';
import type { AssignmentRepository, AttachmentRepository, DocumentRepository, RegisterRepository } from './registry-ports.ts';
import type { SessionRepository, UserRepository } from './user.ts';
import type { SignatureReportRepository, SigningKeyRepository } from './signing-keys.ts';

/** The repositories bound to one database transaction. */
export interface Repositories {
  readonly agencies: AgencyRepository;
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly documents: DocumentRepository;
  readonly registers: RegisterRepository;
  readonly attachments: AttachmentRepository;
  readonly assignments: AssignmentRepository;
  readonly audit: AuditLog;
  readonly signingKeys: SigningKeyRepository;
  readonly signatureReports: SignatureReportRepository;
}

/**
 * Runs `work` in one transaction: everything commits together or nothing does. Transient conflicts
 * (deadlock, serialisation failure) are retried by the implementation.
 */
export interface UnitOfWork {
  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
}
