// Log in with username + password; a random token is handed out (cookie for the UI, bearer for the API)
// and only its SHA-256 is stored.
import { createHash, randomBytes } from 'node:crypto';
import type { Actor } from '../domain/actor.ts';
import { DomainError } from '../domain/errors.ts';
import type { UnitOfWork } from '../domain/unit-of-work.ts';
import type { PasswordHasher, SessionKind, User } from '../domain/user.ts';
import type { Clock } from '../domain/vietnam-time.ts';

const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

export const actorOf = (user: User): Actor => ({ userId: user.id, username: user.username, agencyOrganId: user.agencyOrganId, roles: user.roles });

export interface AuthSettings {
  readonly sessionTtlMinutes: number;
  readonly tokenTtlMinutes: number;
  readonly maxLoginAttempts: number;
}

export class AuthService {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly uow: UnitOfWork, private readonly hasher: PasswordHasher, private readonly clock: Clock, private readonly settings: AuthSettings) {}

  async login(username: string, password: string, kind: SessionKind): Promise<{ token: string; user: User; expiresAt: Date }> {
    const credentials = await this.uow.run((repos) => repos.users.findCredentials(username));
    if (!credentials) {
      // Same work as for a real account, so that response time does not reveal which usernames exist.
      this.dummyHash ??= this.hasher.hash('not-a-password');
      await this.hasher.verify(password, await this.dummyHash);
      throw new DomainError('auth.invalid_credentials');
    }
    const { user } = credentials;
    if (user.disabled || credentials.failedLogins >= this.settings.maxLoginAttempts) throw new DomainError('auth.account_disabled');
    const ok = await this.hasher.verify(password, credentials.passwordHash);
    const token = randomBytes(32).toString('base64url');
    const ttl = kind === 'cookie' ? this.settings.sessionTtlMinutes : this.settings.tokenTtlMinutes;
    const expiresAt = new Date(this.clock.now().getTime() + ttl * 60_000);
    await this.uow.run(async (repos) => {
      await repos.users.recordLogin(user.id, ok);
      if (ok) await repos.sessions.insert({ tokenHash: tokenHash(token), userId: user.id, kind, expiresAt });
      else if (credentials.failedLogins + 1 >= this.settings.maxLoginAttempts) {
        await repos.audit.append(user.agencyOrganId, { actor: 'system', action: 'user.locked', subjectType: 'user', subjectId: user.id, after: { failedLogins: credentials.failedLogins + 1 } });
      }
    });
    if (!ok) throw new DomainError('auth.invalid_credentials');
    return { token, user, expiresAt };
  }

  async authenticate(token: string): Promise<User> {
    const user = await this.uow.run((repos) => repos.sessions.findUser(tokenHash(token), this.clock.now()));
    if (!user) throw new DomainError('auth.session_expired');
    if (user.disabled) throw new DomainError('auth.account_disabled');
    return user;
  }

  async logout(token: string): Promise<void> {
    await this.uow.run((repos) => repos.sessions.remove(tokenHash(token)));
  }
}
