// The exchange tables (migrations 20261123140000, …150000, …170000): deliveries per recipient, received
// packages, quarantine, requests (recall, update, replacement), the node's current directory, and the
// metadata history of documents changed by an update — written in the caller's transaction.
import type { Knex } from 'knex';
import type { InboxOutcome } from '../domain/axis-inbox.ts';
import type { SignedDirectory } from '../domain/directory.ts';
import type { DocumentStatus, RegistryDocument } from '../domain/document.ts';
import type { StatusCode } from '../domain/edxml-codes.ts';
import { deliveryState, type Delivery, type DeliveryView, type ExchangeRepository, type ExchangeRequest, type MetadataHistoryEntry, type NewDelivery, type QuarantinedPackage, type QuarantineReprocessing, type ReceivedInsert, type ReceivedPackage, type ReceivedRecord, type RequestKind, type StatusEvent } from '../domain/exchange.ts';
import type { MetadataChanges, UpdatableField } from '../domain/exchange-update.ts';
import { toDocument, type DocumentRow } from './document-rows.ts';
import { findDocumentForUpdate } from './knex-document-repository.ts';
import { SEND_WITH_NEXT } from './pipelined-statements.ts';
import { ReadAhead } from './read-ahead.ts';
import { byPrimaryKey } from './prepared-statements.ts';
import { insertRows, runSql } from './sql-text.ts';

interface DeliveryRow {
  document_id: string; agency_organ_id: string; recipient_organ_id: string; recipient_name: string; edxml_document_id: string;
  message_id: string; status: string | null; arrival_number: number | null; reason: string | null; history: StatusEvent[] | string;
  pending_request: RequestKind | null; removed_at: Date | string | null; replaces_document_id: string | null;
  created_at: Date | string; updated_at: Date | string;
}
interface ReceivedRow {
  document_id: string; agency_organ_id: string; sender_organ_id: string; edxml_document_id: string; business_doc_type: number;
  message_id: string; package_sha256: string; header: unknown; last_status: string;
}
interface QuarantineRow {
  id: string; agency_organ_id: string; sender_organ_id: string; message_id: string; message_type: string; reason_code: string; reason: string;
  report: unknown; package_sha256: string | null; answered: boolean; received_at: Date | string;
  reprocessed_at: Date | string | null; reprocessed_by: string | null; reprocess_outcome: unknown;
}

const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);
const iso = (value: Date | string): string => new Date(value).toISOString();

const toQuarantined = (r: QuarantineRow): QuarantinedPackage => ({
  id: r.id, agencyOrganId: r.agency_organ_id, senderOrganId: r.sender_organ_id, messageId: r.message_id, messageType: r.message_type === 'status' ? 'status' : 'edoc',
  reasonCode: r.reason_code, reason: r.reason, report: json(r.report), packageSha256: r.package_sha256, answered: r.answered, receivedAt: iso(r.received_at),
  reprocessed: r.reprocessed_at === null || r.reprocessed_by === null ? null : { at: iso(r.reprocessed_at), by: r.reprocessed_by, outcome: json(r.reprocess_outcome as InboxOutcome) },
});

const toDelivery = (r: DeliveryRow): Delivery => ({
  documentId: r.document_id, agencyOrganId: r.agency_organ_id, recipientOrganId: r.recipient_organ_id, recipientName: r.recipient_name,
  edxmlDocumentId: r.edxml_document_id, messageId: r.message_id, status: r.status as StatusCode | null, arrivalNumber: r.arrival_number,
  reason: r.reason, history: json(r.history), pendingRequest: r.pending_request ?? null, removedAt: r.removed_at ? iso(r.removed_at) : null,
  replacesDocumentId: r.replaces_document_id ?? null, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
});

