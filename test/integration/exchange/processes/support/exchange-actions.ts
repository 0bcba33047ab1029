// What the users of the agencies do over the HTTP API of their node (chuyên viên drafts, lãnh đạo signs,
// văn thư issues and sends, accepts…), and what the tests count directly in the nodes' databases.
import { expect } from 'chai';
import { demoNetwork } from '../../../../../src/domain/demo-network.ts';
import { waitUntil } from '../../../../support/node-process.ts';
import type { AgencyNode } from './process-network.ts';

export const VPCP = '000.00.00.G22'; // sender
export const TAY_NINH = '000.00.00.H53';
export const SO_TTTT = '000.00.13.H53';

export const vanThu = (organId: string) => `vanthu@${organId}`;
export const lanhDao = (organId: string) => `lanhdao@${organId}`;
export const chuyenVien = (organId: string) => `chuyenvien@${organId}`;

const nameOf = (organId: string) => demoNetwork.find((a) => a.organId === organId)?.name ?? organId;

export interface SentDocument {
  readonly documentId: string; // the sender's outgoing document
  readonly edxmlDocumentId: string;
}

/** Chuyên viên drafts, văn thư issues (number, ký hiệu): the outgoing document id. */
export async function draftAndIssue(sender: AgencyNode, subject: string, recipients: readonly string[], attach?: (documentId: string) => Promise<void>): Promise<string> {
  const { organId, client } = sender;
  const draft = await client.expect(201, 'POST', `/api/agencies/${organId}/outgoing`, {
    user: chuyenVien(organId),
    json: { typeName: 'Công văn', subject, priority: 0, recipients: recipients.map((r) => ({ organId: r, organName: nameOf(r) })) },
  });
  if (attach) await attach(draft.id as string);
  await client.expect(200, 'POST', `/api/agencies/${organId}/outgoing/${draft.id}/issue`, { user: vanThu(organId) });
  return draft.id as string;
}

/** Văn thư sends an issued document over the axis (202: one outbox entry per recipient). */
export async function send(sender: AgencyNode, documentId: string): Promise<SentDocument> {
  const sent = await sender.client.expect(202, 'POST', `/api/agencies/${sender.organId}/outgoing/${documentId}/send`, { user: vanThu(sender.organId) });
  return { documentId, edxmlDocumentId: sent.edxmlDocumentId as string };
}

export async function issueAndSend(sender: AgencyNode, subject: string, recipients: readonly string[]): Promise<SentDocument> {
  return send(sender, await draftAndIssue(sender, subject, recipients));
}

/** Runs `work` over `items` with at most `concurrency` at once, in order of start. */
export async function inParallel<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export interface DeliveryItem {
  recipientOrganId: string;
  recipientName: string;
  state: string;
  arrivalNumber: number | null;
  lastError: string | null;
  history: { code: string; description: string | null; arrivalNumber: number | null }[];
}

export async function deliveries(sender: AgencyNode, documentId: string): Promise<DeliveryItem[]> {
  return (await sender.client.expect(200, 'GET', `/api/agencies/${sender.organId}/outgoing/${documentId}/deliveries`, { user: vanThu(sender.organId) })).items as DeliveryItem[];
}

/** The incoming rows of the recipient's database for these edXML DocumentIds. */
export async function incomingRows(recipient: AgencyNode, edxmlDocumentIds: readonly string[]): Promise<{ id: string; edxml_document_id: string; status: string; arrival_number: number | null }[]> {
  return recipient.knex('documents').where({ direction: 'incoming', agency_organ_id: recipient.organId }).whereIn('edxml_document_id', [...edxmlDocumentIds])
    .select('id', 'edxml_document_id', 'status', 'arrival_number');
}

/** Waits until the recipient holds one incoming row for each of the DocumentIds (or more: counted after). */
export async function waitForReceipt(recipient: AgencyNode, edxmlDocumentIds: readonly string[], timeoutMs = 90_000): Promise<void> {
  await waitUntil(async () => new Set((await incomingRows(recipient, edxmlDocumentIds)).map((r) => r.edxml_document_id)).size === edxmlDocumentIds.length,
    `${edxmlDocumentIds.length} documents at ${recipient.organId}`, timeoutMs, 250);
}

