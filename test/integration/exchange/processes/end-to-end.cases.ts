// Issue 5 "Tests that must exist", first item, across three `edoc-node` OS processes (each its own
// PostgreSQL database, one RabbitMQ vhost), driven over HTTP only: the leader signs (PAdES), the văn thư
// issues, applies the agency signature and sends to two recipients; each recipient's node receives and
// verifies it, its văn thư accepts it (số đến), its lãnh đạo assigns it, a chuyên viên completes it; the
// sender sees 01, 03 (with that số đến), 04, 05, 06 per recipient. Then a recall accepted by one
// recipient and refused by the other.
import { expect } from 'chai';
import { DEMO_PIN } from '../../../../src/services/demo-keys.ts';
import { samplePdf } from '../../../unit/pki/signatures/support/sample-pdf.ts';
import { waitUntil } from '../../../support/node-process.ts';
import { chuyenVien, deliveries, draftAndIssue, expectReceivedExactlyOnce, expectTracking, incomingRows, issueAndSend, lanhDao, send, SO_TTTT, TAY_NINH, vanThu, VPCP, waitForReceipt, type DeliveryItem } from './support/exchange-actions.ts';
import type { ProcessNetwork } from './support/process-network.ts';

const RECIPIENTS = [TAY_NINH, SO_TTTT];