interface RequestRow {
  id: string; agency_organ_id: string; sender_organ_id: string; edxml_document_id: string; business_doc_type: number; document_id: string | null;
  reason: string | null; state: ExchangeRequest['state']; answer: string | null; message_id: string; header: unknown; received_at: Date | string;
  package_sha256: string; business: unknown; replacement_document_id: string | null; target_edxml_document_id: string | null;
  previous_document_status: DocumentStatus | null; sent_at: Date | string | null;
}
const toRequest = (r: RequestRow): ExchangeRequest => ({
  id: r.id, agencyOrganId: r.agency_organ_id, senderOrganId: r.sender_organ_id, edxmlDocumentId: r.edxml_document_id, businessDocType: r.business_doc_type,
  targetEdxmlDocumentId: r.target_edxml_document_id ?? null, documentId: r.document_id, replacementDocumentId: r.replacement_document_id ?? null, reason: r.reason, state: r.state, answer: r.answer, messageId: r.message_id,
  packageSha256: r.package_sha256, header: json(r.header), business: r.business === null ? null : json(r.business), receivedAt: iso(r.received_at),
  previousDocumentStatus: r.previous_document_status ?? null, sentAt: r.sent_at ? iso(r.sent_at) : null,
});

interface HistoryRow {
  id: string; document_id: string; agency_organ_id: string; source: MetadataHistoryEntry['source']; request_id: string | null; reason: string | null;
  before: MetadataChanges | string; after: MetadataChanges | string; changed_by: string; changed_at: Date | string;
}

/** The `documents` column of each updatable metadata item, and how its value is written. */
const METADATA_COLUMNS: Record<UpdatableField, { column: string; json?: true }> = {
  typeName: { column: 'type_name' }, subject: { column: 'subject' }, description: { column: 'description' }, pageAmount: { column: 'page_amount' },
  signerInfo: { column: 'signer_info', json: true }, priority: { column: 'priority' }, issuedAmount: { column: 'issued_amount' }, dueDate: { column: 'due_date' },
  to: { column: 'recipients', json: true }, toPlaces: { column: 'to_places', json: true },
};

/** The columns of a `ReceivedRecord`: not the validation reports (jsonb that PostgreSQL would decompress and print, the node parse). */
const RECEIVED_COLUMNS = ['document_id', 'agency_organ_id', 'sender_organ_id', 'edxml_document_id', 'business_doc_type', 'message_id', 'package_sha256', 'header', 'last_status'] as const;

// The statements of every document exchanged, written as SQL text: knex's builder spends ~0.1 ms of CPU
// compiling each one (docs/exchange.md, Figures, 7 Dec).
const SELECT_RECEIVED = `SELECT ${RECEIVED_COLUMNS.join(', ')} FROM exchange_received`;
const FIND_RECEIVED = `${SELECT_RECEIVED} WHERE agency_organ_id = ? AND sender_organ_id = ? AND edxml_document_id = ? AND business_doc_type = ? LIMIT 1`;
const FIND_RECEIVED_BY_DOCUMENT = `${SELECT_RECEIVED} WHERE document_id = ? AND agency_organ_id IS NOT DISTINCT FROM ? LIMIT 1`; // by the primary key alone (src/db/prepared-statements.ts)
const FIND_RECEIVED_DOCUMENT = `${SELECT_RECEIVED} WHERE agency_organ_id = ? AND sender_organ_id = ? AND edxml_document_id = ? ORDER BY business_doc_type LIMIT 1`;
/** FIND_RECEIVED_DOCUMENT for several (sender, DocumentId) pairs of one agency: one text for any number. */
const FIND_RECEIVED_DOCUMENTS = `SELECT DISTINCT ON (sender_organ_id, edxml_document_id) ${RECEIVED_COLUMNS.join(', ')} FROM exchange_received
  WHERE agency_organ_id = ? AND (sender_organ_id, edxml_document_id) IN (SELECT * FROM unnest(?::text[], ?::text[]))
  ORDER BY sender_organ_id, edxml_document_id, business_doc_type`;
