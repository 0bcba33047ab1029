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

  it('exchange.findForSending (every document sent): the document and the recipients it went to already, by primary keys, one statement', async () => {
    const statement = await statementOf((trx) => new KnexExchangeRepository(trx).findForSending(AGENCY, documentId));
    expect((await genericPlanIndexes(statement)).filter((i) => !i.endsWith('on dossiers')).sort()).to.deep.equal(['documents_pkey on documents', 'exchange_deliveries_pkey on exchange_deliveries']);
    const knex = test.database.knex;
    await knex.transaction(async (trx) => {
      const found = await new KnexExchangeRepository(trx).findForSending(AGENCY, documentId);
      expect(found?.document).to.deep.equal(await new KnexDocumentRepository(trx).find(AGENCY, documentId));
      expect(found?.sentTo, 'never sent').to.deep.equal([]);
    });
    await knex('exchange_deliveries').insert(['000.00.00.H53', '000.00.00.G10'].map((recipient) => ({
      document_id: documentId, agency_organ_id: AGENCY, recipient_organ_id: recipient, recipient_name: recipient, edxml_document_id: 'VPCP-2', message_id: randomUUID(),
    })));
    await knex.transaction(async (trx) => {
      const exchange = new KnexExchangeRepository(trx);
      expect((await exchange.findForSending(AGENCY, documentId))?.sentTo).to.deep.equal(['000.00.00.G10', '000.00.00.H53']);
      expect(await exchange.findForSending('000.00.00.G10', documentId), "another agency's document").to.equal(null);
    });
    await knex('exchange_deliveries').where({ document_id: documentId }).del();
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

  it('documents.findForIssue (every document issued): the document, its agency and its drafting unit by their primary keys, one statement', async () => {
    const unitId = randomUUID();
    const knex = test.database.knex;
    await knex('units').insert({ id: unitId, agency_organ_id: AGENCY, code: 'VP', name: 'Văn phòng', abbreviation: 'VP' });
    await knex('agencies').insert({ organ_id: '000.00.00.H53', name: 'Sở Nội vụ', abbreviation: 'SNV', level: 'province' });
    const foreignUnit = randomUUID();
    await knex('units').insert({ id: foreignUnit, agency_organ_id: '000.00.00.H53', code: 'TCCB', name: 'Phòng Tổ chức cán bộ', abbreviation: 'TCCB' });
    const [withUnit, withForeignUnit] = await knex('documents').whereNot({ id: documentId }).orderBy('id').limit(2).pluck('id') as string[];
    await knex('documents').where({ id: withUnit }).update({ drafting_unit_id: unitId });
    await knex('documents').where({ id: withForeignUnit }).update({ drafting_unit_id: foreignUnit });

    const statement = await statementOf((trx) => new KnexDocumentRepository(trx).findForIssue(AGENCY, withUnit as string));
    expect((await genericPlanIndexes(statement)).filter((i) => !i.endsWith('on dossiers')).sort()).to.deep.equal(['agencies_pkey on agencies', 'documents_pkey on documents', 'units_pkey on units']);
    await knex.transaction(async (trx) => {
      const documents = new KnexDocumentRepository(trx);
      const found = await documents.findForIssue(AGENCY, withUnit as string);
      expect(found?.document).to.deep.equal(await documents.find(AGENCY, withUnit as string));
      expect(found?.agency).to.deep.equal(await new KnexAgencyRepository(trx).find(AGENCY));
      expect(found?.unit).to.deep.equal({ id: unitId, agencyOrganId: AGENCY, code: 'VP', name: 'Văn phòng', abbreviation: 'VP' });
      expect((await documents.findForIssue(AGENCY, documentId))?.unit, 'no drafting unit').to.equal(null);
      expect((await documents.findForIssue(AGENCY, withForeignUnit as string))?.unit, "another agency's unit is not this agency's").to.equal(null);
      expect(await documents.findForIssue('000.00.00.H53', withUnit as string), "another agency's document").to.equal(null);
    });
    await knex('documents').whereIn('id', [withUnit as string, withForeignUnit as string]).update({ drafting_unit_id: null });
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
