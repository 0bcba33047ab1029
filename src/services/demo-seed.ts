// The demo network for `npm start` on a fresh machine: agencies, units and four users per agency
// (vanthu@, lanhdao@, chuyenvien@, quantri@<organId>). Never runs when NODE_ENV=production (config).
import { randomBytes, randomUUID } from 'node:crypto';
import { demoNetwork, demoUsername } from '../domain/demo-network.ts';
import type { UnitOfWork } from '../domain/unit-of-work.ts';
import type { PasswordHasher } from '../domain/user.ts';

export interface SeedResult {
  readonly created: readonly string[]; // organ ids seeded now
  /** The password of every demo user, when it was generated now (printed once, never stored in clear). */
  readonly generatedPassword: string | null;
}

export async function seedDemoNetwork(uow: UnitOfWork, hasher: PasswordHasher, password: string | null): Promise<SeedResult> {
  const existing = new Set((await uow.run((repos) => repos.agencies.list())).map((a) => a.organId));
  const missing = demoNetwork.filter((a) => !existing.has(a.organId));
  if (missing.length === 0) return { created: [], generatedPassword: null };
  const generatedPassword = password ? null : randomBytes(9).toString('base64url');
  const passwordHash = await hasher.hash(password ?? (generatedPassword as string));
  await uow.run(async (repos) => {
    for (const demo of missing) {
      await repos.agencies.insert({ organId: demo.organId, name: demo.name, abbreviation: demo.abbreviation, level: demo.level, parentOrganId: demo.parentOrganId, outgoingSeriesMode: 'single', hosted: true });
      await repos.audit.append(demo.organId, { actor: 'system', action: 'agency.create', subjectType: 'agency', subjectId: demo.organId, after: demo });
      const unitIds = new Map<string, string>();
      for (const unit of demo.units) {
        const id = randomUUID();
        unitIds.set(unit.code, id);
        await repos.agencies.insertUnit({ id, agencyOrganId: demo.organId, code: unit.code, name: unit.name, abbreviation: unit.abbreviation });
      }
      for (const person of demo.people) {
        const user = { id: randomUUID(), username: demoUsername(person.role, demo.organId), agencyOrganId: demo.organId, unitId: unitIds.get(person.unitCode) ?? null, fullName: person.fullName, position: person.position, roles: [person.role], disabled: false };
        await repos.users.insert(user, passwordHash);
        await repos.audit.append(demo.organId, { actor: 'system', action: 'user.create', subjectType: 'user', subjectId: user.id, after: user });
      }
    }
  });
  return { created: missing.map((a) => a.organId), generatedPassword };
}
