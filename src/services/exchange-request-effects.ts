// What accepting a sender's request (issue 5 item 6; Nghị định 30, art. 17) does to the incoming document it
// concerns: a recall cancels it (status `recalled`, metadata and số đến kept); an update changes its
// metadata with the previous values kept (metadata history), or, when it removes this agency from the
// recipients, cancels it like a recall; a replacement marks it `replaced` (kept; the request links it to
// the new document). Applied when the văn thư accepts (ExchangeClerkService.answerRequest) and, for a
// request accepted before its document arrived, when the document arrives (ExchangeReceivingService).
import { randomUUID } from 'node:crypto';
import { DomainError } from '../domain/errors.ts';
import type { AuditEvent } from '../domain/audit.ts';
import { requestKindOf, type ExchangeRepositories, type ExchangeRequest } from '../domain/exchange.ts';
import { diffMetadata, isEmptyDiff, type MetadataChanges } from '../domain/exchange-update.ts';
import type { Business, DocumentHeader } from '../edxml/model.ts';
import { incomingMetadataFromPackage } from '../edxml/registry-mapping.ts';

/**
 * The audit entry of an answered request (`incoming.<kind>_accept|refuse`), on the document it concerns:
 * the văn thư's answer, one accepted before its document arrived, one answered automatically (`extra`
 * says which, with the effect).
 */
export function requestAnswerEvent(request: ExchangeRequest, actor: string, accept: boolean, answer: string | null, extra: Record<string, unknown> = {}): AuditEvent {
  return {
    actor, action: `incoming.${requestKindOf(request.businessDocType) ?? 'request'}_${accept ? 'accept' : 'refuse'}`, subjectType: 'document',
    subjectId: request.documentId ?? request.id, after: { requestId: request.id, reason: request.reason, answer, ...extra },
  };
}

/** Applies an accepted request to `documentId`; returns what changed, for the audit entry. `changedBy`: a user id. */
export async function applyAcceptedRequest(repos: ExchangeRepositories, organId: string, request: ExchangeRequest, documentId: string, changedBy: string): Promise<Record<string, unknown>> {
  const doc = await repos.documents.findForUpdate(organId, documentId);
  if (!doc) throw new DomainError('registry.document_not_found', { details: [{ field: 'documentId', message: documentId }] });
  if (request.businessDocType === 1) {
    await repos.documents.setStatus(documentId, 'recalled');
    return { status: 'recalled' };
  }
  if (request.businessDocType === 3) {
    await repos.documents.setStatus(documentId, 'replaced');
    return { status: 'replaced', replacedBy: request.replacementDocumentId };
  }
  const update = updateFromPackage(request.header as DocumentHeader, request.business as Business | null, organId);
  if (update.removed) {
    if (doc.status === 'recalled') return { status: 'recalled', removedFromRecipients: true, unchanged: true };
    await repos.documents.setStatus(documentId, 'recalled');
    await repos.exchange.recordPreviousDocumentStatus(request.id, doc.status);
    return { status: 'recalled', removedFromRecipients: true, previousStatus: doc.status };
  }
  const reinstated = !update.added ? {}
    : doc.status === 'recalled' ? await reinstate(repos, organId, request, documentId)
      : doc.status === 'returned' ? await receiveAgain(repos, documentId) : {};
  const diff = diffMetadata(doc.metadata, update.changes);
  if (isEmptyDiff(diff)) return { ...reinstated, changed: [] };
  await repos.exchange.updateDocumentMetadata({ id: randomUUID(), documentId, agencyOrganId: organId, source: 'update_received', requestId: request.id, reason: request.reason, before: diff.before, after: diff.after, changedBy });
  return { ...reinstated, changed: Object.keys(diff.after), before: diff.before };
}

/**
 * This agency, removed from the recipients by an earlier update (accepted: its document cancelled), is
 * added back: the document returns to the status it had (with its số đến, assignments…), not received
 * anew. A document cancelled otherwise (a recall) stays cancelled.
 */
async function reinstate(repos: ExchangeRepositories, organId: string, request: ExchangeRequest, documentId: string): Promise<Record<string, unknown>> {
  const removal = await repos.exchange.findLastRemoval(organId, request.senderOrganId, request.targetEdxmlDocumentId ?? request.edxmlDocumentId);
  if (!removal || removal.documentId !== documentId || removal.previousDocumentStatus === null) return {};
  await repos.documents.setStatus(documentId, removal.previousDocumentStatus);
  return { reinstated: removal.previousDocumentStatus, removalRequestId: removal.id };
}

/** This agency returned the document (02) and the sender sends it again: it awaits the văn thư again. */
async function receiveAgain(repos: ExchangeRepositories, documentId: string): Promise<Record<string, unknown>> {
  await repos.documents.setStatus(documentId, 'received');
  return { reopened: 'received', previousStatus: 'returned' };
}

/**
 * What an update package changes on the receiver: with DocumentInfo the document's metadata items as the
 * package now states them; with DocumentReceiver the recipients (To minus the removed ones — a removed
 * recipient is addressed too, so it knows) and the printed Nơi nhận. Absent flags (vendors omit them)
 * count as set. `removed`: this agency is among the removed recipients; `added`: among the added ones.
 */
export function updateFromPackage(header: DocumentHeader, business: Business | null, organId: string): { changes: MetadataChanges; removed: boolean; added: boolean } {
  const info = business?.businessDocumentInfo;
  const removedIds = new Set<string>(info?.receivers.filter((r) => r.receiverType === 0).map((r) => r.organId) ?? []);
  const m = incomingMetadataFromPackage({ kind: 'document', header, traceHeaders: [], business: undefined, manifest: [], attachments: [], signature: 'absent', warnings: [] }, new Date(0)).metadata;
  const changes: MetadataChanges = {
    ...(info?.documentInfo !== false ? { typeName: m.typeName, subject: m.subject, description: m.description, pageAmount: m.pageAmount, signerInfo: m.signerInfo, priority: m.priority, issuedAmount: m.issuedAmount, dueDate: m.dueDate } : {}),
    ...(info?.documentReceiver !== false ? { to: m.to.filter((t) => !t.organId || !removedIds.has(t.organId)), toPlaces: m.toPlaces } : {}),
  };
  const added = info?.receivers.some((r) => r.receiverType === 1 && r.organId === organId) ?? false;
  return { changes, removed: removedIds.has(organId), added };
}
