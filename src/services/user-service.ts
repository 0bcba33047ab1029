import { randomUUID } from 'node:crypto';
import { authorize, type Actor } from '../domain/actor.ts';
import { DomainError } from '../domain/errors.ts';
import type { Role } from '../domain/roles.ts';
import type { UnitOfWork } from '../domain/unit-of-work.ts';
import type { PasswordHasher, User } from '../domain/user.ts';

export interface NewUser {
  readonly username: string;
  readonly fullName: string;
  readonly position?: string | null;
  readonly unitId?: string | null;
  readonly roles: readonly Role[];
  readonly password: string;
}


export class UserService {
  constructor(private readonly uow: UnitOfWork, private readonly hasher: PasswordHasher) {}

  async list(actor: Actor, organId: string): Promise<User[]> {
    authorize(actor, 'user.manage', organId);
    return this.uow.run((repos) => repos.users.listByAgency(organId));
  }

  async create(actor: Actor, organId: string, input: NewUser): Promise<User> {
    authorize(actor, 'user.manage', organId);
    const passwordHash = await this.hasher.hash(input.password);
    return this.uow.run(async (repos) => {
      if (input.unitId && !(await repos.agencies.findUnit(organId, input.unitId))) throw new DomainError('unit.not_found');
      const user: User = { id: randomUUID(), username: input.username, agencyOrganId: organId, unitId: input.unitId ?? null, fullName: input.fullName, position: input.position ?? null, roles: [...new Set(input.roles)], disabled: false };
      await repos.users.insert(user, passwordHash);
      await repos.audit.append(organId, { actor: actor.userId, action: 'user.create', subjectType: 'user', subjectId: user.id, after: user });
      return user;
    });
  }

  async setDisabled(actor: Actor, organId: string, userId: string, disabled: boolean): Promise<void> {
    authorize(actor, 'user.manage', organId);
    await this.uow.run(async (repos) => {
      const before = await repos.users.findById(userId);
      if (!before || before.agencyOrganId !== organId) throw new DomainError('user.not_found');
      await repos.users.setDisabled(userId, disabled);
      await repos.audit.append(organId, { actor: actor.userId, action: disabled ? 'user.disable' : 'user.enable', subjectType: 'user', subjectId: userId, before, after: { ...before, disabled } });
    });
  }
}