export function endToEndCases(network: () => ProcessNetwork): void {
  describe('three node processes, over HTTP', () => {
    it('the leader signs, the văn thư issues to two recipients; each receives, verifies, accepts, assigns and completes; the sender sees 01, 03 (số đến), 04, 05, 06 per recipient', async () => {
      const net = network();
      const sender = net.node(VPCP);
      const documentId = await draftAndIssue(sender, 'Công văn về việc thí điểm trục liên thông giữa ba nút', RECIPIENTS, async (id) => {
        await sender.client.expect(201, 'POST', `/api/agencies/${VPCP}/documents/${id}/attachments?fileName=cong-van.pdf&role=main`, {
          user: chuyenVien(VPCP), body: samplePdf({ text: `Cong van ${id}` }), contentType: 'application/pdf',
        });
        const signed = await sender.client.expect(201, 'POST', `/api/agencies/${VPCP}/documents/${id}/signatures/personal`, { user: lanhDao(VPCP), json: { pin: DEMO_PIN } });
        expect(signed.signature.indication).to.equal('TOTAL_PASSED');
      });
      const agency = await sender.client.expect(201, 'POST', `/api/agencies/${VPCP}/outgoing/${documentId}/agency-signature`, { user: vanThu(VPCP) });
      expect(agency.signatures.map((s: { indication: string }) => s.indication)).to.deep.equal(['TOTAL_PASSED']);
      const sent = await send(sender, documentId);

      const numbers: Record<string, number> = {};
      for (const organId of RECIPIENTS) {
        const recipient = net.node(organId);
        await waitForReceipt(recipient, [sent.edxmlDocumentId]);
        // What the recipient's văn thư sees: the document waiting in `received`, without a số đến yet.
        const listed = await recipient.client.expect(200, 'GET', `/api/agencies/${organId}/documents?direction=incoming`, { user: vanThu(organId) });
        const doc = listed.items.find((d: { documentId: string }) => d.documentId === sent.edxmlDocumentId);
        expect(doc).to.include({ status: 'received', senderOrganId: VPCP, arrivalNumber: null });
        // The recipient's node verified the envelope (agency key ↔ directory) and both PDF signatures.
        const [pkg] = await recipient.knex('exchange_received').where({ document_id: doc.id });
        expect(pkg.report.indication).to.equal('TOTAL_PASSED');
        expect(pkg.report.organisationCheck.status).to.equal('matched');
        expect(pkg.attachment_reports.map((r: { indication: string }) => r.indication)).to.deep.equal(['TOTAL_PASSED', 'TOTAL_PASSED']);
        const files = await recipient.client.expect(200, 'GET', `/api/agencies/${organId}/documents/${doc.id}/attachments`, { user: vanThu(organId) });
        expect(files.items.map((f: { fileName: string }) => f.fileName)).to.deep.equal(['cong-van.pdf']);

        const accepted = await recipient.client.expect(200, 'POST', `/api/agencies/${organId}/incoming/${doc.id}/accept`, { user: vanThu(organId) });
        expect(accepted.status).to.equal('registered');
        expect(accepted.arrivalNumber).to.be.a('number');
        numbers[organId] = accepted.arrivalNumber as number;
        await recipient.client.expect(200, 'POST', `/api/agencies/${organId}/incoming/${doc.id}/progress`, { user: lanhDao(organId), json: { step: 'assigned' } });
        await recipient.client.expect(200, 'POST', `/api/agencies/${organId}/incoming/${doc.id}/progress`, { user: chuyenVien(organId), json: { step: 'completed' } });
      }

      const final = await waitUntil(async () => {
        const items = await deliveries(sender, documentId);
        return items.length === 2 && items.every((d) => d.state === '06' && d.history.length === 5) && items;
      }, 'statuses 01, 03, 04, 05, 06 of both recipients at the sender');
      for (const d of final) {
        expect(d.history.map((e) => e.code).sort()).to.deep.equal(['01', '03', '04', '05', '06']);
        expect(d.arrivalNumber).to.equal(numbers[d.recipientOrganId]);
        expect(d.history.find((e) => e.code === '03')?.description).to.equal(`Đã tiếp nhận, số đến: ${numbers[d.recipientOrganId]}`);
      }
      for (const organId of RECIPIENTS) await expectReceivedExactlyOnce(net.node(organId), [sent.edxmlDocumentId]);
      await expectTracking(sender, [sent], RECIPIENTS, '06');
    });

    it('recall: one recipient accepts it (document recalled, 15), the other refuses it with a reason (16)', async () => {
      const net = network();
      const sender = net.node(VPCP);
      const sent = await issueAndSend(sender, 'Văn bản sẽ thu hồi', RECIPIENTS);
      for (const organId of RECIPIENTS) await waitForReceipt(net.node(organId), [sent.edxmlDocumentId]);
      const tayNinh = net.node(TAY_NINH);
      const [tnDoc] = await incomingRows(tayNinh, [sent.edxmlDocumentId]);
      await tayNinh.client.expect(200, 'POST', `/api/agencies/${TAY_NINH}/incoming/${tnDoc?.id}/accept`, { user: vanThu(TAY_NINH) });

      const recalled = await sender.client.expect(202, 'POST', `/api/agencies/${VPCP}/outgoing/${sent.documentId}/recall`, { user: vanThu(VPCP), json: { reason: 'Ban hành nhầm, sẽ thay bằng văn bản khác' } });
      expect(recalled.recipients).to.deep.equal(RECIPIENTS);
      const requestAt = (organId: string) => waitUntil(async () => {
        const listed = await net.node(organId).client.expect(200, 'GET', `/api/agencies/${organId}/exchange/requests`, { user: vanThu(organId) });
        return listed.items.find((r: { edxmlDocumentId: string }) => r.edxmlDocumentId === sent.edxmlDocumentId);
      }, `the recall request at ${organId}`);
      const tnRequest = await requestAt(TAY_NINH);
      expect(tnRequest).to.include({ reason: 'Ban hành nhầm, sẽ thay bằng văn bản khác', state: 'pending', documentId: tnDoc?.id });
      await tayNinh.client.expect(200, 'POST', `/api/agencies/${TAY_NINH}/exchange/requests/${tnRequest.id}/accept`, { user: vanThu(TAY_NINH) });
      const soRequest = await requestAt(SO_TTTT);
      await net.node(SO_TTTT).client.expect(200, 'POST', `/api/agencies/${SO_TTTT}/exchange/requests/${soRequest.id}/refuse`, { user: vanThu(SO_TTTT), json: { reason: 'Văn bản đã được triển khai' } });

      const final = await waitUntil(async () => {
        const items = await deliveries(sender, sent.documentId);
        return items.every((d) => d.history.some((e) => e.code === '15' || e.code === '16')) && items;
      }, '15 and 16 at the sender');
      const of = (organId: string) => final.find((d) => d.recipientOrganId === organId) as DeliveryItem;
      expect(of(TAY_NINH).history.map((e) => e.code)).to.include.members(['01', '03', '13', '15']);
      expect(of(TAY_NINH).history.map((e) => e.code)).not.to.include('16');
      expect(of(SO_TTTT).history.find((e) => e.code === '16')?.description).to.equal('Từ chối: Văn bản đã được triển khai');
      expect(of(SO_TTTT).history.map((e) => e.code)).not.to.include('15');
      const [tnAfter] = await incomingRows(tayNinh, [sent.edxmlDocumentId]);
      expect(tnAfter?.status).to.equal('recalled');
      expect(tnAfter?.arrival_number).to.be.a('number'); // the số đến and metadata are kept
      expect((await incomingRows(net.node(SO_TTTT), [sent.edxmlDocumentId]))[0]?.status).to.equal('received');
      for (const organId of RECIPIENTS) await expectReceivedExactlyOnce(net.node(organId), [sent.edxmlDocumentId]);
    });
  });
}
