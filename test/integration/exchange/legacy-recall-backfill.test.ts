// Migration 20261206230000: a delivery recalled before `pending_request` existed gets it back from its
// history, so the recipient's late 15/16 is recorded; deliveries whose recall was answered, or that were
// never recalled, are left alone.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { up } from '../../../migrations/20261206230000_exchange_deliveries_pending_recall.ts';
import { BatchingRegistrationWriter } from '../../../src/db/batching-registration-writer.ts';
import { KnexUnitOfWork } from '../../../src/db/knex-unit-of-work.ts';
import { RegistryService } from '../../../src/services/registry-service.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';
import { actorFor, seedNetwork, TestClock } from '../../support/network.ts';

const VPCP = '000.00.00.G22';
const step = (code: string) => ({ code, at: '2026-11-23T08:00:00.000Z', description: code === '13' ? 'Thu hồi để sửa' : null, arrivalNumber: null });

for (const kind of databaseKinds) {
  describe(`backfill of pending recalls (migration 20261206230000) on ${kind}`, () => {
    let db: TestDatabase;
    before(async () => { db = await createTestDatabase(kind); await seedNetwork(db.database); });
    after(() => db.drop());

    it('marks a delivery whose last request code is 13 as waiting for its recall answer; leaves the others', async () => {
      const clock = new TestClock();
      const registry = new RegistryService(new KnexUnitOfWork(db.database.knex, clock), clock, new BatchingRegistrationWriter(db.database.knex));
      const draft = await registry.draftOutgoing(await actorFor(db.database, 'chuyen_vien', VPCP), VPCP, { typeName: 'Công văn', subject: 'Thu hồi cũ', priority: 0, recipients: [] });
      const histories: Record<string, unknown[]> = {
        pending: [step('01'), step('03'), step('13')],
        answered: [step('01'), step('13'), step('15')],
        refused: [step('01'), step('13'), step('16'), step('05')],
        never: [step('01'), step('03'), step('05')],
        recalledTwice: [step('13'), step('16'), step('13')],
      };
      const recipients = Object.keys(histories);
      await db.database.knex('exchange_deliveries').insert(recipients.map((name, i) => ({
        document_id: draft.id, agency_organ_id: VPCP, recipient_organ_id: `000.00.0${i}.H99`, recipient_name: name,
        edxml_document_id: randomUUID(), message_id: randomUUID(), status: '01', history: JSON.stringify(histories[name]),
      })));
      await up(db.database.knex);
      const rows = await db.database.knex('exchange_deliveries').where({ document_id: draft.id }).select('recipient_name', 'pending_request');
      expect(Object.fromEntries(rows.map((r) => [r.recipient_name, r.pending_request]))).to.deep.equal({
        pending: 'recall', answered: null, refused: null, never: null, recalledTwice: 'recall',
      });
    });
  });
}
