// What the API shows of deliveries (per recipient of a sent document), quarantined packages, the
// senders' requests (recall, update, replacement) and the metadata history of updated documents.
import { businessDocTypeLabels, isBusinessDocType, statusCodeLabels, type StatusCode } from '../../domain/edxml-codes.ts';
import { RESENT, reprocessRefusal, type DeliveryView, type ExchangeRequest, type MetadataHistoryEntry, type QuarantinedPackage } from '../../domain/exchange.ts';

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
    history: d.history.map((e) => ({ code: e.code, label: e.code === RESENT ? 'Gửi lại' : statusCodeLabels[e.code as StatusCode], at: e.at, description: e.description, arrivalNumber: e.arrivalNumber, request: e.request ?? null })),
    pendingRequest: d.pendingRequest,
    removedAt: d.removedAt,
    replacesDocumentId: d.replacesDocumentId,
    updatedAt: d.updatedAt,
  };
}

export function presentQuarantined(q: QuarantinedPackage) {
  return {
    id: q.id, senderOrganId: q.senderOrganId, messageId: q.messageId, messageType: q.messageType, reasonCode: q.reasonCode, reason: q.reason,
    answered: q.answered, receivedAt: q.receivedAt, packageSha256: q.packageSha256,
    reprocessable: reprocessRefusal(q) === null, // e.g. after a fresh directory; once
    reprocessed: q.reprocessed,
  };
}

interface BusinessView {
  readonly businessDocumentInfo?: { documentInfo?: boolean; documentReceiver?: boolean; receivers: { organId: string; receiverType: 0 | 1 }[] };
  readonly replacementInfoList?: { documentId: string; organIds: string[] }[];
}

export function presentExchangeRequest(r: ExchangeRequest) {
  const business = (r.business ?? {}) as BusinessView;
  const info = business.businessDocumentInfo;
  return {
    id: r.id, senderOrganId: r.senderOrganId, edxmlDocumentId: r.edxmlDocumentId, businessDocType: r.businessDocType,
    businessDocTypeLabel: isBusinessDocType(r.businessDocType) ? businessDocTypeLabels[r.businessDocType] : null,
    documentId: r.documentId, replacementDocumentId: r.replacementDocumentId, reason: r.reason, state: r.state, answer: r.answer, receivedAt: r.receivedAt,
    ...(info ? { update: { documentInfo: info.documentInfo ?? null, documentReceiver: info.documentReceiver ?? null, added: info.receivers.filter((x) => x.receiverType === 1).map((x) => x.organId), removed: info.receivers.filter((x) => x.receiverType === 0).map((x) => x.organId) } } : {}),
    ...(business.replacementInfoList?.length ? { replaces: business.replacementInfoList } : {}),
  };
}

export function presentMetadataHistory(e: MetadataHistoryEntry) {
  return { id: e.id, source: e.source, requestId: e.requestId, reason: e.reason, before: e.before, after: e.after, changedBy: e.changedBy, changedAt: e.changedAt };
}
