// The audit log is append-only and hash-chained: altering or deleting a row in the database is detected
// by `edoc-node audit verify`, which names the first broken link.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { KnexAuditReader } from '../../../src/db/knex-audit-log.ts';
import { KnexUnitOfWork } from '../../../src/db/knex-unit-of-work.ts';
import { AuditService } from '../../../src/services/audit-service.ts';
import { BatchingRegistrationWriter } from '../../../src/db/batching-registration-writer.ts';
import { RegistryService } from '../../../src/services/registry-service.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';
import { actorFor, seedNetwork } from '../../support/network.ts';

const VPCP = '000.00.00.G22';
const clock = { now: () => new Date() };

/** Tampering as a database superuser would: the append-only trigger is bypassed on purpose. */
async function tamper(db: TestDatabase, sql: string, bindings: unknown[] = []): Promise<void> {
  await db.database.knex.transaction(async (trx) => {
    await trx.raw('SET LOCAL session_replication_role = replica');
    await trx.raw(sql, bindings as never);
  });
}

for (const kind of databaseKinds) {
  describe(`audit chain on ${kind}`, () => {
    let db: TestDatabase;
    let audit: AuditService;

    beforeEach(async () => {
      db = await createTestDatabase(kind);
      await seedNetwork(db.database);
      const registry = new RegistryService(new KnexUnitOfWork(db.database.knex, clock), clock, new BatchingRegistrationWriter(db.database.knex));
      const clerk = await actorFor(db.database, 'van_thu', VPCP);
      for (let i = 0; i < 3; i += 1) await registry.registerIncoming(clerk, VPCP, { origin: 'paper', senderName: 'Bộ Nội vụ', typeName: 'Công văn', subject: `Văn bản ${i}`, priority: 0 });
      audit = new AuditService(new KnexAuditReader(db.database.knex));
    });
    afterEach(async () => { await db.drop(); });

    it('records who did what, when, with digests, and verifies intact', async () => {
      const rows = await db.database.knex('audit_log').where({ chain: VPCP }).orderBy('seq');
      const last = JSON.parse(rows[rows.length - 1].entry);
      expect(last.action).to.equal('incoming.register');
      expect(last.actor).to.equal((await actorFor(db.database, 'van_thu', VPCP)).userId);
      expect(last.afterDigest).to.match(/^[0-9a-f]{64}$/);
      const result = await audit.verify();
      expect(result.broken).to.equal(null);
      expect(result.chains.find((c) => c.chain === VPCP)?.entries).to.equal(rows.length);
    });

    it('refuses UPDATE and DELETE through ordinary statements', async () => {
      const update = await db.database.knex('audit_log').where({ chain: VPCP, seq: 1 }).update({ entry: '{}' }).catch((e: Error) => e);
      const remove = await db.database.knex('audit_log').where({ chain: VPCP, seq: 1 }).delete().catch((e: Error) => e);
      expect(String(update)).to.contain('append-only');
      expect(String(remove)).to.contain('append-only');
    });

    it('detects an altered entry and names it', async () => {
      const row = await db.database.knex('audit_log').where({ chain: VPCP }).orderBy('seq').offset(5).first();
      await tamper(db, 'UPDATE audit_log SET entry = replace(entry, ?, ?) WHERE chain = ? AND seq = ?', ['"action":"', '"action":"x', VPCP, row.seq]);
      const { broken } = await audit.verify();
      expect(broken).to.include({ chain: VPCP, seq: row.seq, reason: 'hash_mismatch' });
    });

    it('detects a deleted entry in the middle', async () => {
      await tamper(db, 'DELETE FROM audit_log WHERE chain = ? AND seq = 4', [VPCP]);
      expect((await audit.verify()).broken).to.include({ chain: VPCP, seq: 4, reason: 'missing_entry' });
    });

    it('detects the newest entry deleted (the head no longer matches)', async () => {
      const max = Number((await db.database.knex('audit_log').where({ chain: VPCP }).max('seq as m'))[0]?.m);
      await tamper(db, 'DELETE FROM audit_log WHERE chain = ? AND seq = ?', [VPCP, max]);
      expect((await audit.verify()).broken).to.include({ chain: VPCP, seq: max, reason: 'head_mismatch' });
    });

    if (kind === 'postgres') {
      it('`edoc-node audit verify` exits 0 when intact and 1 naming the first broken link', async () => {
        const run = () => spawnSync(process.execPath, ['bin/edoc-node.js', 'audit', 'verify'], { env: { ...process.env, DATABASE_URL: db.url as string, LOG_LEVEL: 'silent' }, encoding: 'utf8' });
        const ok = run();
        expect(ok.status, ok.stderr).to.equal(0);
        expect(ok.stdout).to.contain('toàn vẹn');
        const max = Number((await db.database.knex('audit_log').where({ chain: VPCP }).max('seq as m'))[0]?.m);
        await tamper(db, 'DELETE FROM audit_log WHERE chain = ? AND seq = ?', [VPCP, max]);
        const broken = run();
        expect(broken.status).to.equal(1);
        expect(broken.stdout).to.contain(`chain ${VPCP}`).and.contain('head_mismatch');
      });
    }
  });
}
