// The audit entries of a transaction are written just before it commits: the agency's chain head (which
// every audited change of the agency locks) is not held while the rest of the transaction runs; entries
// of a savepoint that rolls back are dropped with it; the chain still verifies.
import { expect } from 'chai';
import { KnexAuditReader } from '../../../src/db/knex-audit-log.ts';
import { KnexExchangeUnitOfWork } from '../../../src/db/knex-exchange-unit-of-work.ts';
import { KnexUnitOfWork } from '../../../src/db/knex-unit-of-work.ts';
import { AuditService } from '../../../src/services/audit-service.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';
import { seedNetwork } from '../../support/network.ts';

const VPCP = '000.00.00.G22';
const clock = { now: () => new Date() };
const event = (action: string) => ({ actor: 'system', action, subjectType: 'document' as const, subjectId: action });

async function actionsOf(db: TestDatabase): Promise<string[]> {
  const rows = await db.database.knex('audit_log').where({ chain: VPCP }).orderBy('seq').select('entry');
  return rows.map((r) => JSON.parse(r.entry).action as string).filter((a) => a.startsWith('test.'));
}

for (const kind of databaseKinds) {
  describe(`deferred audit entries on ${kind}`, () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createTestDatabase(kind, { poolMax: 4 });
      await seedNetwork(db.database);
    });
    afterEach(async () => { await db.drop(); });

    it('writes a transaction\'s entries in order at its end; a rolled-back savepoint\'s entries are dropped; the chain verifies', async () => {
      const registry = new KnexUnitOfWork(db.database.knex, clock);
      const exchange = new KnexExchangeUnitOfWork(db.database.knex, registry);
      await exchange.run(async (repos) => {
        await repos.audit.append(VPCP, event('test.first'));
        await exchange.savepoint(repos, async (inner) => { await inner.audit.append(VPCP, event('test.kept')); });
        await exchange.savepoint(repos, async (inner) => {
          await inner.audit.append(VPCP, event('test.rolled-back'));
          throw new Error('this savepoint rolls back');
        }).catch(() => {});
        await repos.audit.append(VPCP, event('test.last'));
      });
      await registry.run(async (repos) => { await repos.audit.append(VPCP, event('test.alone')); });
      await registry.run(async (repos) => {
        await repos.audit.append(VPCP, event('test.never'));
        throw new Error('the transaction rolls back');
      }).catch(() => {});
      expect(await actionsOf(db)).to.deep.equal(['test.first', 'test.kept', 'test.last', 'test.alone']);
      const verdict = await new AuditService(new KnexAuditReader(db.database.knex)).verify();
      expect(verdict.broken).to.equal(null);
    });

    if (kind === 'postgres') {
      it('an open transaction that has audited does not block another transaction auditing the same agency', async () => {
        const registry = new KnexUnitOfWork(db.database.knex, clock);
        let release!: () => void;
        const released = new Promise<void>((resolve) => { release = resolve; });
        let appended!: () => void;
        const hasAppended = new Promise<void>((resolve) => { appended = resolve; });
        const slow = registry.run(async (repos) => {
          await repos.audit.append(VPCP, event('test.slow'));
          appended();
          await released; // still open
        });
        await hasAppended;
        // Would wait for `slow` to commit if its append had locked the chain head; lock_timeout makes that an error.
        try {
          await db.database.knex.transaction(async (trx) => {
            await trx.raw("SET LOCAL lock_timeout = '3s'");
            await new KnexUnitOfWork(trx, clock).repositories(trx).audit.append(VPCP, event('test.quick'));
          });
        } finally {
          release();
          await slow;
        }
        expect(await actionsOf(db)).to.deep.equal(['test.quick', 'test.slow']);
        expect((await new AuditService(new KnexAuditReader(db.database.knex)).verify()).broken).to.equal(null);
      });
    }
  });
}