/** A received document with its receipt (its columns prefixed r_), the document locked: the văn thư's actions on it. */
const FIND_WITH_RECEIPT_FOR_UPDATE = findDocumentForUpdate(RECEIVED_COLUMNS.map((c) => `r.${c} AS r_${c}`).join(', '), 'LEFT JOIN exchange_received r ON r.document_id = d.id');
/** An outgoing document, locked, with the recipients it was sent to already (the check before sending it). */
const FIND_FOR_SENDING = findDocumentForUpdate('ARRAY(SELECT x.recipient_organ_id FROM exchange_deliveries x WHERE x.document_id = d.id ORDER BY x.recipient_organ_id) AS sent_to', '');
const SET_RECEIVED_STATUS = 'UPDATE exchange_received SET last_status = ? WHERE document_id = ?';
const UPDATE_DELIVERY = `UPDATE exchange_deliveries SET message_id = ?, status = ?, arrival_number = ?, reason = ?, history = ?, pending_request = ?,
  removed_at = ?, updated_at = CURRENT_TIMESTAMP WHERE document_id = ? AND recipient_organ_id = ?`;
const LIST_DELIVERIES = `SELECT d.*, o.state AS outbox_state, o.last_error AS last_error FROM exchange_deliveries d
  LEFT JOIN axis_outbox o ON o.message_id = d.message_id WHERE d.agency_organ_id = ? AND d.document_id = ? ORDER BY d.recipient_organ_id`;
/** The insert, and the link of the requests that were waiting for this document. */
const INSERT_RECEIVED = `WITH received AS (
    INSERT INTO exchange_received (document_id, agency_organ_id, sender_organ_id, edxml_document_id, business_doc_type, message_id,
      package_sha256, header, report, attachment_reports, last_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (agency_organ_id, sender_organ_id, edxml_document_id, business_doc_type) DO NOTHING
    RETURNING document_id, agency_organ_id, sender_organ_id, edxml_document_id),
  linked AS (UPDATE exchange_requests q SET document_id = r.document_id FROM received r
    WHERE q.agency_organ_id = r.agency_organ_id AND q.sender_organ_id = r.sender_organ_id
      AND q.target_edxml_document_id = r.edxml_document_id AND q.document_id IS NULL
    RETURNING q.id)
  SELECT (SELECT count(*)::int FROM received) AS inserted, ARRAY(SELECT id::text FROM linked) AS linked`;

const toReceived = (r: ReceivedRow): ReceivedRecord => ({
  documentId: r.document_id, agencyOrganId: r.agency_organ_id, senderOrganId: r.sender_organ_id, edxmlDocumentId: r.edxml_document_id,
  businessDocType: r.business_doc_type, messageId: r.message_id, packageSha256: r.package_sha256, header: json(r.header), lastStatus: r.last_status as StatusCode,
});

/**
 * The advisory lock an agency's delivery rows are locked under (one bigint per agency). Two consumers of
 * one agency (several node processes, DESIGN.md "Runtime and scale") apply inbox batches of statuses at
 * once, each batch locking several deliveries in its own order: without it they deadlock, and PostgreSQL
 * breaks the cycle only after `deadlock_timeout` (1 s), the batch then runs again.
 */
const LOCK_DELIVERIES = "SELECT pg_advisory_xact_lock(hashtextextended('exchange_deliveries:' || ?, 0))";

/** Reads and locks the deliveries of one agency named by pairs (edXML document id, recipient): one text for any number. */
const DELIVERIES_FOR_UPDATE = `SELECT * FROM exchange_deliveries WHERE agency_organ_id = ?
  AND (edxml_document_id, recipient_organ_id) IN (SELECT * FROM unnest(?::text[], ?::text[])) FOR UPDATE`;

type DeliveryKey = { readonly edxmlDocumentId: string; readonly recipientOrganId: string };
type ReceiptKey = { readonly senderOrganId: string; readonly edxmlDocumentId: string };
const deliveryKey = (agencyOrganId: string, k: DeliveryKey): string => JSON.stringify([agencyOrganId, k.edxmlDocumentId, k.recipientOrganId]);
const receivedKey = (agencyOrganId: string, k: ReceiptKey): string => JSON.stringify([agencyOrganId, k.senderOrganId, k.edxmlDocumentId]);

export class KnexExchangeRepository implements ExchangeRepository {
  /** Agencies whose delivery lock this transaction (or savepoint) holds. */
  private readonly deliveriesLocked = new Set<string>();
  /**
   * Delivery rows this transaction (or savepoint) locked, as they are now (null: none), by agency and key:
   * announced by `expectDeliveries`, written through by `updateDelivery`, forgotten when rows are inserted.
   */
  private readonly deliveries = new ReadAhead<DeliveryKey, Delivery>(deliveryKey);
  /** Receipts read for `findReceivedDocument`: announced by `expectReceived`, forgotten for a key written since. */
  private readonly receipts = new ReadAhead<ReceiptKey, ReceivedRecord>(receivedKey);

