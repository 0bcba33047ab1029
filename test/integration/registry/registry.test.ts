import { expect } from 'chai';
import { KnexUnitOfWork } from '../../../src/db/knex-unit-of-work.ts';
import { BatchingRegistrationWriter } from '../../../src/db/batching-registration-writer.ts';
import { RegistryService } from '../../../src/services/registry-service.ts';
import type { IncomingRegistration } from '../../../src/services/registry-inputs.ts';
import { isDomainError } from '../../../src/domain/errors.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';
import { actorFor, seedNetwork, TestClock } from '../../support/network.ts';

const VPCP = '000.00.00.G22';
const TAY_NINH = '000.00.00.H53';

export const paperDocument = (over: Partial<IncomingRegistration> = {}): IncomingRegistration => ({
  origin: 'paper', senderName: 'UBND tỉnh Kon Tum', codeNumber: '12', codeNotation: 'UBND-VP', issuedDate: '2026-11-20',
  typeName: 'Công văn', subject: 'Về việc triển khai trục liên thông', priority: 0, ...over,
});

for (const kind of databaseKinds) {
  describe(`registry rules on ${kind}`, () => {
    let db: TestDatabase;
    let clock: TestClock;
    let registry: RegistryService;

    beforeEach(async () => {
      db = await createTestDatabase(kind);
      clock = new TestClock(new Date('2026-11-23T03:00:00Z'));
      await seedNetwork(db.database, clock);
      registry = new RegistryService(new KnexUnitOfWork(db.database.knex, clock), clock, new BatchingRegistrationWriter(db.database.knex));
    });
    afterEach(async () => { await db.drop(); });

    it('gives consecutive số đến shared by paper and electronic documents', async () => {
      const clerk = await actorFor(db.database, 'van_thu', VPCP);
      const a = await registry.registerIncoming(clerk, VPCP, paperDocument());
      const b = await registry.registerIncoming(clerk, VPCP, paperDocument({ origin: 'electronic', codeNumber: '13', senderOrganId: '000.00.00.H53', edxmlDocumentId: '000.00.00.H53,2026/11/20,13/UBND-VP' }));
      const c = await registry.registerIncoming(clerk, VPCP, paperDocument({ codeNumber: '14' }));
      expect([a, b, c].map((r) => r.document.metadata.arrivalNumber)).to.deep.equal([1, 2, 3]);
      expect(b.document.origin).to.equal('electronic');
      expect(a.document.metadata.arrivalDate).to.equal('2026-11-23T03:00:00.000Z');
      expect(a.document.registerYear).to.equal(2026);
      // other agencies have their own books
      const other = await registry.registerIncoming(await actorFor(db.database, 'van_thu', TAY_NINH), TAY_NINH, paperDocument());
      expect(other.document.metadata.arrivalNumber).to.equal(1);
    });

    it('starts at 1 on 1 January (Vietnam time) and leaves the old year\'s book untouched', async () => {
      const clerk = await actorFor(db.database, 'van_thu', VPCP);
      clock.set('2026-12-31T16:59:00Z'); // 23:59 on 31 December in Hà Nội
      await registry.registerIncoming(clerk, VPCP, paperDocument({ codeNumber: '1' }));
      const last = await registry.registerIncoming(clerk, VPCP, paperDocument({ codeNumber: '2' }));
      clock.set('2026-12-31T17:00:30Z'); // 00:00:30 on 1 January 2027 in Hà Nội, still 2026 in UTC
      const first = await registry.registerIncoming(clerk, VPCP, paperDocument({ codeNumber: '3' }));
      expect(last.document.metadata.arrivalNumber).to.equal(2);
      expect(last.document.registerYear).to.equal(2026);
      expect(first.document.metadata.arrivalNumber).to.equal(1);
      expect(first.document.registerYear).to.equal(2027);
      const books = await db.database.knex('registers').where({ agency_organ_id: VPCP, direction: 'incoming' }).orderBy('year');
      expect(books.map((b) => [b.year, b.counter])).to.deep.equal([[2026, 2], [2027, 1]]);
    });

    it('warns, without refusing, when the same (số, ký hiệu, issuing agency) or DocumentId was registered', async () => {
      const clerk = await actorFor(db.database, 'van_thu', VPCP);
      const first = await registry.registerIncoming(clerk, VPCP, paperDocument({ edxmlDocumentId: 'X,2026/11/20,12/UBND-VP' }));
      expect(first.warnings).to.deep.equal([]);
      const again = await registry.registerIncoming(clerk, VPCP, paperDocument({ senderName: 'ubnd tỉnh kon tum' }));
      expect(again.warnings.map((w) => w.code)).to.deep.equal(['registry.duplicate_code']);
      expect(again.warnings[0]?.existingArrivalNumber).to.equal(1);
      expect(again.document.metadata.arrivalNumber).to.equal(2);
      const byId = await registry.registerIncoming(clerk, VPCP, paperDocument({ codeNumber: '99', edxmlDocumentId: 'X,2026/11/20,12/UBND-VP' }));
      expect(byId.warnings.map((w) => w.code)).to.deep.equal(['registry.duplicate_document_id']);
      const differentSender = await registry.registerIncoming(clerk, VPCP, paperDocument({ senderName: 'Bộ Nội vụ' }));
      expect(differentSender.warnings).to.deep.equal([]);
    });

    it('refuses an electronic classified document and writes nothing', async () => {
      const clerk = await actorFor(db.database, 'van_thu', VPCP);
      const error = await registry.registerIncoming(clerk, VPCP, paperDocument({ origin: 'electronic', confidentiality: 'mat' })).catch((e: unknown) => e);
      expect(isDomainError(error, 'registry.classified_not_electronic')).to.equal(true);
      expect(Number((await db.database.knex('documents').count('* as n'))[0]?.n)).to.equal(0);
      const paper = await registry.registerIncoming(clerk, VPCP, paperDocument({ confidentiality: 'mat' }));
      expect(paper.document.metadata.arrivalNumber).to.equal(1);
    });

    it('builds the ký hiệu of a công văn from agency and drafting unit, and of typed documents from the type', async () => {
      const specialist = await actorFor(db.database, 'chuyen_vien', VPCP); // unit KSTT
      const clerk = await actorFor(db.database, 'van_thu', VPCP);
      const letter = await registry.draftOutgoing(specialist, VPCP, { typeName: 'Công văn', subject: 'V/v kiểm soát thủ tục', priority: 0 });
      const decision = await registry.draftOutgoing(specialist, VPCP, { typeName: 'Quyết định', subject: 'Ban hành quy chế', priority: 0 });
      const issuedLetter = await registry.issueOutgoing(clerk, VPCP, letter.id);
      const issuedDecision = await registry.issueOutgoing(clerk, VPCP, decision.id);
      expect([issuedLetter.metadata.codeNumber, issuedLetter.metadata.codeNotation]).to.deep.equal(['01', 'VPCP-KSTT']);
      expect([issuedDecision.metadata.codeNumber, issuedDecision.metadata.codeNotation]).to.deep.equal(['02', 'QĐ-VPCP']);
      expect(issuedDecision.status).to.equal('issued');
      expect(issuedDecision.metadata.issuedDate).to.equal('2026-11-23');

      const tnClerk = await actorFor(db.database, 'van_thu', TAY_NINH);
      const tnLeader = await actorFor(db.database, 'lanh_dao', TAY_NINH);
      for (let i = 0; i < 4; i += 1) await registry.issueOutgoing(tnClerk, TAY_NINH, (await registry.draftOutgoing(tnLeader, TAY_NINH, { typeName: 'Quyết định', subject: `QĐ ${i}`, priority: 0 })).id);
      const fifth = await registry.issueOutgoing(tnClerk, TAY_NINH, (await registry.draftOutgoing(tnLeader, TAY_NINH, { typeName: 'Quyết định', subject: 'QĐ 5', priority: 0 })).id);
      expect(`${fifth.metadata.codeNumber}/${fifth.metadata.codeNotation}`).to.equal('05/QĐ-UBND');
    });

    it('keeps one series per type when the agency chooses so, and classified documents in their own series', async () => {
      await db.database.knex('agencies').where({ organ_id: TAY_NINH }).update({ outgoing_series_mode: 'per_type' });
      const leader = await actorFor(db.database, 'lanh_dao', TAY_NINH);
      const clerk = await actorFor(db.database, 'van_thu', TAY_NINH);
      const issue = async (typeName: string, confidentiality: 'none' | 'mat' = 'none') =>
        (await registry.issueOutgoing(clerk, TAY_NINH, (await registry.draftOutgoing(leader, TAY_NINH, { typeName, subject: typeName, priority: 0, confidentiality })).id)).metadata;
      const n = [await issue('Quyết định'), await issue('Kế hoạch'), await issue('Quyết định'), await issue('Quyết định', 'mat'), await issue('Kế hoạch', 'mat')];
      expect(n.map((m) => `${m.codeNumber}/${m.codeNotation}`)).to.deep.equal(['01/QĐ-UBND', '01/KH-UBND', '02/QĐ-UBND', '01/QĐ-UBND', '02/KH-UBND']);
    });

    it('refuses a (số, ký hiệu) already used this year with registry.number_conflict and burns no number', async () => {
      // One series for the first half of the year, then the agency switches to one per type: the type
      // series starts at 01 again and would repeat 01/QĐ-UBND — the database refuses it.
      const leader = await actorFor(db.database, 'lanh_dao', TAY_NINH);
      const clerk = await actorFor(db.database, 'van_thu', TAY_NINH);
      await registry.issueOutgoing(clerk, TAY_NINH, (await registry.draftOutgoing(leader, TAY_NINH, { typeName: 'Quyết định', subject: 'a', priority: 0 })).id);
      await db.database.knex('agencies').where({ organ_id: TAY_NINH }).update({ outgoing_series_mode: 'per_type' });
      const draft = await registry.draftOutgoing(leader, TAY_NINH, { typeName: 'Quyết định', subject: 'b', priority: 0 });
      const error = await registry.issueOutgoing(clerk, TAY_NINH, draft.id).catch((e: unknown) => e);
      expect(isDomainError(error, 'registry.number_conflict')).to.equal(true);
      const typeBook = await db.database.knex('registers').where({ agency_organ_id: TAY_NINH, series_key: 'outgoing:type:QĐ' }).first();
      expect(typeBook).to.equal(undefined); // the failed transaction left no book and no number behind
      const still = await db.database.knex('documents').where({ id: draft.id }).first();
      expect([still.status, still.code_number]).to.deep.equal(['draft', null]);
    });

    it('refuses an unknown document type and a công văn without a drafting unit', async () => {
      const clerk = await actorFor(db.database, 'van_thu', VPCP);
      await db.database.knex('users').where({ id: clerk.userId }).update({ unit_id: null });
      const unknown = await registry.draftOutgoing(clerk, VPCP, { typeName: 'Thư tình', subject: 'x', priority: 0 }).catch((e: unknown) => e);
      expect(isDomainError(unknown, 'registry.unknown_type')).to.equal(true);
      const noUnit = await registry.draftOutgoing(clerk, VPCP, { typeName: 'Công văn', subject: 'x', priority: 0 }).catch((e: unknown) => e);
      expect(isDomainError(noUnit, 'registry.unit_abbreviation_required')).to.equal(true);
    });

    it('lets nobody register for another agency, nor a chuyên viên register at all', async () => {
      const otherClerk = await actorFor(db.database, 'van_thu', TAY_NINH);
      const specialist = await actorFor(db.database, 'chuyen_vien', VPCP);
      const a = await registry.registerIncoming(otherClerk, VPCP, paperDocument()).catch((e: unknown) => e);
      const b = await registry.registerIncoming(specialist, VPCP, paperDocument()).catch((e: unknown) => e);
      expect(isDomainError(a, 'auth.other_agency')).to.equal(true);
      expect(isDomainError(b, 'auth.forbidden')).to.equal(true);
      expect(Number((await db.database.knex('documents').count('* as n'))[0]?.n)).to.equal(0);
    });
  });
}
