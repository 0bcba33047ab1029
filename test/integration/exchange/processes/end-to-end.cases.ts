// Issue 5 "Tests that must exist", first item, across three `edoc-node` OS processes (each its own
// PostgreSQL database, one RabbitMQ vhost), driven over HTTP only: the leader signs (PAdES), the văn thư
// issues, applies the agency signature and sends to two recipients; each recipient's node receives and
// verifies it, its văn thư accepts it (số đến), its lãnh đạo assigns it, a chuyên viên completes it; the
// sender sees 01, 03 (with that số đến), 04, 05, 06 per recipient. Then a recall accepted by one
// recipient and refused by the other, an update adding a recipient, and a replacement.
import { expect } from 'chai';
import { DEMO_PIN } from '../../../../src/services/demo-keys.ts';
import { samplePdf } from '../../../unit/pki/signatures/support/sample-pdf.ts';
import { waitUntil } from '../../../support/node-process.ts';
import { chuyenVien, deliveries, draftAndIssue, expectReceivedExactlyOnce, expectTracking, incomingRows, issueAndSend, lanhDao, send, SO_TTTT, TAY_NINH, vanThu, VPCP, waitForReceipt, type DeliveryItem } from './support/exchange-actions.ts';
import type { AgencyNode, ProcessNetwork } from './support/process-network.ts';

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
        // The lãnh đạo assigns it to a chuyên viên (chủ trì, with a deadline): 04; the chuyên viên completes it: 06.
        const users = await recipient.client.expect(200, 'GET', `/api/agencies/${organId}/users`, { user: `quantri@${organId}` });
        const specialist = users.items.find((u: { username: string }) => u.username === chuyenVien(organId));
        await recipient.client.expect(201, 'POST', `/api/agencies/${organId}/documents/${doc.id}/assignments`, {
          user: lanhDao(organId), json: { assignments: [{ kind: 'chu_tri', userId: specialist.id, deadline: '2026-12-31', note: 'Chủ trì xử lý' }] },
        });
        const completed = await recipient.client.expect(200, 'POST', `/api/agencies/${organId}/incoming/${doc.id}/complete`, { user: chuyenVien(organId) });
        expect(completed.status).to.equal('completed');
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

    it('update adding a recipient: the added agency receives the document as new and registers it (số đến); the first recipient accepts the update (15)', async () => {
      const net = context(network);
      const sent = await issueAndSend(net.sender, 'Công văn sẽ bổ sung nơi nhận', [TAY_NINH]);
      await waitForReceipt(net.tayNinh, [sent.edxmlDocumentId]);
      const updated = await net.sender.client.expect(202, 'POST', `/api/agencies/${VPCP}/outgoing/${sent.documentId}/update`, {
        user: vanThu(VPCP), json: { reason: 'Bổ sung nơi nhận', addRecipients: [{ organId: SO_TTTT }] }, // the name: the directory's (as the web page sends it)
      });
      expect(updated).to.deep.include({ added: [SO_TTTT], removed: [] });
      await waitForReceipt(net.so, [sent.edxmlDocumentId]);
      const [soDoc] = await incomingRows(net.so, [sent.edxmlDocumentId]);
      expect(soDoc?.status).to.equal('received');
      const accepted = await net.so.client.expect(200, 'POST', `/api/agencies/${SO_TTTT}/incoming/${soDoc?.id}/accept`, { user: vanThu(SO_TTTT) });
      const request = await requestAt(net.tayNinh, sent.edxmlDocumentId, 2);
      await net.tayNinh.client.expect(200, 'POST', `/api/agencies/${TAY_NINH}/exchange/requests/${request.id}/accept`, { user: vanThu(TAY_NINH) });

      const final = await waitUntil(async () => {
        const items = await deliveries(net.sender, sent.documentId);
        const so = items.find((d) => d.recipientOrganId === SO_TTTT);
        const tn = items.find((d) => d.recipientOrganId === TAY_NINH);
        return so?.arrivalNumber != null && tn?.history.some((e) => e.code === '15') && items;
      }, 'the added recipient\'s 03 and the first recipient\'s 15 at the sender');
      expect(final.find((d) => d.recipientOrganId === SO_TTTT)?.arrivalNumber).to.equal(accepted.arrivalNumber);
      expect(final.find((d) => d.recipientOrganId === SO_TTTT)?.recipientName).to.equal('Sở Thông tin và Truyền thông tỉnh Tây Ninh');
      expect(final.find((d) => d.recipientOrganId === SO_TTTT)?.history.map((e) => e.code)).to.include.members(['01', '03']);
      for (const node of [net.tayNinh, net.so]) await expectReceivedExactlyOnce(node, [sent.edxmlDocumentId]);
    });

    it('replacement: the recipient accepts it; the earlier document becomes replaced (số đến kept), the new one is registered, the sender sees 15 and the new số đến', async () => {
      const net = context(network);
      const old = await issueAndSend(net.sender, 'Quyết định sẽ bị thay thế', [TAY_NINH]);
      await waitForReceipt(net.tayNinh, [old.edxmlDocumentId]);
      const [tnOld] = await incomingRows(net.tayNinh, [old.edxmlDocumentId]);
      const oldAccepted = await net.tayNinh.client.expect(200, 'POST', `/api/agencies/${TAY_NINH}/incoming/${tnOld?.id}/accept`, { user: vanThu(TAY_NINH) });
      const newId = await draftAndIssue(net.sender, 'Quyết định thay thế', [TAY_NINH]);
      const replacing = await net.sender.client.expect(202, 'POST', `/api/agencies/${VPCP}/outgoing/${newId}/replace`, { user: vanThu(VPCP), json: { replacesDocumentId: old.documentId, reason: 'Thay thế do sai sót' } });
      expect(replacing.edxmlDocumentId).to.not.equal(old.edxmlDocumentId);

      await waitForReceipt(net.tayNinh, [replacing.edxmlDocumentId]);
      const [tnNew] = await incomingRows(net.tayNinh, [replacing.edxmlDocumentId]);
      const request = await requestAt(net.tayNinh, replacing.edxmlDocumentId, 3);
      expect(request).to.include({ documentId: tnOld?.id, replacementDocumentId: tnNew?.id, reason: 'Thay thế do sai sót' });
      await net.tayNinh.client.expect(200, 'POST', `/api/agencies/${TAY_NINH}/exchange/requests/${request.id}/accept`, { user: vanThu(TAY_NINH) });
      const registered = await net.tayNinh.client.expect(200, 'POST', `/api/agencies/${TAY_NINH}/incoming/${tnNew?.id}/accept`, { user: vanThu(TAY_NINH) });
      const [oldAfter] = await incomingRows(net.tayNinh, [old.edxmlDocumentId]);
      expect(oldAfter).to.include({ status: 'replaced', arrival_number: oldAccepted.arrivalNumber });

      const [delivery] = await waitUntil(async () => {
        const items = await deliveries(net.sender, newId);
        return items[0]?.arrivalNumber != null && items[0].history.some((e) => e.code === '15') && items;
      }, '15 and 03 on the replacement\'s delivery');
      expect(delivery?.arrivalNumber).to.equal(registered.arrivalNumber);
      await expectReceivedExactlyOnce(net.tayNinh, [old.edxmlDocumentId, replacing.edxmlDocumentId]);
    });
  });
}

function context(network: () => ProcessNetwork) {
  const net = network();
  return { sender: net.node(VPCP), tayNinh: net.node(TAY_NINH), so: net.node(SO_TTTT) };
}

/** The request (recall 1, update 2, replacement 3) about this DocumentId, once the recipient has it. */
async function requestAt(recipient: AgencyNode, edxmlDocumentId: string, businessDocType: number) {
  return waitUntil(async () => {
    const listed = await recipient.client.expect(200, 'GET', `/api/agencies/${recipient.organId}/exchange/requests`, { user: vanThu(recipient.organId) });
    return listed.items.find((r: { edxmlDocumentId: string; businessDocType: number }) => r.edxmlDocumentId === edxmlDocumentId && r.businessDocType === businessDocType);
  }, `request ${businessDocType} at ${recipient.organId}`);
}
