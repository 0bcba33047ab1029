import type { Knex } from 'knex';
import type { Agency, Unit } from '../domain/agency.ts';
import type { RegistryDocument } from '../domain/document.ts';
import { DomainError } from '../domain/errors.ts';
import type { RegisterKey } from '../domain/registers.ts';
import type { DocumentFilter, DocumentRepository, DuplicateCandidate, NewDocument, RegisterEntryFilter } from '../domain/registry-ports.ts';
import { toDocument, toInsertRow, type DocumentRow } from './document-rows.ts';
import { insertRows, runSql } from './sql-text.ts';
import { bookBindings, NEXT_NUMBER_CTE } from './knex-register-repository.ts';
import { toAgency, type AgencyRow } from './knex-agency-repository.ts';

const NO_ID = '00000000-0000-0000-0000-000000000000';

/** What a registration is compared on (Phụ lục VI): (số, ký hiệu, issuing agency) or the DocumentId. */
export interface DuplicateProbe {
  readonly codeNumber: string | null;
  readonly codeNotation: string | null;
  readonly senderOrganId: string | null;
  readonly organName: string;
  readonly edxmlDocumentId: string | null;
  readonly excludeId?: string;
}

function toCandidates(rows: readonly { id: string; arrival_number: number | null; by_code: boolean }[]): DuplicateCandidate[] {
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.id) && seen.add(r.id)).map((r) => ({ documentId: r.id, arrivalNumber: r.arrival_number, matchedOn: r.by_code ? 'code' : 'document_id' }));
}

const FILE_CODE = `CASE WHEN f.id IS NULL THEN NULL ELSE json_build_object('organId', f.agency_organ_id, 'fileCatalog', f.file_catalog, 'fileNotation', f.file_notation) END AS file_code`;

const selectDocuments = (knex: Knex): Knex.QueryBuilder =>
  knex('documents as d')
    .leftJoin('dossiers as f', 'f.id', 'd.dossier_id')
    .select('d.*', knex.raw(FILE_CODE));

// The statements of every document exchanged, written as SQL text: knex's builder spends ~0.1 ms of CPU
// compiling each one (docs/exchange.md, Figures, 7 Dec).
// By the primary key alone: the agency is tested with IS NOT DISTINCT FROM (on a NOT NULL column, the same
// test as `=`), which no index serves (src/db/prepared-statements.ts, "One index to choose").
const FIND = `SELECT d.*, ${FILE_CODE} FROM documents d LEFT JOIN dossiers f ON f.id = d.dossier_id WHERE d.id = ? AND d.agency_organ_id IS NOT DISTINCT FROM ?`;
/** A document read by its primary key with more columns (`columns`) from more joins (`joins`), locked: bindings (id, agency). */
export const findDocumentForUpdate = (columns: string, joins: string): string =>
  `SELECT d.*, ${FILE_CODE}, ${columns} FROM documents d LEFT JOIN dossiers f ON f.id = d.dossier_id ${joins} WHERE d.id = ? AND d.agency_organ_id IS NOT DISTINCT FROM ? FOR UPDATE OF d`;
const FIND_FOR_UPDATE = `${FIND} FOR UPDATE OF d`;
// The number taken and written in one statement (the register's upsert as a CTE: one round trip less for
// every document issued or registered). The số is written with a leading zero below 10, as
// `formatDocumentNumber` (src/domain/notation.ts) does: test/integration/db/register-numbering.test.ts.
const MARK_ISSUED = `WITH ${NEXT_NUMBER_CTE}
UPDATE documents d SET register_id = book.id, register_year = book.year, register_number = book.counter,
  code_number = CASE WHEN book.counter < 10 THEN '0' || book.counter ELSE book.counter::text END, code_notation = ?,
  issued_date = ?, status = 'issued', updated_at = CURRENT_TIMESTAMP FROM book WHERE d.id = ? RETURNING d.*`;
const MARK_ARRIVED = `WITH ${NEXT_NUMBER_CTE}
UPDATE documents d SET register_id = book.id, register_year = book.year, arrival_number = book.counter, status = 'registered',
  updated_at = CURRENT_TIMESTAMP FROM book WHERE d.id = ? RETURNING d.*`;