  constructor(private readonly trx: Knex.Transaction) {}

  async insertDeliveries(deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    this.deliveries.known.clear(); // a key read as "none" may exist now
    await insertRows(this.trx, 'exchange_deliveries', deliveries.map((d) => ({
      document_id: d.documentId, agency_organ_id: d.agencyOrganId, recipient_organ_id: d.recipientOrganId, recipient_name: d.recipientName,
      edxml_document_id: d.edxmlDocumentId, message_id: d.messageId, pending_request: d.pendingRequest ?? null, replaces_document_id: d.replacesDocumentId ?? null,
    })), '', SEND_WITH_NEXT);
  }

  expectDeliveries(agencyOrganId: string, keys: readonly DeliveryKey[]): void {
    this.deliveries.announce(agencyOrganId, keys);
  }

  async findDeliveryForUpdate(agencyOrganId: string, edxmlDocumentId: string, recipientOrganId: string): Promise<Delivery | null> {
    const wanted = { edxmlDocumentId, recipientOrganId };
    const locked = this.deliveries.known.get(deliveryKey(agencyOrganId, wanted));
    if (locked !== undefined) return locked;
    if (!this.deliveriesLocked.has(agencyOrganId)) { // first the agency's lock, sent with the row's
      this.deliveriesLocked.add(agencyOrganId);
      await runSql(this.trx, LOCK_DELIVERIES, [agencyOrganId], SEND_WITH_NEXT);
    }
    const ahead = await this.deliveries.read(agencyOrganId, wanted, async (keys) => {
      const { rows } = await runSql<DeliveryRow>(this.trx, DELIVERIES_FOR_UPDATE, [agencyOrganId, keys.map((k) => k.edxmlDocumentId), keys.map((k) => k.recipientOrganId)]);
      return rows.map((row) => ({ key: { edxmlDocumentId: row.edxml_document_id, recipientOrganId: row.recipient_organ_id }, value: toDelivery(row) }));
    });
    if (ahead !== undefined) return ahead;
    const row = await this.trx<DeliveryRow>('exchange_deliveries')
      .where({ agency_organ_id: agencyOrganId, edxml_document_id: edxmlDocumentId, recipient_organ_id: recipientOrganId }).forUpdate().first();
    const delivery = row ? toDelivery(row) : null;
    this.deliveries.known.set(deliveryKey(agencyOrganId, wanted), delivery);
    return delivery;
  }

  async updateDelivery(d: Delivery): Promise<void> {
    await runSql(this.trx, UPDATE_DELIVERY, [
      d.messageId, d.status, d.arrivalNumber, d.reason, JSON.stringify(d.history), d.pendingRequest, d.removedAt, d.documentId, d.recipientOrganId,
    ], SEND_WITH_NEXT);
    for (const [key, held] of this.deliveries.known) { // the row as written (its key columns are not)
      if (held?.documentId === d.documentId && held.recipientOrganId === d.recipientOrganId) this.deliveries.known.set(key, { ...d, agencyOrganId: held.agencyOrganId, edxmlDocumentId: held.edxmlDocumentId });
    }
  }

  async listDeliveries(agencyOrganId: string, documentId: string): Promise<DeliveryView[]> {
    const { rows } = await runSql<(DeliveryRow & { outbox_state: DeliveryView['outboxState']; last_error: string | null })>(this.trx, LIST_DELIVERIES, [agencyOrganId, documentId]);
    return rows.map((r) => {
      const d = toDelivery(r);
      return { ...d, outboxState: r.outbox_state ?? null, lastError: r.last_error ?? null, state: deliveryState(d.status, r.outbox_state ?? null) };
    });
  }

