// The exchange tables (migration 20261123140000): deliveries per recipient, received packages, quarantine
// and the node's current directory, written in the caller's transaction.
import type { Knex } from 'knex';
import type { SignedDirectory } from '../domain/directory.ts';
import type { StatusCode } from '../domain/edxml-codes.ts';
import { deliveryState, type Delivery, type DeliveryView, type ExchangeRepository, type QuarantinedPackage, type ReceivedPackage, type RecallRequest, type StatusEvent } from '../domain/exchange.ts';
import type { SignatureValidationReport } from '../domain/validation-report.ts';

interface DeliveryRow {
  document_id: string; agency_organ_id: string; recipient_organ_id: string; recipient_name: string; edxml_document_id: string;
  message_id: string; status: string | null; arrival_number: number | null; reason: string | null; history: StatusEvent[] | string;
  created_at: Date | string; updated_at: Date | string;
}
interface ReceivedRow {
  document_id: string; agency_organ_id: string; sender_organ_id: string; edxml_document_id: string; business_doc_type: number;
  message_id: string; package_sha256: string; header: unknown; report: unknown; attachment_reports: unknown; last_status: string;
}
interface QuarantineRow {
  id: string; agency_organ_id: string; sender_organ_id: string; message_id: string; reason_code: string; reason: string;
  report: unknown; package_sha256: string | null; answered: boolean; received_at: Date | string;
}

const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);
const iso = (value: Date | string): string => new Date(value).toISOString();

const toDelivery = (r: DeliveryRow): Delivery => ({
  documentId: r.document_id, agencyOrganId: r.agency_organ_id, recipientOrganId: r.recipient_organ_id, recipientName: r.recipient_name,
  edxmlDocumentId: r.edxml_document_id, messageId: r.message_id, status: r.status as StatusCode | null, arrivalNumber: r.arrival_number,
  reason: r.reason, history: json(r.history), createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
});

interface RequestRow {
  id: string; agency_organ_id: string; sender_organ_id: string; edxml_document_id: string; business_doc_type: number; document_id: string | null;
  reason: string | null; state: RecallRequest['state']; answer: string | null; message_id: string; header: unknown; received_at: Date | string;
}
const toRequest = (r: RequestRow): RecallRequest => ({
  id: r.id, agencyOrganId: r.agency_organ_id, senderOrganId: r.sender_organ_id, edxmlDocumentId: r.edxml_document_id, businessDocType: r.business_doc_type,
  documentId: r.document_id, reason: r.reason, state: r.state, answer: r.answer, messageId: r.message_id, header: json(r.header), receivedAt: iso(r.received_at),
});

const toReceived = (r: ReceivedRow): ReceivedPackage => ({
  documentId: r.document_id, agencyOrganId: r.agency_organ_id, senderOrganId: r.sender_organ_id, edxmlDocumentId: r.edxml_document_id,
  businessDocType: r.business_doc_type, messageId: r.message_id, packageSha256: r.package_sha256, header: json(r.header),
  report: json(r.report as SignatureValidationReport), attachmentReports: json((r.attachment_reports ?? []) as SignatureValidationReport[]), lastStatus: r.last_status as StatusCode,
});

export class KnexExchangeRepository implements ExchangeRepository {
  constructor(private readonly trx: Knex.Transaction) {}

  async insertDeliveries(deliveries: Parameters<ExchangeRepository['insertDeliveries']>[0]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.trx('exchange_deliveries').insert(deliveries.map((d) => ({
      document_id: d.documentId, agency_organ_id: d.agencyOrganId, recipient_organ_id: d.recipientOrganId, recipient_name: d.recipientName,
      edxml_document_id: d.edxmlDocumentId, message_id: d.messageId,
    })));
  }

  async findDeliveryForUpdate(agencyOrganId: string, edxmlDocumentId: string, recipientOrganId: string): Promise<Delivery | null> {
    const row = await this.trx<DeliveryRow>('exchange_deliveries')
      .where({ agency_organ_id: agencyOrganId, edxml_document_id: edxmlDocumentId, recipient_organ_id: recipientOrganId }).forUpdate().first();
    return row ? toDelivery(row) : null;
  }

  async updateDelivery(d: Delivery): Promise<void> {
    await this.trx('exchange_deliveries').where({ document_id: d.documentId, recipient_organ_id: d.recipientOrganId }).update({
      status: d.status, arrival_number: d.arrivalNumber, reason: d.reason, history: JSON.stringify(d.history), updated_at: this.trx.fn.now(),
    });
  }

  async listDeliveries(agencyOrganId: string, documentId: string): Promise<DeliveryView[]> {
    const rows = await this.trx('exchange_deliveries as d')
      .leftJoin('axis_outbox as o', 'o.message_id', 'd.message_id')
      .where({ 'd.agency_organ_id': agencyOrganId, 'd.document_id': documentId })
      .select('d.*', 'o.state as outbox_state', 'o.last_error as last_error')
      .orderBy('d.recipient_organ_id') as (DeliveryRow & { outbox_state: DeliveryView['outboxState']; last_error: string | null })[];
    return rows.map((r) => {
      const d = toDelivery(r);
      return { ...d, outboxState: r.outbox_state ?? null, lastError: r.last_error ?? null, state: deliveryState(d.status, r.outbox_state ?? null) };
    });
  }