/**
 * The document with its agency (columns a_*) and drafting unit (u_*). The unit's agency is tested with IS NOT
 * DISTINCT FROM, so the plan reaches the unit by its primary key only ("One index to choose").
 */
const FIND_FOR_ISSUE = findDocumentForUpdate(
  'a.organ_id AS a_organ_id, a.name AS a_name, a.abbreviation AS a_abbreviation, a.level AS a_level, a.parent_organ_id AS a_parent_organ_id, a.outgoing_series_mode AS a_outgoing_series_mode, a.hosted AS a_hosted, u.id AS u_id, u.code AS u_code, u.name AS u_name, u.abbreviation AS u_abbreviation',
  'JOIN agencies a ON a.organ_id = d.agency_organ_id LEFT JOIN units u ON u.id = d.drafting_unit_id AND u.agency_organ_id IS NOT DISTINCT FROM d.agency_organ_id');
type IssueRow = DocumentRow & { [K in keyof AgencyRow as `a_${K}`]: AgencyRow[K] } & { u_id: string | null; u_code: string; u_name: string; u_abbreviation: string };

export class KnexDocumentRepository implements DocumentRepository {
  constructor(private readonly trx: Knex) {}

  async insert(doc: NewDocument): Promise<RegistryDocument> {
    const { rows: [row] } = await insertRows<DocumentRow>(this.trx, 'documents', [toInsertRow(doc, this.trx)], 'RETURNING *');
    return toDocument({ ...(row as DocumentRow), file_code: null });
  }

  async find(agencyOrganId: string, id: string): Promise<RegistryDocument | null> {
    const { rows: [row] } = await runSql<DocumentRow>(this.trx, FIND, [id, agencyOrganId]);
    return row ? toDocument(row) : null;
  }

  /** Reads and locks the document row in one statement (the dossier join is not locked: FOR UPDATE OF d). */
  async findForUpdate(agencyOrganId: string, id: string): Promise<RegistryDocument | null> {
    const { rows: [row] } = await runSql<DocumentRow>(this.trx, FIND_FOR_UPDATE, [id, agencyOrganId]);
    return row ? toDocument(row) : null;
  }

  async list(agencyOrganId: string, filter: DocumentFilter): Promise<RegistryDocument[]> {
    const q = selectDocuments(this.trx).where('d.agency_organ_id', agencyOrganId);
    if (filter.direction) q.andWhere('d.direction', filter.direction);
    if (filter.status) q.andWhere('d.status', filter.status);
    if (filter.year) q.andWhere('d.register_year', filter.year);
    const rows = await q.orderBy('d.created_at', 'desc').orderBy('d.id').limit(filter.limit).offset(filter.offset);
    return (rows as DocumentRow[]).map(toDocument);
  }

  /**
   * Phụ lục VI: the incoming documents registered earlier with the same (số, ký hiệu, issuing agency) or the
   * same DocumentId, for a whole group of registrations in one statement, one answer per probe. Deliberately not a named
   * (prepared) statement: a generic plan cached while the table was small keeps its sequential scan as the
   * table grows, until statistics are refreshed; planned with its parameters each time, it uses the indexes.
   */
  async findDuplicatesOfGroup(agencyOrganId: string, probes: readonly DuplicateProbe[]): Promise<DuplicateCandidate[][]> {
    const result = await this.trx.raw<{ rows: { i: number; id: string; arrival_number: number | null; by_code: boolean }[] }>(
      `SELECT p.i, d.id, d.arrival_number, d.by_code
         FROM unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::uuid[])
           AS p(i, code_number, code_notation, sender_organ_id, organ_name, edxml_document_id, exclude_id)
         CROSS JOIN LATERAL (
           SELECT id, arrival_number, true AS by_code FROM documents
            WHERE agency_organ_id = ?::text AND code_number = p.code_number AND code_notation = p.code_notation
              AND direction = 'incoming' AND status <> 'returned' AND id <> p.exclude_id
              AND (CASE WHEN p.sender_organ_id IS NULL THEN lower(organ_name) = lower(p.organ_name) ELSE sender_organ_id = p.sender_organ_id END)
           UNION ALL
           SELECT id, arrival_number, false AS by_code FROM documents
            WHERE agency_organ_id = ?::text AND edxml_document_id = p.edxml_document_id AND direction = 'incoming' AND id <> p.exclude_id
           LIMIT 10) d`,
      [probes.map((_, i) => i), probes.map((p) => p.codeNumber), probes.map((p) => p.codeNotation), probes.map((p) => p.senderOrganId),
        probes.map((p) => p.organName), probes.map((p) => p.edxmlDocumentId), probes.map((p) => p.excludeId ?? NO_ID), agencyOrganId, agencyOrganId] as Knex.Value[],
    );
    const answers = probes.map(() => [] as { id: string; arrival_number: number | null; by_code: boolean }[]);
    for (const row of result.rows) answers[row.i]?.push(row);
    return answers.map(toCandidates);
  }