  /**
   * One statement on the receipt's path: the insert, and the link of the requests that were waiting for
   * this document (a recall, update or replacement that overtook it; rare, so they are read only then).
   */
  async insertReceived(r: ReceivedPackage): Promise<ReceivedInsert> {
    this.receipts.known.delete(receivedKey(r.agencyOrganId, r)); // read afresh from now on
    const { rows: [row] } = await runSql<{ inserted: number; linked: string[] }>(this.trx, INSERT_RECEIVED, [
      r.documentId, r.agencyOrganId, r.senderOrganId, r.edxmlDocumentId, r.businessDocType, r.messageId, r.packageSha256,
      JSON.stringify(r.header), JSON.stringify(r.report), JSON.stringify(r.attachmentReports), r.lastStatus,
    ]);
    if (!row) throw new Error('insertReceived: the statement answered no row');
    if (row.inserted === 0) return { duplicate: true };
    if (row.linked.length === 0) return { duplicate: false, linkedRequests: [] };
    const rows = await this.trx<RequestRow>('exchange_requests').whereIn('id', row.linked).orderBy([{ column: 'received_at' }, { column: 'id' }]);
    return { duplicate: false, linkedRequests: rows.map(toRequest) };
  }

  /**
   * The pass behind `insertReceived`'s link: a request and its document received at the same moment by two
   * processes each miss the other's uncommitted row. Links every request of the agency still waiting whose
   * document is now recorded (the same choice as `findReceivedDocument`); a concurrent pass or receipt that
   * linked a row first makes this one skip it (the row is re-checked after its lock).
   */
  async linkWaitingRequests(agencyOrganId: string): Promise<ExchangeRequest[]> {
    const result = await this.trx.raw(`UPDATE exchange_requests q SET document_id = (
        SELECT r.document_id FROM exchange_received r
        WHERE r.agency_organ_id = q.agency_organ_id AND r.sender_organ_id = q.sender_organ_id AND r.edxml_document_id = q.target_edxml_document_id
        ORDER BY r.business_doc_type LIMIT 1)
      WHERE q.agency_organ_id = ? AND q.document_id IS NULL AND q.target_edxml_document_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM exchange_received r
        WHERE r.agency_organ_id = q.agency_organ_id AND r.sender_organ_id = q.sender_organ_id AND r.edxml_document_id = q.target_edxml_document_id)
      RETURNING q.*`, [agencyOrganId]) as { rows: RequestRow[] };
    return result.rows.map(toRequest)
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
  }

  async findReceived(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string, businessDocType: number): Promise<ReceivedRecord | null> {
    const { rows: [row] } = await runSql<ReceivedRow>(this.trx, FIND_RECEIVED, [agencyOrganId, senderOrganId, edxmlDocumentId, businessDocType]);
    return row ? toReceived(row) : null;
  }

  async findForSending(agencyOrganId: string, documentId: string): Promise<{ document: RegistryDocument; sentTo: string[] } | null> {
    const { rows: [row] } = await runSql<DocumentRow & { sent_to: string[] }>(this.trx, FIND_FOR_SENDING, [documentId, agencyOrganId]);
    return row ? { document: toDocument(row), sentTo: row.sent_to } : null;
  }

  async findWithReceiptForUpdate(agencyOrganId: string, documentId: string): Promise<{ document: RegistryDocument; received: ReceivedRecord | null } | null> {
    const { rows: [row] } = await runSql<DocumentRow & { [K in keyof ReceivedRow as `r_${K}`]: ReceivedRow[K] | null }>(this.trx, FIND_WITH_RECEIPT_FOR_UPDATE, [documentId, agencyOrganId]);
    if (!row) return null;
    const received = row.r_document_id === null ? null : toReceived({
      document_id: row.r_document_id, agency_organ_id: row.r_agency_organ_id as string, sender_organ_id: row.r_sender_organ_id as string, edxml_document_id: row.r_edxml_document_id as string,
      business_doc_type: row.r_business_doc_type as number, message_id: row.r_message_id as string, package_sha256: row.r_package_sha256 as string, header: row.r_header, last_status: row.r_last_status as string,
    });
    return { document: toDocument(row), received };
  }

