// A small seeded network for service and HTTP tests: the demo agencies and users, cheap password hashing,
// and a clock the test can move.
import type { Database } from '../../src/db/connection.ts';
import { KnexUnitOfWork } from '../../src/db/knex-unit-of-work.ts';
import { ScryptPasswordHasher } from '../../src/auth/scrypt-password-hasher.ts';
import { seedDemoNetwork } from '../../src/services/demo-seed.ts';
import type { Actor } from '../../src/domain/actor.ts';
import type { Role } from '../../src/domain/roles.ts';
import { demoUsername } from '../../src/domain/demo-network.ts';
import type { Clock } from '../../src/domain/vietnam-time.ts';

export const TEST_PASSWORD = 'correct horse battery';
export const cheapHasher = () => new ScryptPasswordHasher({ cost: 1024, blockSize: 8, parallelization: 1 });

export class TestClock implements Clock {
  constructor(private current: Date = new Date('2026-11-23T03:00:00Z')) {}
  now(): Date { return new Date(this.current); }
  set(at: Date | string): void { this.current = new Date(at); }
}

export async function seedNetwork(database: Database, clock: Clock = new TestClock()): Promise<void> {
  await seedDemoNetwork(new KnexUnitOfWork(database.knex, clock), cheapHasher(), TEST_PASSWORD);
}

/** The actor of a demo user (as the auth middleware would build it). */
export async function actorFor(database: Database, role: Role, organId: string): Promise<Actor> {
  const row = await database.knex('users').where({ username: demoUsername(role, organId) }).first();
  if (!row) throw new Error(`no demo user ${role}@${organId}`);
  return { userId: row.id, username: row.username, agencyOrganId: organId, roles: [role] };
}
