// Issue 5 "Tests that must exist", fault injection across `edoc-node` OS processes. Each case ends with
// the same two checks: every document is received exactly once at each recipient (one incoming row per
// DocumentId in the recipient's own database) and the sender's tracking is right (one delivery and one
// outbox entry per recipient, all sent, every delivery at the expected status, no status twice).
// The exact moments (after the commit and before the ack, …) are hit with the fault points of
// src/axis/fault-points.ts (EDOC_FAULT_KILL_AT): the node kills itself with SIGKILL there.
import { expect } from 'chai';
import { waitUntil } from '../../../support/node-process.ts';
import { samplePdf } from '../../../unit/pki/signatures/support/sample-pdf.ts';
import {
  chuyenVien, deliveries, draftAndIssue, expectReceivedExactlyOnce, expectTracking, incomingRows, inParallel, issueAndSend, SO_TTTT, statusEntriesPerDocument,
  TAY_NINH, vanThu, VPCP, waitForOutboxIdle, waitForReceipt, waitForTracking, type SentDocument,
} from './support/exchange-actions.ts';
import type { AgencyNode, ProcessNetwork } from './support/process-network.ts';

const RECIPIENTS = [TAY_NINH, SO_TTTT];
const ids = (documents: readonly SentDocument[]) => documents.map((d) => d.edxmlDocumentId);

export interface FaultContext {
  readonly network: () => ProcessNetwork;
  /** Messages waiting in the run's dead-letter queue (nothing may be dead-lettered by an outage). */
  readonly deadLetters: () => Promise<number>;
  /** Consumers the broker has on an agency's inbox queue. */
  readonly inboxConsumers: (organId: string) => Promise<number>;
  /** Messages in an agency's inbox queue (ready + unacknowledged). */
  readonly inboxDepth: (organId: string) => Promise<number>;
}

/** Sends each document; the sender may die meanwhile (a send cut short is simply not answered). */
async function sendAllowingDeath(sender: AgencyNode, documentIds: readonly string[]): Promise<void> {
  await Promise.allSettled(documentIds.map((id) => sender.client.request('POST', `/api/agencies/${sender.organId}/outgoing/${id}/send`, { user: vanThu(sender.organId) })));
}

/** After a restart, what the văn thư does with a send that got no answer: send again (202, or 409 if it had committed). */
async function ensureSent(sender: AgencyNode, documentIds: readonly string[]): Promise<SentDocument[]> {
  for (const id of documentIds) {
    const res = await sender.client.request('POST', `/api/agencies/${sender.organId}/outgoing/${id}/send`, { user: vanThu(sender.organId) });
    if (!(res.status === 202 || (res.status === 409 && res.body?.error?.code === 'exchange.already_sent'))) throw new Error(`send ${id}: ${res.status} ${res.text}`);
  }
  const rows = await sender.knex('exchange_deliveries').whereIn('document_id', [...documentIds]).distinct('document_id', 'edxml_document_id');
  expect(rows).to.have.length(documentIds.length);
  return documentIds.map((id) => ({ documentId: id, edxmlDocumentId: rows.find((r) => r.document_id === id)?.edxml_document_id as string }));
}

async function expectAllWell(net: ProcessNetwork, documents: readonly SentDocument[], recipients: readonly string[]): Promise<void> {
  for (const organId of recipients) await waitForReceipt(net.node(organId), ids(documents));
  await waitForTracking(net.node(VPCP), documents, recipients, '01');
  for (const organId of recipients) await expectReceivedExactlyOnce(net.node(organId), ids(documents));
  await expectTracking(net.node(VPCP), documents, recipients, '01');
}

