import type { Role } from './roles.ts';

export interface User {
  readonly id: string;
  readonly username: string;
  readonly agencyOrganId: string;
  readonly unitId: string | null;
  readonly fullName: string;
  readonly position: string | null;
  readonly roles: readonly Role[];
  readonly disabled: boolean;
}

export interface StoredCredentials {
  readonly user: User;
  readonly passwordHash: string;
  readonly failedLogins: number;
}

export interface UserRepository {
  findById(id: string): Promise<User | null>;
  findCredentials(username: string): Promise<StoredCredentials | null>;
  listByAgency(agencyOrganId: string): Promise<User[]>;
  insert(user: User, passwordHash: string): Promise<void>;
  recordLogin(userId: string, succeeded: boolean): Promise<void>;
  setDisabled(userId: string, disabled: boolean): Promise<void>;
}

export type SessionKind = 'cookie' | 'bearer';

export interface SessionRepository {
  insert(session: { tokenHash: string; userId: string; kind: SessionKind; expiresAt: Date }): Promise<void>;
  findUser(tokenHash: string, now: Date): Promise<User | null>;
  remove(tokenHash: string): Promise<void>;
}

/** A memory-hard KDF (scrypt) behind a port so that tests can use cheap parameters. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}
