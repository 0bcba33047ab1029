// What the API shows of deliveries (per recipient of a sent document) and of quarantined packages.
import { statusCodeLabels, type StatusCode } from '../../domain/edxml-codes.ts';
import type { DeliveryView, QuarantinedPackage, RecallRequest } from '../../domain/exchange.ts';

const stateLabels: Record<DeliveryView['state'], string> = {
  queued: 'Chờ gửi', sent: 'Đã gửi', failed: 'Gửi lỗi',
  '01': statusCodeLabels['01'], '02': statusCodeLabels['02'], '03': statusCodeLabels['03'], '04': statusCodeLabels['04'], '05': statusCodeLabels['05'], '06': statusCodeLabels['06'],
};

export function presentDelivery(d: DeliveryView) {
  return {
    recipientOrganId: d.recipientOrganId,
    recipientName: d.recipientName,
    edxmlDocumentId: d.edxmlDocumentId,
    state: d.state,
    stateLabel: stateLabels[d.state],
    arrivalNumber: d.arrivalNumber,
    reason: d.reason,
    lastError: d.lastError,
    history: d.history.map((e) => ({ code: e.code, label: statusCodeLabels[e.code as StatusCode], at: e.at, description: e.description, arrivalNumber: e.arrivalNumber })),
    updatedAt: d.updatedAt,
  };
}

export function presentQuarantined(q: QuarantinedPackage) {
  return { id: q.id, senderOrganId: q.senderOrganId, messageId: q.messageId, reasonCode: q.reasonCode, reason: q.reason, answered: q.answered, receivedAt: q.receivedAt, packageSha256: q.packageSha256 };
}

export function presentRecallRequest(r: RecallRequest) {
  return { id: r.id, senderOrganId: r.senderOrganId, edxmlDocumentId: r.edxmlDocumentId, businessDocType: r.businessDocType, documentId: r.documentId, reason: r.reason, state: r.state, answer: r.answer, receivedAt: r.receivedAt };
}