/** Exactly one incoming documents row (and one exchange_received row) per DocumentId: nothing lost, nothing registered twice. */
export async function expectReceivedExactlyOnce(recipient: AgencyNode, edxmlDocumentIds: readonly string[]): Promise<void> {
  const rows = await incomingRows(recipient, edxmlDocumentIds);
  const perId = countBy(rows.map((r) => r.edxml_document_id));
  const wrong = edxmlDocumentIds.filter((id) => perId.get(id) !== 1).map((id) => `${id}: ${perId.get(id) ?? 0}`);
  expect(wrong, `incoming rows per DocumentId at ${recipient.organId} other than 1`).to.deep.equal([]);
  const received = await recipient.knex('exchange_received').where({ agency_organ_id: recipient.organId }).whereIn('edxml_document_id', [...edxmlDocumentIds]).count<{ n: string }[]>({ n: '*' });
  expect(Number(received[0]?.n)).to.equal(edxmlDocumentIds.length);
  // Across the whole database, too: no DocumentId appears twice among the incoming documents.
  const doubled = await recipient.knex('documents').where({ direction: 'incoming', agency_organ_id: recipient.organId }).whereNotNull('edxml_document_id')
    .groupBy('edxml_document_id').havingRaw('count(*) > 1').select('edxml_document_id');
  expect(doubled, `DocumentIds registered twice at ${recipient.organId}`).to.deep.equal([]);
}

/**
 * The sender's tracking: one delivery and one edoc outbox entry per (document, recipient), every entry
 * sent (none failed or pending), every delivery at least at `atLeast`, and no status code twice in a history.
 */
export async function expectTracking(sender: AgencyNode, documents: readonly SentDocument[], recipients: readonly string[], atLeast: string): Promise<void> {
  const ids = documents.map((d) => d.documentId);
  const outbox = await sender.knex('axis_outbox').where({ message_type: 'edoc' }).whereIn('document_id', ids).select('document_id', 'recipient_organ_id', 'state');
  expect(outbox.length, `edoc outbox entries at ${sender.organId}`).to.equal(ids.length * recipients.length);
  expect(outbox.filter((o) => o.state !== 'sent'), 'outbox entries not sent').to.deep.equal([]);
  expect(new Set(outbox.map((o) => `${o.document_id}/${o.recipient_organ_id}`)).size).to.equal(outbox.length);
  const rows = await sender.knex('exchange_deliveries').whereIn('document_id', ids).select('document_id', 'recipient_organ_id', 'status', 'history');
  expect(rows.length, `deliveries at ${sender.organId}`).to.equal(ids.length * recipients.length);
  const behind = rows.filter((r) => r.status === null || r.status < atLeast).map((r) => `${r.document_id}/${r.recipient_organ_id}: ${r.status}`);
  expect(behind, `deliveries not yet at ${atLeast}`).to.deep.equal([]);
  for (const row of rows) {
    const codes = (typeof row.history === 'string' ? JSON.parse(row.history) : row.history).map((e: { code: string }) => e.code) as string[];
    expect(codes.length, `history of ${row.document_id}/${row.recipient_organ_id}: ${codes.join(',')}`).to.equal(new Set(codes).size);
  }
}

/** Waits until the node's outbox has nothing pending (e.g. before arming a relay fault point). */
export async function waitForOutboxIdle(node: AgencyNode, documentIds?: readonly string[], timeoutMs = 60_000): Promise<void> {
  const pending = () => {
    const query = node.knex('axis_outbox').where({ state: 'pending' });
    return documentIds ? query.whereIn('document_id', [...documentIds]) : query;
  };
  try {
    await waitUntil(async () => Number((await pending().count<{ n: string }[]>({ n: '*' }))[0]?.n) === 0, `an idle outbox at ${node.organId}`, timeoutMs, 200);
  } catch (error) {
    const rows = await pending().select('message_type', 'recipient_organ_id', 'document_id', 'attempts', 'last_error', 'next_attempt_at', 'lease_until', 'created_at');
    throw new Error(`${(error as Error).message}; still pending: ${JSON.stringify(rows)}`, { cause: error });
  }
}

/** Waits until every delivery of these documents has reached `atLeast` at the sender. */
export async function waitForTracking(sender: AgencyNode, documents: readonly SentDocument[], recipients: readonly string[], atLeast: string, timeoutMs = 90_000): Promise<void> {
  const ids = documents.map((d) => d.documentId);
  await waitUntil(async () => {
    const rows = await sender.knex('exchange_deliveries').whereIn('document_id', ids).select('status');
    return rows.length === ids.length * recipients.length && rows.every((r) => r.status !== null && r.status >= atLeast);
  }, `deliveries at ${atLeast} at ${sender.organId}`, timeoutMs, 250);
  // Statuses can come back before the sender marks its entries sent (after a crash: only after their lease).
  await waitForOutboxIdle(sender, ids, timeoutMs);
}

/**
 * Status messages the recipient queued per incoming document: one 01 per package it took in, plus one
 * each time the same message came again (a redelivery or a re-send is answered with the status again).
 * So more than one 01-era entry for a document is the trace of a duplicate delivery having happened.
 */
export async function statusEntriesPerDocument(recipient: AgencyNode, edxmlDocumentIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await recipient.knex('axis_outbox as o').join('documents as d', 'd.id', 'o.document_id')
    .where({ 'o.message_type': 'status', 'd.direction': 'incoming' }).whereIn('d.edxml_document_id', [...edxmlDocumentIds]).select('d.edxml_document_id as id');
  return countBy(rows.map((r) => r.id as string));
}

export function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
