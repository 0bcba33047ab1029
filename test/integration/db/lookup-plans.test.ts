// Lookups by primary key keep the primary key in their generic plan (src/db/prepared-statements.ts, "One
// index to choose"): on a fresh database, tables never analyzed, PostgreSQL's generic plan for
// `agency_organ_id = ? AND id = ?` took the (agency_organ_id, edxml_document_id) index and filtered on `id`,
// reading every document of the agency at each lookup. Each statement is caught as the repository sends it
// and its generic plan examined.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { KnexAgencyRepository } from '../../../src/db/knex-agency-repository.ts';
import { KnexDocumentRepository } from '../../../src/db/knex-document-repository.ts';
import { KnexExchangeRepository } from '../../../src/db/knex-exchange-repository.ts';
import { KnexSigningKeyRepository } from '../../../src/db/knex-signing-key-repository.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';

const AGENCY = '000.00.00.G22';

describe('generic plans of the lookups by primary key (postgres)', function () {
  this.timeout(60_000);
  let test: TestDatabase;
  const documentId = randomUUID();

  before(async () => {
    test = await createTestDatabase('postgres');
    const knex = test.database.knex;
    await knex('agencies').insert({ organ_id: AGENCY, name: 'Sở Thông tin và Truyền thông', abbreviation: 'STTTT', level: 'province' });
    const userId = randomUUID();
    await knex('users').insert({ id: userId, username: 'vanthu', agency_organ_id: AGENCY, full_name: 'Văn thư', password_hash: 'x' });
    await knex('documents').insert(Array.from({ length: 20 }, (_, i) => ({
      id: i === 0 ? documentId : randomUUID(), agency_organ_id: AGENCY, direction: 'outgoing', origin: 'electronic', status: 'draft',
      type_name: 'Công văn', organ_name: 'Sở Thông tin và Truyền thông', subject: `Trích yếu ${i}`, created_by: userId,
    })));
  });
  after(async () => { await test.drop(); });

  /** The statement `lookup` sends, with its bindings. */
  async function statementOf(lookup: (trx: Knex.Transaction) => Promise<unknown>): Promise<{ sql: string; bindings: readonly unknown[] }> {
    const sent: Array<{ sql: string; bindings: readonly unknown[] }> = [];
    let answered = false;
    await test.database.knex.transaction(async (trx) => {
      trx.client.on('query', (q: { sql: string; bindings?: readonly unknown[] }) => { if (!/^(BEGIN|COMMIT|ROLLBACK)/.test(q.sql)) sent.push({ sql: q.sql, bindings: q.bindings ?? [] }); });
      await lookup(trx);
      answered = true;
      await trx.rollback();
    }).catch((error: unknown) => { if (!answered) throw error; }); // the rollback's rejection only
    expect(sent, 'one statement').to.have.length(1);
    return sent[0] as { sql: string; bindings: readonly unknown[] };
  }

  /** The index scans of the statement's generic plan (PREPARE, then EXECUTE with plan_cache_mode forcing it). */
  async function genericPlanIndexes(statement: { sql: string; bindings: readonly unknown[] }): Promise<string[]> {
    return test.database.knex.transaction(async (trx) => {
      await trx.raw('SET LOCAL plan_cache_mode = force_generic_plan');
      await trx.raw(`PREPARE lookup_probe AS ${statement.sql.replace(/\?/g, '\\?')}`);
      const literals = statement.bindings.map((b) => `'${String(b)}'`).join(', ');
      const { rows } = await trx.raw<{ rows: Array<{ 'QUERY PLAN': string }> }>(`EXPLAIN EXECUTE lookup_probe(${literals})`);
      await trx.raw('DEALLOCATE lookup_probe');
      return rows.flatMap((r) => /Index (?:Only )?Scan using (\S+) on (\S+)/.exec(r['QUERY PLAN'])?.slice(1, 3).join(' on ') ?? []);
    });
  }

  it('documents.find and findForUpdate: by documents_pkey', async () => {
    for (const lookup of [(trx: Knex.Transaction) => new KnexDocumentRepository(trx).find(AGENCY, documentId), (trx: Knex.Transaction) => new KnexDocumentRepository(trx).findForUpdate(AGENCY, documentId)]) {
      const statement = await statementOf(lookup);
      expect((await genericPlanIndexes(statement)).filter((s) => s.endsWith('on documents'))).to.deep.equal(['documents_pkey on documents']);
    }
  });

  it('exchange.findReceivedByDocument: by exchange_received_pkey', async () => {
    const statement = await statementOf((trx) => new KnexExchangeRepository(trx).findReceivedByDocument(AGENCY, documentId));
    expect(await genericPlanIndexes(statement)).to.deep.equal(['exchange_received_pkey on exchange_received']);
  });

  it('exchange.findWithReceiptForUpdate (the văn thư\'s accept, return, progress): the document and its receipt by their primary keys, one statement', async () => {
    const statement = await statementOf((trx) => new KnexExchangeRepository(trx).findWithReceiptForUpdate(AGENCY, documentId));
    expect((await genericPlanIndexes(statement)).filter((i) => !i.endsWith('on dossiers')).sort()).to.deep.equal(['documents_pkey on documents', 'exchange_received_pkey on exchange_received']);
    const header = { documentId: 'VPCP-1', subject: 'Trích yếu' };
    await test.database.knex('exchange_received').insert({
      document_id: documentId, agency_organ_id: AGENCY, sender_organ_id: '000.00.00.G10', edxml_document_id: 'VPCP-1', business_doc_type: 0,
      message_id: 'msg-1', package_sha256: 'a'.repeat(64), header: JSON.stringify(header), report: '{}', attachment_reports: '[]', last_status: '01',
    });
    const other = await test.database.knex('documents').whereNot({ id: documentId }).first('id');
    await test.database.knex.transaction(async (trx) => {
      const exchange = new KnexExchangeRepository(trx);
      const found = await exchange.findWithReceiptForUpdate(AGENCY, documentId);
      expect(found?.document).to.deep.equal(await new KnexDocumentRepository(trx).find(AGENCY, documentId));
      expect(found?.received).to.deep.equal(await exchange.findReceivedByDocument(AGENCY, documentId));
      expect(found?.received).to.include({ documentId, senderOrganId: '000.00.00.G10', edxmlDocumentId: 'VPCP-1', lastStatus: '01', packageSha256: 'a'.repeat(64) });
      expect(found?.received?.header).to.deep.equal(header);
      const unreceived = await exchange.findWithReceiptForUpdate(AGENCY, other.id);
      expect(unreceived?.document.id).to.equal(other.id);
      expect(unreceived?.received, 'not received over the axis').to.equal(null);
      expect(await exchange.findWithReceiptForUpdate('000.00.00.G10', documentId), "another agency's document").to.equal(null);
    });
    await test.database.knex('exchange_received').where({ document_id: documentId }).del();
  });

  it('a unit, a signing key, a quarantined package: each by its primary key', async () => {
    const id = randomUUID();
    const lookups: Array<[string, (trx: Knex.Transaction) => Promise<unknown>]> = [
      ['units_pkey on units', (trx) => new KnexAgencyRepository(trx).findUnit(AGENCY, id)],
      ['signing_keys_pkey on signing_keys', (trx) => new KnexSigningKeyRepository(trx).find(AGENCY, id)],
      ['signing_keys_pkey on signing_keys', (trx) => new KnexSigningKeyRepository(trx).findForUpdate(AGENCY, id)],
      ['exchange_quarantine_pkey on exchange_quarantine', (trx) => new KnexExchangeRepository(trx).findQuarantineForUpdate(AGENCY, id)],
    ];
    for (const [index, lookup] of lookups) expect(await genericPlanIndexes(await statementOf(lookup)), index).to.deep.equal([index]);
  });

  it('the agency with its drafting unit (every document issued): both by their primary keys, in one statement', async () => {
    const unitId = randomUUID();
    await test.database.knex('units').insert({ id: unitId, agency_organ_id: AGENCY, code: 'VP', name: 'Văn phòng', abbreviation: 'VP' });
    const statement = await statementOf((trx) => new KnexAgencyRepository(trx).findWithUnit(AGENCY, unitId));
    expect((await genericPlanIndexes(statement)).sort()).to.deep.equal(['agencies_pkey on agencies', 'units_pkey on units']);
    await test.database.knex.transaction(async (trx) => {
      const agencies = new KnexAgencyRepository(trx);
      const found = await agencies.findWithUnit(AGENCY, unitId);
      expect(found?.agency).to.include({ organId: AGENCY, abbreviation: 'STTTT' });
      expect(found?.unit).to.deep.equal({ id: unitId, agencyOrganId: AGENCY, code: 'VP', name: 'Văn phòng', abbreviation: 'VP' });
      expect((await agencies.findWithUnit(AGENCY, null))?.unit).to.equal(null);
      expect((await agencies.findWithUnit(AGENCY, randomUUID()))?.unit, 'a unit that does not exist').to.equal(null);
      expect(await agencies.findWithUnit('000.00.00.G10', unitId), 'an agency that does not exist').to.equal(null);
    });
    await test.database.knex('agencies').insert({ organ_id: '000.00.00.H53', name: 'Sở Nội vụ', abbreviation: 'SNV', level: 'province' });
    await test.database.knex.transaction(async (trx) => {
      const found = await new KnexAgencyRepository(trx).findWithUnit('000.00.00.H53', unitId);
      expect(found?.agency.organId).to.equal('000.00.00.H53');
      expect(found?.unit, "another agency's unit is not this agency's").to.equal(null);
    });
  });

  it('still answers only for the agency that holds the document', async () => {
    await test.database.knex.transaction(async (trx) => {
      const documents = new KnexDocumentRepository(trx);
      expect((await documents.find(AGENCY, documentId))?.id).to.equal(documentId);
      expect(await documents.find('000.00.00.G10', documentId)).to.equal(null);
      expect(await documents.findForUpdate('000.00.00.G10', documentId)).to.equal(null);
      expect(await new KnexExchangeRepository(trx).findReceivedByDocument('000.00.00.G10', documentId)).to.equal(null);
    });
  });
});