export function faultCases(context: FaultContext): void {
  describe('fault injection', () => {
    beforeEach(async () => {
      for (const node of context.network().nodes.values()) await node.ensureRunning();
    });

    it('sender SIGKILLed after the broker confirmed and before the entry was marked sent: re-sent after the restart, received once', async () => {
      const net = context.network();
      const sender = net.node(VPCP);
      const documentIds = [];
      for (let i = 1; i <= 3; i++) documentIds.push(await draftAndIssue(sender, `Văn bản gửi khi nút gửi bị dừng sau xác nhận ${i}`, RECIPIENTS));
      await waitForOutboxIdle(sender); // armed, the relay must meet these documents first
      await sender.restart({ faultKillAt: 'relay.before-mark-sent:1' });
      await sendAllowingDeath(sender, documentIds);
      expect((await sender.died()).signal).to.equal('SIGKILL');
      // The broker has the confirmed message, but the sender's outbox still says pending (leased).
      const pending = await sender.knex('axis_outbox').whereIn('document_id', documentIds).where({ state: 'pending' });
      expect(pending.length).to.be.greaterThan(0);

      await sender.start();
      const documents = await ensureSent(sender, documentIds);
      await expectAllWell(net, documents, RECIPIENTS);
      // The trace of the re-send: a recipient got the same message id twice and answered 01 again.
      await waitUntil(async () => {
        for (const organId of RECIPIENTS) if ([...(await statusEntriesPerDocument(net.node(organId), ids(documents))).values()].some((n) => n > 1)) return true;
        return false;
      }, 'the duplicate (re-sent) message answered by a recipient', 30_000);
    });

    it('sender SIGKILLed after claiming its outbox entries and before publishing: published after the lease (each package made again from its parts by the new process), received once', async () => {
      const net = context.network();
      const sender = net.node(VPCP);
      const documentIds = [];
      // Each with a file: its outbox rows keep the package as its parts, which the restarted process makes again.
      const attach = (i: number) => async (id: string) => {
        await sender.client.expect(201, 'POST', `/api/agencies/${VPCP}/documents/${id}/attachments?fileName=cong-van-${i}.pdf&role=main`, {
          user: chuyenVien(VPCP), body: samplePdf({ text: `Cong van ${id}`, padTo: 20_000 }), contentType: 'application/pdf',
        });
      };
      for (let i = 1; i <= 3; i++) documentIds.push(await draftAndIssue(sender, `Văn bản gửi khi nút gửi bị dừng trước khi gửi ${i}`, RECIPIENTS, attach(i)));
      await waitForOutboxIdle(sender);
      await sender.restart({ faultKillAt: 'relay.before-publish:1' });
      await sendAllowingDeath(sender, documentIds);
      expect((await sender.died()).signal).to.equal('SIGKILL');
      const committed = await sender.knex('exchange_deliveries').whereIn('document_id', documentIds).distinct('edxml_document_id');
      expect(committed.length).to.be.greaterThan(0);
      const kept = await sender.knex('axis_outbox').whereIn('document_id', documentIds).select('package', 'package_skeleton');
      expect(kept.length).to.be.greaterThan(0);
      for (const row of kept) expect([row.package, row.package_skeleton === null]).to.deep.equal([null, false]); // parts, not the package
      for (const organId of RECIPIENTS) expect(await incomingRows(net.node(organId), committed.map((r) => r.edxml_document_id as string))).to.have.length(0);

      await sender.start();
      const documents = await ensureSent(sender, documentIds);
      await expectAllWell(net, documents, RECIPIENTS);
      // Published once each: no recipient saw any message twice.
      for (const organId of RECIPIENTS) expect([...(await statusEntriesPerDocument(net.node(organId), ids(documents))).values()]).to.deep.equal([1, 1, 1]);
    });

    it('receivers SIGKILLed, one after its commit and before the ack, the other before its commit: each document received once after the restart', async () => {
      const net = context.network();
      const [afterCommit, beforeCommit] = [net.node(TAY_NINH), net.node(SO_TTTT)];
      // Armed, the consumers must meet these documents first (not something left from an earlier case).
      await waitUntil(async () => (await context.inboxDepth(TAY_NINH)) + (await context.inboxDepth(SO_TTTT)) === 0, 'empty inboxes', 60_000, 250);
      await Promise.all([afterCommit.restart({ faultKillAt: 'inbox.before-ack:1' }), beforeCommit.restart({ faultKillAt: 'inbox.before-commit:1' })]);
      const documents: SentDocument[] = [];
      for (let i = 1; i <= 3; i++) documents.push(await issueAndSend(net.node(VPCP), `Văn bản đến khi nút nhận bị dừng ${i}`, RECIPIENTS));
      expect((await afterCommit.died()).signal).to.equal('SIGKILL');
      expect((await beforeCommit.died()).signal).to.equal('SIGKILL');
      // Killed after the commit: the document is there (not yet acked). Killed before the commit: nothing is.
      expect((await incomingRows(afterCommit, ids(documents))).length).to.be.greaterThan(0);
      expect(await incomingRows(beforeCommit, ids(documents))).to.have.length(0);

      await Promise.all([afterCommit.start(), beforeCommit.start()]);
      await expectAllWell(net, documents, RECIPIENTS);
      // The unacked delivery came again to the node that had committed it: deduped, answered 01 again.
      expect([...(await statusEntriesPerDocument(afterCommit, ids(documents))).values()].some((n) => n > 1)).to.equal(true);
      expect([...(await statusEntriesPerDocument(beforeCommit, ids(documents))).values()]).to.deep.equal([1, 1, 1]);
    });

    it('broker connections of the sender and the recipient cut in the middle of a batch of 500 documents: all 500 received once, all tracked', async () => {
      const net = context.network();
      const [sender, recipient] = [net.node(VPCP), net.node(TAY_NINH)];
      const subjects = Array.from({ length: 500 }, (_, i) => `Văn bản lô 500 số ${i + 1}`);
      const sent: SentDocument[] = [];
      const sending = inParallel(subjects, 6, async (subject) => { sent.push(await issueAndSend(sender, subject, [TAY_NINH])); });
      // Cut once the recipient has taken in 100 of them, while the rest are still being sent and relayed.
      const sentIds = () => sent.map((d) => d.edxmlDocumentId);
      await waitUntil(async () => (await incomingRows(recipient, sentIds())).length >= 100, '100 documents received before the cut', 120_000, 200);
      sender.routes.broker.cut();
      recipient.routes.broker.cut();
      const atCut = (await incomingRows(recipient, sentIds())).length;
      await new Promise((resolve) => setTimeout(resolve, 2000)); // the outage lasts 2 s (connections refused meanwhile)
      sender.routes.broker.restore();
      recipient.routes.broker.restore();
      await sending;
      expect(atCut, 'documents received when the connections were cut').to.be.lessThan(500);
      expect(sent).to.have.length(500);
      // The cut was felt: publishes failed meanwhile (axis.unavailable) and went back to the outbox's retry schedule.
      const retried = await sender.knex('axis_outbox').whereIn('document_id', sent.map((d) => d.documentId)).where('attempts', '>', 0).count<{ n: string }[]>({ n: '*' });
      expect(Number(retried[0]?.n), 'outbox entries retried after the cut').to.be.greaterThan(0);

      await waitForReceipt(recipient, ids(sent), 180_000);
      await waitForTracking(sender, sent, [TAY_NINH], '01', 120_000);
      await expectReceivedExactlyOnce(recipient, ids(sent));
      await expectTracking(sender, sent, [TAY_NINH], '01');
      expect(await context.deadLetters()).to.equal(0);
    });

    it('the recipient\'s PostgreSQL unreachable for 10 s during receipt: every document received once, nothing dead-lettered', async () => {
      const net = context.network();
      const [sender, recipient] = [net.node(VPCP), net.node(SO_TTTT)];
      const sent: SentDocument[] = [];
      const sending = inParallel(Array.from({ length: 30 }, (_, i) => i + 1), 3, async (i) => { sent.push(await issueAndSend(sender, `Văn bản đến khi cơ sở dữ liệu gián đoạn ${i}`, [SO_TTTT])); });
      await waitUntil(async () => (await incomingRows(recipient, ids(sent))).length >= 3, 'the first documents received', 60_000, 100);
      recipient.routes.database.cut();
      const atCut = (await incomingRows(recipient, ids(sent))).length;
      const cutAt = Date.now();
      // The node sees the outage (its own health check), while its inbox holds the deliveries.
      await waitUntil(async () => (await recipient.client.request('GET', '/health')).status === 503, 'health 503 during the outage', 9_000);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (Date.now() - cutAt))));
      recipient.routes.database.restore();
      await sending;
      expect(atCut).to.be.lessThan(30);

      await waitForReceipt(recipient, ids(sent), 120_000);
      await waitForTracking(sender, sent, [SO_TTTT], '01');
      await expectReceivedExactlyOnce(recipient, ids(sent));
      await expectTracking(sender, sent, [SO_TTTT], '01');
      expect(await context.deadLetters()).to.equal(0);
      expect((await recipient.client.request('GET', '/health')).status).to.equal(200);
    });

    it('two processes serving one agency on one database consume, send and accept concurrently: no double registration, no double sending', async () => {
      const net = context.network();
      const [sender, first] = [net.node(VPCP), net.node(TAY_NINH)];
      const second = net.twin(first);
      await second.start();
      try {
        expect(await context.inboxConsumers(TAY_NINH), 'consumers on Tây Ninh\'s inbox (one per process)').to.equal(2);
        // Both directions at once: VPCP → Tây Ninh (consumed by either process), Tây Ninh → VPCP (sent by either process).
        const inbound: SentDocument[] = [];
        const outbound: SentDocument[] = [];
        await Promise.all([
          inParallel(Array.from({ length: 20 }, (_, i) => i + 1), 2, async (i) => { inbound.push(await issueAndSend(sender, `Văn bản tới cơ quan có hai nút ${i}`, [TAY_NINH])); }),
          inParallel(Array.from({ length: 20 }, (_, i) => i + 1), 2, async (i) => { outbound.push(await issueAndSend(i % 2 ? first : second, `Văn bản từ cơ quan có hai nút ${i}`, [VPCP])); }),
        ]);
        await waitForReceipt(first, ids(inbound));
        await waitForReceipt(sender, ids(outbound));

        // The văn thư of each process accepts every document at the same moment: one wins, the other is refused.
        const rows = await incomingRows(first, ids(inbound));
        const numbers: number[] = [];
        await inParallel(rows, 4, async (row) => {
          const path = `/api/agencies/${TAY_NINH}/incoming/${row.id}/accept`;
          const answers = await Promise.all([first, second].map((n) => n.client.request('POST', path, { user: vanThu(TAY_NINH) })));
          expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 409]);
          expect(answers.find((a) => a.status === 409)?.body.error.code).to.equal('exchange.not_received');
          numbers.push(answers.find((a) => a.status === 200)?.body.arrivalNumber as number);
        });
        expect(new Set(numbers).size).to.equal(20);
        expect(Math.max(...numbers) - Math.min(...numbers)).to.equal(19); // consecutive: no number taken twice or lost

        await waitForTracking(sender, inbound, [TAY_NINH], '05');
        await expectReceivedExactlyOnce(first, ids(inbound));
        await expectTracking(sender, inbound, [TAY_NINH], '05');
        for (const d of inbound) {
          const [delivery] = await deliveries(sender, d.documentId);
          expect(numbers).to.include(delivery?.arrivalNumber);
        }
        await waitForTracking(first, outbound, [VPCP], '01');
        await expectReceivedExactlyOnce(sender, ids(outbound));
        await expectTracking(first, outbound, [VPCP], '01');
        // No double sending by the two relays: each package reached VPCP once (one 01 each), and each
        // status of Tây Ninh was queued once (01, 03, 05 per document).
        expect([...(await statusEntriesPerDocument(sender, ids(outbound))).values()]).to.deep.equal(Array(20).fill(1));
        expect([...(await statusEntriesPerDocument(first, ids(inbound))).values()]).to.deep.equal(Array(20).fill(3));
        expect(await context.deadLetters()).to.equal(0);
      } finally {
        await second.process?.stop();
      }
    });
  });
}
