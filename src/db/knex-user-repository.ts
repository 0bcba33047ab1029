import type { Knex } from 'knex';
import type { Role } from '../domain/roles.ts';
import type { SessionKind, SessionRepository, StoredCredentials, User, UserRepository } from '../domain/user.ts';

interface UserRow { id: string; username: string; agency_organ_id: string; unit_id: string | null; full_name: string; position: string | null; disabled: boolean; password_hash: string; failed_logins: number; roles: Role[] | null }

const withRoles = (trx: Knex): Knex.QueryBuilder =>
  trx('users as u').select('u.*', trx.raw(`coalesce((SELECT array_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id), '{}') AS roles`));

const toUser = (r: UserRow): User => ({
  id: r.id, username: r.username, agencyOrganId: r.agency_organ_id, unitId: r.unit_id, fullName: r.full_name,
  position: r.position, roles: parseRoles(r.roles), disabled: r.disabled,
});

// pg returns text[] as an array; PGlite may hand back the literal '{a,b}'.
function parseRoles(value: Role[] | string | null): Role[] {
  if (Array.isArray(value)) return value;
  if (!value || value === '{}') return [];
  return value.slice(1, -1).split(',') as Role[];
}

export class KnexUserRepository implements UserRepository {
  constructor(private readonly trx: Knex) {}

  async findById(id: string): Promise<User | null> {
    const row = await withRoles(this.trx).where('u.id', id).first();
    return row ? toUser(row as UserRow) : null;
  }

  async findCredentials(username: string): Promise<StoredCredentials | null> {
    const row = (await withRoles(this.trx).where('u.username', username).first()) as UserRow | undefined;
    return row ? { user: toUser(row), passwordHash: row.password_hash, failedLogins: row.failed_logins } : null;
  }

  async listByAgency(agencyOrganId: string): Promise<User[]> {
    return ((await withRoles(this.trx).where('u.agency_organ_id', agencyOrganId).orderBy('u.username')) as UserRow[]).map(toUser);
  }

  async insert(user: User, passwordHash: string): Promise<void> {
    await this.trx('users').insert({ id: user.id, username: user.username, agency_organ_id: user.agencyOrganId, unit_id: user.unitId, full_name: user.fullName, position: user.position, password_hash: passwordHash, disabled: user.disabled });
    if (user.roles.length) await this.trx('user_roles').insert(user.roles.map((role) => ({ user_id: user.id, role })));
  }

  async recordLogin(userId: string, succeeded: boolean): Promise<void> {
    await this.trx('users').where({ id: userId }).update({ failed_logins: succeeded ? 0 : this.trx.raw('failed_logins + 1') });
  }

  async setDisabled(userId: string, disabled: boolean): Promise<void> {
    await this.trx('users').where({ id: userId }).update(disabled ? { disabled } : { disabled, failed_logins: 0 });
  }
}

export class KnexSessionRepository implements SessionRepository {
  constructor(private readonly trx: Knex) {}

  async insert(s: { tokenHash: string; userId: string; kind: SessionKind; expiresAt: Date }): Promise<void> {
    await this.trx('sessions').insert({ token_hash: s.tokenHash, user_id: s.userId, kind: s.kind, expires_at: s.expiresAt });
  }

  async findUser(tokenHash: string, now: Date): Promise<User | null> {
    const row = await withRoles(this.trx).join('sessions as s', 's.user_id', 'u.id').where('s.token_hash', tokenHash).andWhere('s.expires_at', '>', now).first();
    return row ? toUser(row as UserRow) : null;
  }

  async remove(tokenHash: string): Promise<void> {
    await this.trx('sessions').where({ token_hash: tokenHash }).delete();
  }
}
