// An inbox batch's new documents are checked against earlier receipts (duplicates) in one statement
// (KnexExchangeRepository.expectReceived, called by ExchangeReceivingService.beforeBatch): the first
// findReceivedDocument of an announced pair reads them all; the others cost no statement; the answer is the
// one the lookup by itself gives (the lowest business type of the pair); a receipt inserted since, or its
// status changed, is not answered from what was read before.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { KnexExchangeRepository } from '../../../src/db/knex-exchange-repository.ts';
import type { ReceivedPackage } from '../../../src/domain/exchange.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';

const AGENCY = '000.00.00.G22';
const SENDER = '000.00.00.G10';

for (const kind of databaseKinds) {
  describe(`reading an inbox batch's receipts together (${kind})`, function () {
    this.timeout(60_000);
    let test: TestDatabase;
    const received = (edxmlDocumentId: string, businessDocType: number): ReceivedPackage => ({
      documentId: randomUUID(), agencyOrganId: AGENCY, senderOrganId: SENDER, edxmlDocumentId, businessDocType, messageId: randomUUID(),
      packageSha256: 'a'.repeat(64), header: { documentId: edxmlDocumentId, subject: `Văn bản ${edxmlDocumentId}` } as never, report: {} as never, attachmentReports: [], lastStatus: '01',
    });
    const rows = [received('doc-1', 0), received('doc-2', 3), received('doc-2', 0), received('doc-3', 1)];

    before(async () => {
      test = await createTestDatabase(kind);
      await test.database.knex.transaction(async (trx) => {
        await trx.raw('SET LOCAL session_replication_role = replica'); // no documents rows: the foreign key is not what is tested
        const repository = new KnexExchangeRepository(trx);
        for (const r of rows) await repository.insertReceived(r);
      });
    });
    after(async () => { await test.drop(); });

    /** Runs `work` in a transaction (rolled back), counting the statements it sends. */
    async function counting(work: (repository: KnexExchangeRepository, sent: () => number) => Promise<void>): Promise<void> {
      await test.database.knex.transaction(async (trx) => {
        await trx.raw('SET LOCAL session_replication_role = replica');
        let statements = 0;
        const count = (): void => { statements += 1; };
        trx.client.on('query', count);
        try {
          await work(new KnexExchangeRepository(trx), () => statements);
        } finally {
          trx.client.removeListener('query', count);
        }
        await trx.rollback();
      }).catch((error: unknown) => { if (!(error instanceof Error && /Transaction rejected with non-error: undefined/.test(error.message))) throw error; });
    }

    it('reads the announced receipts with the first lookup, and answers as the lookup by itself does', async () => {
      const alone: Record<string, unknown> = {};
      await counting(async (repository) => {
        for (const d of ['doc-1', 'doc-2', 'doc-3', 'doc-9']) alone[d] = await repository.findReceivedDocument(AGENCY, SENDER, d);
      });
      expect((alone['doc-2'] as { businessDocType: number }).businessDocType, 'the lowest business type').to.equal(0);
      await counting(async (repository, sent) => {
        repository.expectReceived(AGENCY, ['doc-1', 'doc-2', 'doc-3', 'doc-9'].map((edxmlDocumentId) => ({ senderOrganId: SENDER, edxmlDocumentId })));
        expect(sent(), 'announcing reads nothing').to.equal(0);
        for (const d of ['doc-2', 'doc-1', 'doc-9', 'doc-3']) expect(await repository.findReceivedDocument(AGENCY, SENDER, d), d).to.deep.equal(alone[d]);
        expect(sent(), 'one statement for the four').to.equal(1);
        expect(await repository.findReceivedDocument(AGENCY, SENDER, 'doc-4'), 'not announced: its own read').to.equal(null);
        expect(sent()).to.equal(2);
        expect(await repository.findReceivedDocument('000.00.00.H53', SENDER, 'doc-1'), "another agency's").to.equal(null);
      });
    });

    it('a receipt inserted after the read, or its status changed, is not answered from it', async () => {
      await counting(async (repository) => {
        repository.expectReceived(AGENCY, [{ senderOrganId: SENDER, edxmlDocumentId: 'doc-5' }, { senderOrganId: SENDER, edxmlDocumentId: 'doc-1' }]);
        expect(await repository.findReceivedDocument(AGENCY, SENDER, 'doc-5')).to.equal(null);
        const late = received('doc-5', 0);
        expect(await repository.insertReceived(late)).to.deep.equal({ duplicate: false, linkedRequests: [] });
        expect((await repository.findReceivedDocument(AGENCY, SENDER, 'doc-5'))?.documentId, 'inserted since the read').to.equal(late.documentId);
        const first = rows[0] as ReceivedPackage;
        await repository.setReceivedStatus(first.documentId, '03');
        expect((await repository.findReceivedDocument(AGENCY, SENDER, 'doc-1'))?.lastStatus, 'status changed since the read').to.equal('03');
      });
    });
  });
}