  async insertReceived(r: ReceivedPackage): Promise<'inserted' | 'duplicate'> {
    const rows = await this.trx('exchange_received').insert({
      document_id: r.documentId, agency_organ_id: r.agencyOrganId, sender_organ_id: r.senderOrganId, edxml_document_id: r.edxmlDocumentId,
      business_doc_type: r.businessDocType, message_id: r.messageId, package_sha256: r.packageSha256, header: JSON.stringify(r.header),
      report: JSON.stringify(r.report), attachment_reports: JSON.stringify(r.attachmentReports), last_status: r.lastStatus,
    }).onConflict(['agency_organ_id', 'sender_organ_id', 'edxml_document_id', 'business_doc_type']).ignore().returning('document_id');
    return rows.length === 1 ? 'inserted' : 'duplicate';
  }

  async findReceived(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string, businessDocType: number): Promise<ReceivedPackage | null> {
    const row = await this.trx<ReceivedRow>('exchange_received')
      .where({ agency_organ_id: agencyOrganId, sender_organ_id: senderOrganId, edxml_document_id: edxmlDocumentId, business_doc_type: businessDocType }).first();
    return row ? toReceived(row) : null;
  }

  async findReceivedByDocument(agencyOrganId: string, documentId: string): Promise<ReceivedPackage | null> {
    const row = await this.trx<ReceivedRow>('exchange_received').where({ agency_organ_id: agencyOrganId, document_id: documentId }).first();
    return row ? toReceived(row) : null;
  }

  async setReceivedStatus(documentId: string, status: StatusCode): Promise<void> {
    await this.trx('exchange_received').where({ document_id: documentId }).update({ last_status: status });
  }

  async insertQuarantine(q: QuarantinedPackage): Promise<void> {
    await this.trx('exchange_quarantine').insert({
      id: q.id, agency_organ_id: q.agencyOrganId, sender_organ_id: q.senderOrganId, message_id: q.messageId, reason_code: q.reasonCode,
      reason: q.reason, report: JSON.stringify(q.report), package_sha256: q.packageSha256, answered: q.answered, received_at: q.receivedAt,
    });
  }

  async listQuarantine(agencyOrganId: string, limit: number): Promise<QuarantinedPackage[]> {
    const rows = await this.trx<QuarantineRow>('exchange_quarantine').where({ agency_organ_id: agencyOrganId }).orderBy('received_at', 'desc').limit(limit);
    return rows.map((r) => ({
      id: r.id, agencyOrganId: r.agency_organ_id, senderOrganId: r.sender_organ_id, messageId: r.message_id, reasonCode: r.reason_code,
      reason: r.reason, report: json(r.report), packageSha256: r.package_sha256, answered: r.answered, receivedAt: iso(r.received_at),
    }));
  }

  async insertRequest(r: Omit<RecallRequest, 'state' | 'answer' | 'receivedAt'>): Promise<'inserted' | 'duplicate'> {
    const rows = await this.trx('exchange_requests').insert({
      id: r.id, agency_organ_id: r.agencyOrganId, sender_organ_id: r.senderOrganId, edxml_document_id: r.edxmlDocumentId, business_doc_type: r.businessDocType,
      document_id: r.documentId, reason: r.reason, message_id: r.messageId, header: JSON.stringify(r.header),
    }).onConflict(['agency_organ_id', 'sender_organ_id', 'edxml_document_id', 'business_doc_type']).ignore().returning('id');
    return rows.length === 1 ? 'inserted' : 'duplicate';
  }

  async findRequest(agencyOrganId: string, senderOrganId: string, edxmlDocumentId: string, businessDocType: number): Promise<RecallRequest | null> {
    const row = await this.trx<RequestRow>('exchange_requests')
      .where({ agency_organ_id: agencyOrganId, sender_organ_id: senderOrganId, edxml_document_id: edxmlDocumentId, business_doc_type: businessDocType }).first();
    return row ? toRequest(row) : null;
  }

  async findRequestForUpdate(agencyOrganId: string, id: string): Promise<RecallRequest | null> {
    const row = await this.trx<RequestRow>('exchange_requests').where({ agency_organ_id: agencyOrganId, id }).forUpdate().first();
    return row ? toRequest(row) : null;
  }

  async answerRequest(id: string, state: 'accepted' | 'refused', answer: string | null): Promise<void> {
    await this.trx('exchange_requests').where({ id }).update({ state, answer, answered_at: this.trx.fn.now() });
  }

  async listRequests(agencyOrganId: string, limit: number): Promise<RecallRequest[]> {
    const rows = await this.trx<RequestRow>('exchange_requests').where({ agency_organ_id: agencyOrganId }).orderBy('received_at', 'desc').limit(limit);
    return rows.map(toRequest);
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
