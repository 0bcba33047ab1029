import type { AssignmentService } from '../services/assignment-service.ts';
import type { AttachmentService } from '../services/attachment-service.ts';
import type { AuditService } from '../services/audit-service.ts';
import type { AuthService } from '../services/auth-service.ts';
import type { RegisterBookService } from '../services/register-book-service.ts';
import type { RegistryService } from '../services/registry-service.ts';
import type { UserService } from '../services/user-service.ts';
import type { KeyCustodyService } from '../services/key-custody-service.ts';
import type { SigningService } from '../services/signing-service.ts';
import type { ExchangeClerkService } from '../services/exchange-clerk.ts';
import type { ExchangeOutboxService } from '../services/exchange-outbox.ts';
import type { ExchangeQuarantineService } from '../services/exchange-quarantine.ts';
import type { ExchangeSendingService } from '../services/exchange-sending.ts';

/** What the HTTP layer drives: services only (STYLE.md import direction). */
export interface HttpDependencies {
  readonly auth: AuthService;
  readonly registry: RegistryService;
  readonly registerBooks: RegisterBookService;
  readonly attachments: AttachmentService;
  readonly assignments: AssignmentService;
  readonly users: UserService;
  readonly audit: AuditService;
  readonly keyCustody: KeyCustodyService;
  readonly signing: SigningService;
  /** Exchange over the axis (docs/exchange.md); routes are absent without it. */
  readonly exchange?: { readonly sending: ExchangeSendingService; readonly clerk: ExchangeClerkService; readonly quarantine: ExchangeQuarantineService; readonly outbox: ExchangeOutboxService };
  readonly health: () => Promise<Record<string, unknown> & { status: 'ok' | 'degraded' }>;
  readonly bodyLimitBytes: number;
  readonly attachmentMaxBytes: number;
  readonly log: (message: string, error?: unknown) => void;
}
