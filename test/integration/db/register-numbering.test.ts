// `documents.markIssued` / `markArrived`: the register's next number taken and written in ONE statement
// (the upsert of `registers` as a CTE, src/db/knex-document-repository.ts), on both databases: numbers in
// order from 1, the số formatted as `formatDocumentNumber` does, a book per series and year, a rollback
// giving the number back (gapless, Nghị định 30 art. 15, 22).
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { KnexDocumentRepository } from '../../../src/db/knex-document-repository.ts';
import { formatDocumentNumber } from '../../../src/domain/notation.ts';
import type { RegistryDocument } from '../../../src/domain/document.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';

const AGENCY = '000.00.00.G22';

for (const kind of databaseKinds) {
  describe(`register numbers taken and written in one statement (${kind})`, function () {
    this.timeout(60_000);
    let test: TestDatabase;
    const userId = randomUUID();
    const outgoing = (year: number, seriesKey = 'outgoing') => ({ agencyOrganId: AGENCY, direction: 'outgoing' as const, seriesKey, year, name: `Sổ đăng ký văn bản đi năm ${year}` });
    const incoming = { agencyOrganId: AGENCY, direction: 'incoming' as const, seriesKey: 'incoming', year: 2026, name: 'Sổ đăng ký văn bản đến năm 2026' };

    before(async () => {
      test = await createTestDatabase(kind);
      await test.database.knex('agencies').insert({ organ_id: AGENCY, name: 'Sở Thông tin và Truyền thông', abbreviation: 'STTTT', level: 'province' });
      await test.database.knex('users').insert({ id: userId, username: 'vanthu', agency_organ_id: AGENCY, full_name: 'Văn thư', password_hash: 'x' });
    });
    after(async () => { await test.drop(); });

    async function draft(direction: 'outgoing' | 'incoming' = 'outgoing'): Promise<string> {
      const id = randomUUID();
      await test.database.knex('documents').insert({
        id, agency_organ_id: AGENCY, direction, origin: 'electronic', status: direction === 'outgoing' ? 'draft' : 'received',
        type_name: 'Công văn', organ_name: 'Sở Thông tin và Truyền thông', subject: 'Trích yếu', created_by: userId,
      });
      return id;
    }

    /** Runs `act` in a transaction (committed unless `rollback`), with the statements it sent. */
    async function inTransaction(act: (documents: KnexDocumentRepository) => Promise<RegistryDocument>, rollback = false): Promise<{ document: RegistryDocument; statements: string[] }> {
      const statements: string[] = [];
      let document: RegistryDocument | undefined;
      await test.database.knex.transaction(async (trx: Knex.Transaction) => {
        trx.client.on('query', (q: { sql: string }) => { if (!/^(BEGIN|COMMIT|ROLLBACK)/i.test(q.sql)) statements.push(q.sql); });
        document = await act(new KnexDocumentRepository(trx));
        if (rollback) await trx.rollback();
      }).catch((error: unknown) => { if (!rollback || !document) throw error; });
      return { document: document as RegistryDocument, statements };
    }

    it('issues in order from 1, the số as formatDocumentNumber writes it, one statement each', async () => {
      const issued: RegistryDocument[] = [];
      for (let i = 0; i < 11; i++) {
        const id = await draft();
        const { document, statements } = await inTransaction((documents) => documents.markIssued(id, outgoing(2026), { codeNotation: 'CV-STTTT', issuedDate: '2026-12-08' }));
        expect(statements).to.have.length(1);
        issued.push(document);
      }
      expect(issued.map((d) => d.metadata.codeNumber)).to.deep.equal(Array.from({ length: 11 }, (_, i) => formatDocumentNumber(i + 1)));
      expect(issued.every((d) => d.status === 'issued' && d.registerYear === 2026 && d.metadata.codeNotation === 'CV-STTTT' && d.metadata.issuedDate === '2026-12-08')).to.equal(true);
      const books = await test.database.knex('registers').where({ agency_organ_id: AGENCY, direction: 'outgoing', year: 2026 });
      expect(books.map((b) => [b.id, b.counter, b.name])).to.deep.equal([[issued[0]?.registerId, 11, 'Sổ đăng ký văn bản đi năm 2026']]);
      expect(new Set(issued.map((d) => d.registerId)).size).to.equal(1);
    });

    it('a rollback gives the number back; another year or series has its own book from 1', async () => {
      const first = await draft();
      const rolledBack = await inTransaction((documents) => documents.markIssued(first, outgoing(2027), { codeNotation: 'CV-STTTT', issuedDate: '2027-01-02' }), true);
      expect(rolledBack.document.metadata.codeNumber).to.equal('01');
      const again = await inTransaction((documents) => documents.markIssued(first, outgoing(2027), { codeNotation: 'CV-STTTT', issuedDate: '2027-01-02' }));
      expect(again.document.metadata.codeNumber, 'the number given back is taken again').to.equal('01');
      const decision = await draft();
      const typed = await inTransaction((documents) => documents.markIssued(decision, outgoing(2027, 'outgoing:type:QĐ'), { codeNotation: 'QĐ-STTTT', issuedDate: '2027-01-02' }));
      expect(typed.document.metadata.codeNumber).to.equal('01');
      expect(typed.document.registerId).to.not.equal(again.document.registerId);
    });

    it('gives a received document its số đến from the incoming book', async () => {
      const numbers: Array<number | null> = [];
      for (let i = 0; i < 3; i++) {
        const id = await draft('incoming');
        const { document, statements } = await inTransaction((documents) => documents.markArrived(id, incoming));
        expect(statements).to.have.length(1);
        expect(document.status).to.equal('registered');
        numbers.push(document.metadata.arrivalNumber);
      }
      expect(numbers).to.deep.equal([1, 2, 3]);
      const [book] = await test.database.knex('registers').where({ agency_organ_id: AGENCY, direction: 'incoming' });
      expect(book).to.include({ counter: 3, name: 'Sổ đăng ký văn bản đến năm 2026', year: 2026 });
    });
  });
}