  async findForIssue(agencyOrganId: string, id: string): Promise<{ document: RegistryDocument; agency: Agency; unit: Unit | null } | null> {
    const { rows: [row] } = await runSql<IssueRow>(this.trx, FIND_FOR_ISSUE, [id, agencyOrganId]);
    if (!row) return null;
    const agency = toAgency({ organ_id: row.a_organ_id, name: row.a_name, abbreviation: row.a_abbreviation, level: row.a_level, parent_organ_id: row.a_parent_organ_id, outgoing_series_mode: row.a_outgoing_series_mode, hosted: row.a_hosted });
    const unit = row.u_id === null ? null : { id: row.u_id, agencyOrganId: row.a_organ_id, code: row.u_code, name: row.u_name, abbreviation: row.u_abbreviation };
    return { document: toDocument(row), agency, unit };
  }

  async markIssued(id: string, book: RegisterKey & { readonly name: string }, issue: { codeNotation: string; issuedDate: string }): Promise<RegistryDocument> {
    return this.numbered(MARK_ISSUED, [...bookBindings(book), issue.codeNotation, issue.issuedDate, id]);
  }

  async setStatus(id: string, status: RegistryDocument['status'], changes: { forwardedAt?: Date; recipientsNote?: string } = {}): Promise<RegistryDocument> {
    const [row] = await this.trx('documents').where({ id }).update({
      status,
      ...(changes.forwardedAt ? { forwarded_at: changes.forwardedAt } : {}),
      ...(changes.recipientsNote !== undefined ? { recipients_note: changes.recipientsNote } : {}),
      updated_at: this.trx.fn.now(),
    }).returning('*');
    return toDocument({ ...(row as DocumentRow), file_code: null });
  }

  async markArrived(id: string, book: RegisterKey & { readonly name: string }): Promise<RegistryDocument> {
    return this.numbered(MARK_ARRIVED, [...bookBindings(book), id]);
  }

  private async numbered(sql: string, bindings: readonly unknown[]): Promise<RegistryDocument> {
    const { rows: [row] } = await runSql<DocumentRow>(this.trx, sql, bindings);
    if (!row) throw new DomainError('registry.document_not_found'); // the caller holds the document locked: not expected
    return toDocument({ ...row, file_code: null });
  }

  async registerEntries(filter: RegisterEntryFilter): Promise<RegistryDocument[]> {
    const q = selectDocuments(this.trx)
      .join('registers as r', 'r.id', 'd.register_id')
      .where({ 'd.agency_organ_id': filter.agencyOrganId, 'd.direction': filter.direction, 'r.year': filter.year });
    if (filter.seriesKey) q.andWhere('r.series_key', filter.seriesKey);
    const dateColumn = filter.direction === 'incoming' ? 'd.arrival_date' : 'd.issued_date';
    if (filter.from) q.andWhere(dateColumn, '>=', filter.from);
    if (filter.until) q.andWhere(dateColumn, '<', filter.until);
    const rows = await q.orderBy('r.series_key').orderBy(filter.direction === 'incoming' ? 'd.arrival_number' : 'd.register_number');
    return (rows as DocumentRow[]).map(toDocument);
  }
}
