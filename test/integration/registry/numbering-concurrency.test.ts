// Nghị định 30, art. 22: số đến is consecutive, without gaps or duplicates — even with several
// registrants on separate connections and several OS processes, and when transactions roll back.
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { KnexUnitOfWork } from '../../../src/db/knex-unit-of-work.ts';
import { RegistryService } from '../../../src/services/registry-service.ts';
import { AuditService } from '../../../src/services/audit-service.ts';
import { KnexAuditReader } from '../../../src/db/knex-audit-log.ts';
import { BatchingRegistrationWriter } from '../../../src/db/batching-registration-writer.ts';
import type { Database } from '../../../src/db/connection.ts';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../../support/databases.ts';
import { actorFor, seedNetwork } from '../../support/network.ts';
import { registerConcurrently } from '../../support/registrants.ts';

const VPCP = '000.00.00.G22';
const clock = { now: () => new Date() };

async function arrivalNumbers(database: Database): Promise<number[]> {
  const rows = await database.knex('documents').where({ agency_organ_id: VPCP, direction: 'incoming' }).select('arrival_number').orderBy('arrival_number');
  return rows.map((r) => r.arrival_number as number);
}

const oneToN = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

function runWorker(url: string, total: number, workers: number): Promise<{ failures: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/register-worker.ts', url, VPCP, String(total), String(workers)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited with ${code}`))));
  });
}

const cases: { kind: DatabaseKind; total: number; grouped: boolean }[] = [
  { kind: 'postgres', total: 2000, grouped: false }, { kind: 'postgres', total: 2000, grouped: true },
  { kind: 'pglite', total: 400, grouped: false }, { kind: 'pglite', total: 400, grouped: true },
];
const registryFor = (db: TestDatabase, grouped: boolean): RegistryService =>
  new RegistryService(new KnexUnitOfWork(db.database.knex, clock), clock, new BatchingRegistrationWriter(db.database.knex, grouped ? 64 : 1));

for (const { kind, total, grouped } of cases) {
  describe(`gapless số đến under concurrency on ${kind}, ${grouped ? 'group commit' : 'one registration per transaction'}`, () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createTestDatabase(kind, { poolMax: 12 });
      await seedNetwork(db.database);
    });
    afterEach(async () => { await db.drop(); });

    it(`8 concurrent registrants register ${total} documents as exactly 1..${total}`, async () => {
      const registry = registryFor(db, grouped);
      const failures = await registerConcurrently(registry, await actorFor(db.database, 'van_thu', VPCP), VPCP, total, 8);
      expect(failures).to.equal(0);
      expect(await arrivalNumbers(db.database)).to.deep.equal(oneToN(total));
      const book = await db.database.knex('registers').where({ agency_organ_id: VPCP, direction: 'incoming' }).first();
      expect(book.counter).to.equal(total);
      const audit = await new AuditService(new KnexAuditReader(db.database.knex)).verify();
      expect(audit.broken).to.equal(null);
      expect(audit.chains.find((c) => c.chain === VPCP)?.entries).to.be.greaterThan(total);
    });

    it('warns of a duplicate exactly on the later-numbered copy, within a group and across groups', async () => {
      const registry = registryFor(db, grouped);
      const actor = await actorFor(db.database, 'van_thu', VPCP);
      // 24 registrations at once: copies k and k+12 share (số, ký hiệu, sender); copies 0 and 23 share a DocumentId.
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) => registry.registerIncoming(actor, VPCP, {
        origin: 'paper', senderName: 'Bộ Nội vụ', senderOrganId: '000.00.00.G10', codeNumber: String((i % 12) + 1), codeNotation: 'BNV-VP',
        issuedDate: '2026-11-20', typeName: 'Công văn', subject: `Bản ${i}`, priority: 0,
        ...(i === 0 || i === 23 ? { edxmlDocumentId: 'doc-shared-1' } : {}),
      })));
      for (let k = 0; k < 12; k += 1) {
        const [a, b] = [results[k], results[k + 12]].sort((x, y) => (x?.document.metadata.arrivalNumber ?? 0) - (y?.document.metadata.arrivalNumber ?? 0));
        expect(a?.warnings.filter((w) => w.code === 'registry.duplicate_code'), `copy ${k}: the first has no warning`).to.deep.equal([]);
        expect(b?.warnings.filter((w) => w.code === 'registry.duplicate_code').map((w) => w.existingArrivalNumber), `copy ${k}`).to.deep.equal([a?.document.metadata.arrivalNumber]);
      }
      const later = [results[0], results[23]].sort((x, y) => (x?.document.metadata.arrivalNumber ?? 0) - (y?.document.metadata.arrivalNumber ?? 0))[1];
      expect(later?.warnings.map((w) => w.code)).to.include('registry.duplicate_document_id');
      // And a registration after all of them sees the earlier copy.
      const after = await registry.registerIncoming(actor, VPCP, { origin: 'paper', senderName: 'Bộ Nội vụ', senderOrganId: '000.00.00.G10', codeNumber: '5', codeNotation: 'BNV-VP', issuedDate: '2026-11-20', typeName: 'Công văn', subject: 'Bản sau', priority: 0 });
      expect(after.warnings.map((w) => w.code)).to.deep.equal(['registry.duplicate_code', 'registry.duplicate_code']);
    });

    it('gives no number to registrations whose transaction fails, and leaves no gap', async () => {
      const registry = registryFor(db, grouped);
      const attempts = Math.floor(total / 2);
      const failures = await registerConcurrently(registry, await actorFor(db.database, 'van_thu', VPCP), VPCP, attempts, 8, 7);
      const expectedFailures = Math.floor(attempts / 7);
      expect(failures).to.equal(expectedFailures);
      expect(await arrivalNumbers(db.database)).to.deep.equal(oneToN(attempts - expectedFailures));
      const book = await db.database.knex('registers').where({ agency_organ_id: VPCP, direction: 'incoming' }).first();
      expect(book.counter).to.equal(attempts - expectedFailures);
      const audited = await db.database.knex('audit_log').where({ chain: VPCP }).select('entry');
      expect(audited.map((r) => JSON.parse(r.entry)).filter((e) => e.action === 'incoming.register')).to.have.length(attempts - expectedFailures);
    });
  });
}

describe('gapless số đến across two OS processes on postgres', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('postgres');
    await seedNetwork(db.database);
  });
  after(async () => { await db.drop(); });

  it('two node processes with 4 registrants each register 1,200 documents as exactly 1..1200', async () => {
    const results = await Promise.all([runWorker(db.url as string, 600, 4), runWorker(db.url as string, 600, 4)]);
    expect(results.map((r) => r.failures)).to.deep.equal([0, 0]);
    expect(await arrivalNumbers(db.database)).to.deep.equal(oneToN(1200));
  });
});