  async findReceivedByDocument(agencyOrganId: string, documentId: string): Promise<ReceivedRecord | null> {
    const { rows: [row] } = await runSql<ReceivedRow>(this.trx, FIND_RECEIVED_BY_DOCUMENT, [documentId, agencyOrganId]);
    return row ? toReceived(row) : null;
  }

  expectReceived(agencyOrganId: string, keys: readonly ReceiptKey[]): void {
    this.receipts.announce(agencyOrganId, keys);
  }

  async findReceivedDocument(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string): Promise<ReceivedRecord | null> {
    const wanted = { senderOrganId, edxmlDocumentId };
    const known = this.receipts.known.get(receivedKey(agencyOrganId, wanted));
    if (known !== undefined) return known;
    const ahead = await this.receipts.read(agencyOrganId, wanted, async (keys) => {
      const { rows } = await runSql<ReceivedRow>(this.trx, FIND_RECEIVED_DOCUMENTS, [agencyOrganId, keys.map((k) => k.senderOrganId), keys.map((k) => k.edxmlDocumentId)]);
      return rows.map((row) => ({ key: { senderOrganId: row.sender_organ_id, edxmlDocumentId: row.edxml_document_id }, value: toReceived(row) }));
    });
    if (ahead !== undefined) return ahead;
    const { rows: [row] } = await runSql<ReceivedRow>(this.trx, FIND_RECEIVED_DOCUMENT, [agencyOrganId, senderOrganId, edxmlDocumentId]);
    return row ? toReceived(row) : null;
  }

  async setReceivedStatus(documentId: string, status: StatusCode): Promise<void> {
    for (const [key, held] of this.receipts.known) if (held?.documentId === documentId) this.receipts.known.set(key, { ...held, lastStatus: status });
    await runSql(this.trx, SET_RECEIVED_STATUS, [status, documentId], SEND_WITH_NEXT);
  }

  async insertQuarantine(q: QuarantinedPackage): Promise<void> {
    await this.trx('exchange_quarantine').insert({
      id: q.id, agency_organ_id: q.agencyOrganId, sender_organ_id: q.senderOrganId, message_id: q.messageId, message_type: q.messageType, reason_code: q.reasonCode,
      reason: q.reason, report: JSON.stringify(q.report), package_sha256: q.packageSha256, answered: q.answered, received_at: q.receivedAt,
    });
  }

  async listQuarantine(agencyOrganId: string, limit: number): Promise<QuarantinedPackage[]> {
    const rows = await this.trx<QuarantineRow>('exchange_quarantine').where({ agency_organ_id: agencyOrganId }).orderBy('received_at', 'desc').limit(limit);
    return rows.map(toQuarantined);
  }

  async findQuarantineForUpdate(agencyOrganId: string, id: string): Promise<QuarantinedPackage | null> {
    const row = await byPrimaryKey(this.trx<QuarantineRow>('exchange_quarantine'), id, agencyOrganId).forUpdate().first();
    return row ? toQuarantined(row) : null;
  }

  async markQuarantineReprocessed(id: string, r: QuarantineReprocessing): Promise<void> {
    await this.trx('exchange_quarantine').where({ id }).update({ reprocessed_at: r.at, reprocessed_by: r.by, reprocess_outcome: JSON.stringify(r.outcome) });
  }

  async insertRequest(r: Omit<ExchangeRequest, 'state' | 'answer' | 'receivedAt' | 'previousDocumentStatus'>): Promise<'inserted' | 'duplicate'> {
    const rows = await this.trx('exchange_requests').insert({
      id: r.id, agency_organ_id: r.agencyOrganId, sender_organ_id: r.senderOrganId, edxml_document_id: r.edxmlDocumentId, business_doc_type: r.businessDocType,
      target_edxml_document_id: r.targetEdxmlDocumentId, document_id: r.documentId, replacement_document_id: r.replacementDocumentId, reason: r.reason, message_id: r.messageId, header: JSON.stringify(r.header),
      package_sha256: r.packageSha256, business: r.business === null || r.business === undefined ? null : JSON.stringify(r.business), sent_at: r.sentAt,
    }).onConflict(['agency_organ_id', 'sender_organ_id', 'edxml_document_id', 'business_doc_type', 'package_sha256']).ignore().returning('id');
    return rows.length === 1 ? 'inserted' : 'duplicate';
  }

