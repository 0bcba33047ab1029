// An inbox batch of statuses reads the deliveries they apply to in one statement
// (KnexExchangeRepository.expectDeliveries, called by ExchangeReceivingService.beforeBatch): the first
// findDeliveryForUpdate of an announced delivery reads and locks them all; the others, and a delivery read
// again after its update, cost no statement; inserting deliveries forgets what was read.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import knexFactory from 'knex';
import { KnexExchangeRepository } from '../../../src/db/knex-exchange-repository.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';

const AGENCY = '000.00.00.G22';
const RECIPIENT = '000.00.00.G10';

for (const kind of databaseKinds) {
  describe(`reading an inbox batch's deliveries together (${kind})`, function () {
    this.timeout(60_000);
    let test: TestDatabase;
    const documents = [randomUUID(), randomUUID(), randomUUID()];
    const edxml = (i: number): string => `edxml-${i}`;

    before(async () => {
      test = await createTestDatabase(kind);
      await test.database.knex.transaction(async (trx) => {
        await trx.raw('SET LOCAL session_replication_role = replica'); // no documents rows: the foreign key is not what is tested
        await trx('exchange_deliveries').insert(documents.map((id, i) => ({
          document_id: id, agency_organ_id: AGENCY, recipient_organ_id: RECIPIENT, recipient_name: 'Bộ Tài chính', edxml_document_id: edxml(i), message_id: randomUUID(),
        })));
      });
    });
    after(async () => { await test.drop(); });

    /** Runs `work` in a transaction, counting the statements it sends after its first. */
    async function counting<T>(work: (repository: KnexExchangeRepository, sent: () => number) => Promise<T>): Promise<T> {
      return test.database.knex.transaction(async (trx) => {
        let statements = 0;
        const count = (): void => { statements += 1; };
        trx.client.on('query', count);
        try {
          return await work(new KnexExchangeRepository(trx), () => statements);
        } finally {
          trx.client.removeListener('query', count);
        }
      });
    }

    it('reads the announced deliveries with the first of them, and none again', async () => {
      await counting(async (repository, sent) => {
        repository.expectDeliveries(AGENCY, [0, 1, 2, 9].map((i) => ({ edxmlDocumentId: edxml(i), recipientOrganId: RECIPIENT })));
        expect(sent(), 'announcing reads nothing').to.equal(0);
        const first = await repository.findDeliveryForUpdate(AGENCY, edxml(1), RECIPIENT);
        expect(first?.documentId).to.equal(documents[1]);
        const afterFirst = sent();
        expect(afterFirst, 'the agency lock and the one read').to.equal(2);
        expect((await repository.findDeliveryForUpdate(AGENCY, edxml(0), RECIPIENT))?.documentId).to.equal(documents[0]);
        expect((await repository.findDeliveryForUpdate(AGENCY, edxml(2), RECIPIENT))?.documentId).to.equal(documents[2]);
        expect(await repository.findDeliveryForUpdate(AGENCY, edxml(9), RECIPIENT), 'announced, not there').to.equal(null);
        expect(sent()).to.equal(afterFirst);

        await repository.updateDelivery({ ...first!, status: '03', arrivalNumber: 17 });
        const again = await repository.findDeliveryForUpdate(AGENCY, edxml(1), RECIPIENT);
        expect(again).to.include({ status: '03', arrivalNumber: 17, edxmlDocumentId: edxml(1) });
        expect(sent(), 'the update only').to.equal(afterFirst + 1);
        const row = await repository.findDeliveryForUpdate(AGENCY, edxml(3), RECIPIENT); // not announced: its own read
        expect(row).to.equal(null);
        expect(sent()).to.equal(afterFirst + 2);
      });
      const stored = await test.database.knex('exchange_deliveries').where({ document_id: documents[1] }).first() as { status: string; arrival_number: number };
      expect(stored).to.include({ status: '03', arrival_number: 17 });
    });

    it('forgets what it read when deliveries are inserted (a delivery read as missing may exist now)', async () => {
      const added = randomUUID();
      await counting(async (repository, sent) => {
        await repository.findDeliveryForUpdate(AGENCY, 'edxml-new', RECIPIENT);
        await trxlessInsert(repository, added);
        const before = sent();
        const found = await repository.findDeliveryForUpdate(AGENCY, 'edxml-new', RECIPIENT);
        expect(found?.documentId).to.equal(added);
        expect(sent()).to.equal(before + 1);
      });
    });

    /** insertDeliveries, the foreign key off for the transaction (no documents rows here). */
    async function trxlessInsert(repository: KnexExchangeRepository, documentId: string): Promise<void> {
      const trx = (repository as unknown as { trx: Knex.Transaction }).trx;
      await trx.raw('SET LOCAL session_replication_role = replica');
      await repository.insertDeliveries([{ documentId, agencyOrganId: AGENCY, recipientOrganId: RECIPIENT, recipientName: 'Bộ Tài chính', edxmlDocumentId: 'edxml-new', messageId: randomUUID() }]);
    }

    if (kind === 'postgres') {
      it('locks the rows it read together until the commit', async () => {
        const other = knexFactory({ client: 'pg', connection: test.url as string, pool: { min: 0, max: 1 } });
        try {
          await counting(async (repository) => {
            repository.expectDeliveries(AGENCY, [0, 2].map((i) => ({ edxmlDocumentId: edxml(i), recipientOrganId: RECIPIENT })));
            await repository.findDeliveryForUpdate(AGENCY, edxml(0), RECIPIENT);
            const tryLock = (i: number) => other.transaction((t) => t.raw('SELECT 1 FROM exchange_deliveries WHERE edxml_document_id = ? FOR UPDATE NOWAIT', [edxml(i)])).then(() => 'free', () => 'locked');
            expect(await tryLock(2), 'read with the first').to.equal('locked');
            expect(await tryLock(1), 'not announced').to.equal('free');
          });
        } finally {
          await other.destroy();
        }
      });
    }
  });
}