  async findRequest(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string, businessDocType: number, packageSha256 = ''): Promise<ExchangeRequest | null> {
    const row = await this.trx<RequestRow>('exchange_requests')
      .where({ agency_organ_id: agencyOrganId, sender_organ_id: senderOrganId, edxml_document_id: edxmlDocumentId, business_doc_type: businessDocType, package_sha256: packageSha256 }).first();
    return row ? toRequest(row) : null;
  }

  async recordPreviousDocumentStatus(requestId: string, status: DocumentStatus): Promise<void> {
    await this.trx('exchange_requests').where({ id: requestId }).update({ previous_document_status: status });
  }

  async findLastRemoval(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string): Promise<ExchangeRequest | null> {
    const row = await this.trx<RequestRow>('exchange_requests')
      .where({ agency_organ_id: agencyOrganId, sender_organ_id: senderOrganId, edxml_document_id: edxmlDocumentId, business_doc_type: 2 })
      .whereRaw(`business->'businessDocumentInfo'->'receivers' @> ?::jsonb`, [JSON.stringify([{ organId: agencyOrganId, receiverType: 0 }])])
      .orderBy([{ column: 'received_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first();
    return row ? toRequest(row) : null;
  }

  async findRequestForUpdate(agencyOrganId: string, id: string): Promise<ExchangeRequest | null> {
    const row = await this.trx<RequestRow>('exchange_requests').where({ agency_organ_id: agencyOrganId, id }).forUpdate().first();
    return row ? toRequest(row) : null;
  }

  async answerRequest(id: string, state: 'accepted' | 'refused', answer: string | null): Promise<void> {
    await this.trx('exchange_requests').where({ id }).update({ state, answer, answered_at: this.trx.fn.now() });
  }

  async listRequests(agencyOrganId: string, limit: number): Promise<ExchangeRequest[]> {
    const rows = await this.trx<RequestRow>('exchange_requests').where({ agency_organ_id: agencyOrganId }).orderBy('received_at', 'desc').limit(limit);
    return rows.map(toRequest);
  }

  async updateDocumentMetadata(e: Omit<MetadataHistoryEntry, 'changedAt'>): Promise<void> {
    const columns: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(e.after) as [UpdatableField, unknown][]) {
      const target = METADATA_COLUMNS[field];
      columns[target.column] = target.json ? JSON.stringify(value) : value;
    }
    if (Object.keys(columns).length === 0) return;
    await this.trx('documents').where({ id: e.documentId, agency_organ_id: e.agencyOrganId }).update({ ...columns, updated_at: this.trx.fn.now() });
    await this.trx('document_metadata_history').insert({
      id: e.id, document_id: e.documentId, agency_organ_id: e.agencyOrganId, source: e.source, request_id: e.requestId, reason: e.reason,
      before: JSON.stringify(e.before), after: JSON.stringify(e.after), changed_by: e.changedBy,
    });
  }

  async metadataHistory(agencyOrganId: string, documentId: string): Promise<MetadataHistoryEntry[]> {
    const rows = await this.trx<HistoryRow>('document_metadata_history').where({ agency_organ_id: agencyOrganId, document_id: documentId }).orderBy('changed_at').orderBy('id');
    return rows.map((r) => ({
      id: r.id, documentId: r.document_id, agencyOrganId: r.agency_organ_id, source: r.source, requestId: r.request_id, reason: r.reason,
      before: json(r.before), after: json(r.after), changedBy: r.changed_by, changedAt: iso(r.changed_at),
    }));
  }

  async saveDirectory(directory: SignedDirectory, version: number): Promise<void> {
    await this.trx('exchange_directory').insert({ id: 1, version, signed: JSON.stringify(directory), installed_at: this.trx.fn.now() })
      .onConflict('id').merge();
  }

  async loadDirectory(): Promise<SignedDirectory | undefined> {
    const row = await this.trx('exchange_directory').where('id', 1).first() as { signed: unknown } | undefined;
    return row ? json(row.signed as SignedDirectory) : undefined;
  }
}
