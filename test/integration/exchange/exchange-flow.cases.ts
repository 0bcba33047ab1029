// The exchange between agency nodes (issue 5 items 2–5), written once and run on RabbitMQ + PostgreSQL
// and on the in-process transport + PGlite: the directory travels over the axis; a văn thư issues to two
// recipients, each receives, verifies and accepts it (số đến), and the sender sees 01, 03 (with that số
// đến) and 05 per recipient; duplicates change nothing; hostile packages are quarantined and answered 02
// where the sender can be identified; an expired directory closes the node both ways.
import { createHash, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import fs, { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { FileSystemBlobStore } from '../../../src/storage/fs-blob-store.ts';
import { KnexOutboxStore } from '../../../src/db/knex-outbox-store.ts';
import { expect } from 'chai';
import { bytesPayload } from '../../../src/domain/axis-transport.ts';
import type { DeliveryView } from '../../../src/domain/exchange.ts';
import type { PackagePartFile } from '../../../src/domain/outbox.ts';
import { readBlob } from '../../../src/domain/registry-ports.ts';
import type { OrganId } from '../../../src/domain/organ-id.ts';
import { buildDocumentPackage, buildStatusMessage } from '../../../src/edxml/package-builder.ts';
import { parseEdxml } from '../../../src/edxml/parse-package.ts';
import { statusMessageFor } from '../../../src/edxml/status-message.ts';
import type { StatusCode } from '../../../src/domain/edxml-codes.ts';
import { keyObjectCredentials } from '../../../src/pki/cms/signer.ts';
import { joinSignedParts, signEnvelope } from '../../../src/pki/xmldsig/envelope-signer.ts';
import type { DatabaseKind } from '../../support/databases.ts';
import { actorFor, TEST_PASSWORD } from '../../support/network.ts';
import { demoUsername } from '../../../src/domain/demo-network.ts';
import type { Server } from 'node:http';
import { DEMO_PIN } from '../../../src/services/demo-keys.ts';
import { samplePdf } from '../../unit/pki/signatures/support/sample-pdf.ts';
import { devDirectory, eventually, issuingCa, organisationCert, organisationKey, startExchangeNetwork, type AxisUnderTest, type ExchangeNetwork } from './support/exchange-network.ts';

const VPCP = '000.00.00.G22'; // sender
const TAY_NINH = '000.00.00.H53';
const SO_TTTT = '000.00.13.H53';
const BO_NOI_VU = '000.00.00.G10'; // left out of the directory: an unknown sender

const HOUR = 3600_000;

/** The nodes' HTTP apps on random ports, and a JSON call with a bearer token; close() stops the servers. */
function httpOf(net: ExchangeNetwork) {
  const servers: Server[] = [];
  return {
    base: async (organId: string): Promise<string> => {
      const server = net.node(organId).app.http.listen(0, '127.0.0.1');
      servers.push(server);
      await new Promise((resolve) => server.once('listening', resolve));
      const address = server.address();
      return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    },
    call: async (url: string, method: string, path: string, token: string, json?: unknown) => {
      const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) }, body: json ? JSON.stringify(json) : null });
      return { status: res.status, body: await res.json() as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    },
    close: async (): Promise<void> => { for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve)); },
  };
}

export function exchangeFlowCases(kind: DatabaseKind, axis: () => AxisUnderTest): void {
  describe(`exchange between three nodes (${kind}, ${axis().url ? 'RabbitMQ' : 'in-process axis'})`, function () {
    this.timeout(120_000);
    let net: ExchangeNetwork;

    before(async () => {
      net = await startExchangeNetwork(kind, axis(), [VPCP, TAY_NINH, SO_TTTT]);
      const now = net.node(VPCP).clock.now();
      const signed = devDirectory({ version: 1, validFrom: new Date(now.getTime() - HOUR), validUntil: new Date(now.getTime() + 30 * 24 * HOUR), exclude: [BO_NOI_VU] });
      // The operator installs it on one node and publishes it over the axis to every listed agency.
      const published = await net.node(VPCP).app.exchange.publishDirectory(signed);
      expect(published).to.equal(5);
      for (const n of net.nodes) {
        await eventually(async () => n.app.exchange.directoryHealth().status === 'ok', `directory on ${n.organId}`);
      }
    });
    after(async () => { await net?.close(); });

    const rows = (organId: string, table: string, where: Record<string, unknown> = {}) => net.node(organId).db.database.knex(table).where(where);
    const received = async (organId: string, edxmlDocumentId: string) => rows(organId, 'documents', { direction: 'incoming', edxml_document_id: edxmlDocumentId });
    /** An outbox entry's package: in its row, or (a document's) made again from its parts and the sender's files. */
    const sentPackage = async (organId: string, entry: { package: Buffer | null; package_skeleton: Buffer | null; package_parts: string | PackagePartFile[] | null }): Promise<Uint8Array> => {
      if (entry.package) return new Uint8Array(entry.package);
      if (!entry.package_skeleton || !entry.package_parts) throw new Error('the entry keeps its package in the blob store');
      const blobs = new FileSystemBlobStore(join(net.node(organId).dataDir, 'blobs'));
      const attachments = typeof entry.package_parts === 'string' ? JSON.parse(entry.package_parts) as PackagePartFile[] : entry.package_parts;
      return joinSignedParts({ skeleton: entry.package_skeleton, attachments }, (sha256) => readBlob(blobs, sha256));
    };
    const codeOf = async (call: Promise<unknown>) => { try { await call; return 'no error'; } catch (e) { return (e as { code?: string }).code; } };
    const audited = async (organId: string, action: string, subjectId: string) => (await rows(organId, 'audit_log')).map((r) => JSON.parse(r.entry)).filter((e) => e.action === action && e.subject.id === subjectId);

    async function issueAndSend(subject: string): Promise<{ documentId: string; edxmlDocumentId: string }> {
      const sender = net.node(VPCP);
      const specialist = await actorFor(sender.db.database, 'chuyen_vien', VPCP);
      const clerk = await actorFor(sender.db.database, 'van_thu', VPCP);
      const draft = await sender.app.registry.draftOutgoing(specialist, VPCP, {
        typeName: 'Quyết định', subject, priority: 1, signerFullName: 'Nguyễn Văn A', signerPosition: 'Bộ trưởng, Chủ nhiệm',
        recipients: [{ organId: TAY_NINH, organName: 'Ủy ban nhân dân tỉnh Tây Ninh' }, { organId: SO_TTTT, organName: 'Sở Thông tin và Truyền thông tỉnh Tây Ninh' }],
      });
      await sender.app.registry.issueOutgoing(clerk, VPCP, draft.id);
      const sent = await sender.app.exchange.sending.send(clerk, VPCP, draft.id);
      expect(sent.recipients).to.deep.equal([TAY_NINH, SO_TTTT]);
      return { documentId: draft.id, edxmlDocumentId: sent.edxmlDocumentId };
    }

    /**
     * A signed PDF of the sender's changed after signing, in a package whose envelope the sender signed
     * properly: the envelope passes, the PDF signature does not → quarantined, answered 02.
     */
    async function expectTamperedPdfRefused(sender: ReturnType<ExchangeNetwork['node']>, specialist: Awaited<ReturnType<typeof actorFor>>, draftId: string, signedFileId: string): Promise<void> {
      const opened = await sender.app.attachments.open(specialist, VPCP, draftId, signedFileId);
      const parts: Uint8Array[] = [];
      for await (const part of opened.content) parts.push(part);
      const signedPdf = Buffer.concat(parts);
      const tampered = Buffer.from(signedPdf.toString('latin1').replace(`Quyet dinh ${draftId}`, `Quyxt dinh ${draftId}`), 'latin1');
      expect(tampered.equals(signedPdf)).to.equal(false);
      const id = `${VPCP},2026/11/23,pdf-${randomUUID()}`;
      const bytes = await signEnvelope(buildDocumentPackage({
        header: { from: { organId: VPCP as OrganId }, to: [{ organId: TAY_NINH as OrganId }], documentId: id, code: { codeNumber: '2', codeNotation: 'QĐ-TEST' }, promulgationInfo: { promulgationDate: '2026-11-23' as never }, documentType: { type: 1 }, subject: 'PDF sửa sau khi ký', toPlaces: [], responseFor: [] },
        traceHeaders: [], attachments: [{ name: 'quyet-dinh.pdf', content: tampered, contentType: 'application/pdf' }],
      }), keyObjectCredentials(organisationKey(VPCP), organisationCert(VPCP), [issuingCa()]));
      const messageId = randomUUID();
      await net.rogue.publish({ headers: { from: VPCP, to: TAY_NINH, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(bytes).digest('hex') }, payload: bytesPayload(bytes) });
      const q = await eventually(async () => (await rows(TAY_NINH, 'exchange_quarantine', { message_id: messageId }))[0], 'quarantine of the tampered PDF');
      expect(q.reason).to.match(/^Chữ ký số trên tệp đính kèm không hợp lệ/);
      expect(JSON.stringify(q.report)).to.include('HASH_FAILURE');
      expect(q.answered).to.equal(true);
    }

    async function deliveries(documentId: string): Promise<DeliveryView[]> {
      const clerk = await actorFor(net.node(VPCP).db.database, 'van_thu', VPCP);
      return net.node(VPCP).app.exchange.sending.deliveries(clerk, VPCP, documentId);
    }

    it('issues to two recipients; each receives, verifies and accepts; the sender sees 01, 03 with the số đến, then 05', async () => {
      const { documentId, edxmlDocumentId } = await issueAndSend('Quyết định về việc thí điểm trục liên thông');
      const numbers: Record<string, number> = {};
      for (const organId of [TAY_NINH, SO_TTTT]) {
        const [doc] = await eventually(async () => { const r = await received(organId, edxmlDocumentId); return r.length > 0 && r; }, `receipt at ${organId}`);
        expect(doc.status).to.equal('received');
        expect(doc.sender_organ_id).to.equal(VPCP);
        expect(doc.subject).to.equal('Quyết định về việc thí điểm trục liên thông');
        expect(doc.arrival_number).to.equal(null);
        const [pkg] = await rows(organId, 'exchange_received', { document_id: doc.id });
        const report = typeof pkg.report === 'string' ? JSON.parse(pkg.report) : pkg.report;
        expect(report.indication).to.equal('TOTAL_PASSED');
        expect(report.organisationCheck.status).to.equal('matched');
        const node = net.node(organId);
        const accepted = await node.app.exchange.clerk.accept(await actorFor(node.db.database, 'van_thu', organId), organId, doc.id);
        expect(accepted.status).to.equal('registered');
        expect(accepted.metadata.arrivalNumber).to.be.a('number');
        numbers[organId] = accepted.metadata.arrivalNumber as number;
      }
      // 03 and 05 leave in the order they were written (the outbox's `seq`), so they are applied in that order.
      const final = await eventually(async () => { const d = await deliveries(documentId); return d.every((x) => x.status === '05' && x.arrivalNumber !== null) && d; }, 'statuses 03 and 05 at the sender');
      expect(final.map((d) => d.recipientOrganId)).to.deep.equal([TAY_NINH, SO_TTTT]);
      for (const d of final) {
        expect(d.state).to.equal('05');
        expect(d.outboxState).to.equal('sent');
        expect(d.arrivalNumber).to.equal(numbers[d.recipientOrganId]);
        expect(d.history.map((e) => e.code)).to.deep.equal(['01', '03', '05']);
        expect(d.history.find((e) => e.code === '03')?.description).to.equal(`Đã tiếp nhận, số đến: ${numbers[d.recipientOrganId]}`);
      }
    });

    it('a document signed by the leader and the agency (PAdES + detached CMS, a 1.5 MB scan-like PDF) travels whole; the recipient verifies the PDF signatures from its blob store', async () => {
      const sender = net.node(VPCP);
      await sender.app.seedDemo(); // the demo keys of certs-dev/ in key custody (the network is seeded already)
      const db = sender.db.database;
      const [specialist, leader, clerk] = [await actorFor(db, 'chuyen_vien', VPCP), await actorFor(db, 'lanh_dao', VPCP), await actorFor(db, 'van_thu', VPCP)];
      const draft = await sender.app.registry.draftOutgoing(specialist, VPCP, { typeName: 'Quyết định', subject: 'Quyết định có chữ ký số', priority: 0, recipients: [{ organId: TAY_NINH, organName: 'UBND tỉnh Tây Ninh' }] });
      const once = async function* (b: Buffer) { yield b; };
      await sender.app.attachments.upload(specialist, VPCP, draft.id, { fileName: 'quyet-dinh.pdf', mediaType: 'application/pdf', role: 'main', content: once(samplePdf({ text: `Quyet dinh ${draft.id}`, padTo: 1_500_000, incompressible: true })) });
      await sender.app.attachments.upload(specialist, VPCP, draft.id, { fileName: 'phu-luc.txt', mediaType: 'text/plain', role: 'attachment', content: once(Buffer.from('Phụ lục: danh sách cơ quan nhận\n')) });
      await sender.app.signing.signPersonal(leader, VPCP, draft.id, { pin: DEMO_PIN });
      await sender.app.registry.issueOutgoing(clerk, VPCP, draft.id);
      await sender.app.signing.signOrganisation(clerk, VPCP, draft.id);
      const sent = await sender.app.exchange.sending.send(clerk, VPCP, draft.id);
      const [doc] = await eventually(async () => { const r = await received(TAY_NINH, sent.edxmlDocumentId); return r.length > 0 && r; }, 'receipt of the signed document', 60_000);
      const files = await rows(TAY_NINH, 'attachments', { document_id: doc.id }).orderBy('file_name');
      expect(files.map((f) => f.file_name)).to.deep.equal(['phu-luc.txt', 'phu-luc.txt.p7s', 'quyet-dinh.pdf']);
      // The PDF that arrived is the sender's current main PDF (leader + agency signatures), byte for byte.
      const senderFiles = await rows(VPCP, 'attachments', { document_id: draft.id, role: 'main' }).orderBy('created_at');
      expect(files.find((f) => f.file_name === 'quyet-dinh.pdf')?.sha256).to.equal(senderFiles[senderFiles.length - 1].sha256);
      expect(senderFiles).to.have.length(3); // original, leader-signed, agency-signed: only the last one travels
      const [pkg] = await rows(TAY_NINH, 'exchange_received', { document_id: doc.id });
      expect((typeof pkg.report === 'string' ? JSON.parse(pkg.report) : pkg.report).indication).to.equal('TOTAL_PASSED');
      // Both PDF signatures (the leader's personal one, then the agency's) verified and kept.
      const pdfReports = typeof pkg.attachment_reports === 'string' ? JSON.parse(pkg.attachment_reports) : pkg.attachment_reports;
      expect(pdfReports.map((r: { indication: string }) => r.indication)).to.deep.equal(['TOTAL_PASSED', 'TOTAL_PASSED']);
      expect(pdfReports[0].signer.subject).to.match(/Nguyễn Văn An/);
      expect(pdfReports[1].signer.organId).to.equal(VPCP);
      expect(await rows(TAY_NINH, 'exchange_quarantine', { sender_organ_id: VPCP, reason_code: 'exchange.signature_invalid' }).where('reason', 'like', '%tệp đính kèm%')).to.have.length(0);

      // The same signed PDF changed after signing, in a package whose envelope the sender signed properly:
      // the envelope passes, the PDF signature does not → quarantined, answered 02 (verified from the blob store).
      await expectTamperedPdfRefused(sender, specialist, draft.id, senderFiles[senderFiles.length - 1].id as string);
    });

    it('a small signed PDF changed after signing (its package held in memory, the PDF verified from there) → quarantined, answered 02', async () => {
      const sender = net.node(VPCP);
      await sender.app.seedDemo();
      const db = sender.db.database;
      const [specialist, leader] = [await actorFor(db, 'chuyen_vien', VPCP), await actorFor(db, 'lanh_dao', VPCP)];
      const draft = await sender.app.registry.draftOutgoing(specialist, VPCP, { typeName: 'Quyết định', subject: 'Quyết định nhỏ có chữ ký số', priority: 0, recipients: [{ organId: TAY_NINH, organName: 'UBND tỉnh Tây Ninh' }] });
      await sender.app.attachments.upload(specialist, VPCP, draft.id, { fileName: 'quyet-dinh.pdf', mediaType: 'application/pdf', role: 'main', content: (async function* () { yield samplePdf({ text: `Quyet dinh ${draft.id}` }); })() });
      await sender.app.signing.signPersonal(leader, VPCP, draft.id, { pin: DEMO_PIN });
      const signed = (await rows(VPCP, 'attachments', { document_id: draft.id, role: 'main' }).orderBy('created_at')).at(-1);
      expect(Number(signed.size)).to.be.below(200_000);
      await expectTamperedPdfRefused(sender, specialist, draft.id, signed.id as string);
    });

    it('a large document (1.5 MB scan, 1.3 MB text deflated ahead) is written once to the sender\'s blob store, not the outbox row, and arrives byte for byte', async () => {
      const sender = net.node(VPCP);
      const db = sender.db.database;
      const [specialist, clerk] = [await actorFor(db, 'chuyen_vien', VPCP), await actorFor(db, 'van_thu', VPCP)];
      const draft = await sender.app.registry.draftOutgoing(specialist, VPCP, { typeName: 'Công văn', subject: 'Hồ sơ quét dung lượng lớn', priority: 0, recipients: [{ organId: TAY_NINH, organName: 'UBND tỉnh Tây Ninh' }, { organId: SO_TTTT, organName: 'Sở TT&TT Tây Ninh' }] });
      const scan = randomBytes(1_500_000); // incompressible, like a scan: stored in the ZIP; ~2 MB of package, chunked on RabbitMQ
      await sender.app.attachments.upload(specialist, VPCP, draft.id, { fileName: 'ho-so-quet.pdf', mediaType: 'application/pdf', role: 'main', content: (async function* () { yield scan; })() });
      const table = Buffer.from('Số liệu thống kê văn bản đến, đi của tỉnh theo từng tháng; '.repeat(20_000), 'utf8'); // compresses: deflated ahead into the blob store
      await sender.app.attachments.upload(specialist, VPCP, draft.id, { fileName: 'so-lieu.txt', mediaType: 'text/plain', role: 'attachment', content: (async function* () { yield table; })() });
      await sender.app.registry.issueOutgoing(clerk, VPCP, draft.id);
      const sent = await sender.app.exchange.sending.send(clerk, VPCP, draft.id);
      const outbox = await rows(VPCP, 'axis_outbox', { document_id: draft.id, message_type: 'edoc' });
      expect(outbox).to.have.length(2);
      for (const row of outbox) {
        expect(row.package).to.equal(null); // not in the row ...
        expect(row.package_blob).to.equal(row.package_digest); // ... but in the blob store, once, under its digest
        expect(Number(row.package_size)).to.be.greaterThan(1_500_000 * 4 / 3).and.below((1_500_000 + 200_000) * 4 / 3); // the text travels deflated
      }
      const deflatedTable = createHash('sha256').update(deflateRawSync(table, { level: 6 })).digest('hex');
      expect(existsSync(join(sender.dataDir, 'blobs', deflatedTable.slice(0, 2), deflatedTable)), 'the text deflated ahead, as a stream, into the blob store').to.equal(true);
      const blob = String(outbox[0].package_blob);
      const stored = readFileSync(join(sender.dataDir, 'blobs', blob.slice(0, 2), blob));
      expect(createHash('sha256').update(stored).digest('hex')).to.equal(outbox[0].package_digest);
      for (const organId of [TAY_NINH, SO_TTTT]) {
        const [doc] = await eventually(async () => { const r = await received(organId, sent.edxmlDocumentId); return r.length > 0 && r; }, `receipt of the large document at ${organId}`, 60_000);
        const files = await rows(organId, 'attachments', { document_id: doc.id });
        expect(files.map((f) => f.sha256).sort()).to.deep.equal([scan, table].map((b) => createHash('sha256').update(b).digest('hex')).sort());
        // A package over 1 MB is streamed, never held: its files are written to the blob store as they are decoded.
        expect(files.map((f) => f.source_package_sha256)).to.deep.equal([null, null]);
        for (const f of files) expect(existsSync(join(net.node(organId).dataDir, 'blobs', f.sha256.slice(0, 2), f.sha256)), f.file_name).to.equal(true);
        const [pkg] = await rows(organId, 'exchange_received', { document_id: doc.id });
        expect(pkg.package_sha256).to.equal(outbox[0].package_digest);
        expect((typeof pkg.report === 'string' ? JSON.parse(pkg.report) : pkg.report).indication).to.equal('TOTAL_PASSED');
      }
      await eventually(async () => (await deliveries(draft.id)).every((d) => d.history.some((e) => e.code === '01') && d.outboxState === 'sent'), '01 from both recipients');
    });

    it('a document with files is kept in its outbox rows as its parts; sent while the relay is stopped, the claim makes it again and it arrives byte for byte', async () => {
      const sender = net.node(VPCP);
      const db = sender.db.database;
      const [specialist, clerk] = [await actorFor(db, 'chuyen_vien', VPCP), await actorFor(db, 'van_thu', VPCP)];
      await sender.app.exchange.stop(); // no hand-off: the entries wait for the relay's claim
      let draftId = '';
      let edxmlDocumentId = '';
      try {
        const draft = await sender.app.registry.draftOutgoing(specialist, VPCP, { typeName: 'Công văn', subject: 'Công văn kèm phụ lục', priority: 0, recipients: [{ organId: TAY_NINH, organName: 'UBND tỉnh Tây Ninh' }] });
        draftId = draft.id;
        const upload = (fileName: string, mediaType: string, role: 'main' | 'attachment', content: Buffer) => sender.app.attachments.upload(specialist, VPCP, draft.id, { fileName, mediaType, role, content: (async function* () { yield content; })() });
        await upload('cong-van.pdf', 'application/pdf', 'main', samplePdf({ text: `Cong van ${draft.id}`, padTo: 60_000 }));
        await upload('phu-luc.txt', 'text/plain', 'attachment', Buffer.from('Phụ lục số liệu văn bản đến, đi theo tháng; '.repeat(3_000), 'utf8'));
        await sender.app.registry.issueOutgoing(clerk, VPCP, draft.id);
        ({ edxmlDocumentId } = await sender.app.exchange.sending.send(clerk, VPCP, draft.id));
        const [row] = await rows(VPCP, 'axis_outbox', { document_id: draft.id, message_type: 'edoc' });
        expect(row.package).to.equal(null); // not whole in the row ...
        expect(row.package_skeleton.length).to.be.below(12_000); // ... but its signed skeleton,
        const files = (typeof row.package_parts === 'string' ? JSON.parse(row.package_parts) : row.package_parts) as PackagePartFile[];
        expect(files.map((f) => f.sha256).sort()).to.deep.equal((await rows(VPCP, 'attachments', { document_id: draft.id })).map((a) => a.sha256).sort()); // the files it names,
        expect(Number(row.package_size)).to.be.greaterThan(row.package_skeleton.length + 1_000); // and its size (the files' base64 besides)
        expect(row.lease_until).to.equal(null);
      } finally {
        await sender.app.exchange.start();
      }
      const [doc] = await eventually(async () => { const r = await received(TAY_NINH, edxmlDocumentId); return r.length > 0 && r; }, 'receipt of the document made again');
      const [row] = await rows(VPCP, 'axis_outbox', { document_id: draftId, message_type: 'edoc' });
      const [pkg] = await rows(TAY_NINH, 'exchange_received', { document_id: doc.id });
      expect(pkg.package_sha256).to.equal(row.package_digest);
      expect((typeof pkg.report === 'string' ? JSON.parse(pkg.report) : pkg.report).indication).to.equal('TOTAL_PASSED');
      const sentFiles = (await rows(VPCP, 'attachments', { document_id: draftId })).map((a) => a.sha256).sort();
      const receivedFiles = await rows(TAY_NINH, 'attachments', { document_id: doc.id });
      expect(receivedFiles.map((a) => a.sha256).sort()).to.deep.equal(sentFiles);
      await eventually(async () => (await deliveries(draftId)).every((d) => d.status === '01' && d.outboxState === 'sent'), '01 at the sender');
      // At the recipient the files stay in the stored package (held while checked, not written again): no
      // blob of their own until a user reads one; the first read makes them, byte for byte as sent.
      const recipient = net.node(TAY_NINH);
      const store = new FileSystemBlobStore(join(recipient.dataDir, 'blobs'));
      expect(receivedFiles.map((a) => a.source_package_sha256?.trim())).to.deep.equal([pkg.package_sha256, pkg.package_sha256]);
      for (const a of receivedFiles) expect(await store.has(a.sha256.trim()), `${a.file_name}: no blob of its own yet`).to.equal(false);
      expect(await store.has(pkg.package_sha256.trim()), 'the package is stored').to.equal(true);
      const main = receivedFiles.find((a) => a.role === 'main');
      const opened = await recipient.app.attachments.open(await actorFor(recipient.db.database, 'van_thu', TAY_NINH), TAY_NINH, doc.id, main.id);
      const chunks: Uint8Array[] = [];
      for await (const chunk of opened.content) chunks.push(chunk);
      const sentMain = (await rows(VPCP, 'attachments', { document_id: draftId, role: 'main' }))[0];
      expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).to.equal(sentMain.sha256);
      for (const a of receivedFiles) expect(await store.has(a.sha256.trim()), `${a.file_name}: a blob once read`).to.equal(true);
    });

    it('assignment (04) and completion (06) reach the sender', async () => {
      const { documentId, edxmlDocumentId } = await issueAndSend('Văn bản giao xử lý');
      const node = net.node(TAY_NINH);
      const [doc] = await eventually(async () => { const r = await received(TAY_NINH, edxmlDocumentId); return r.length > 0 && r; }, 'receipt');
      await node.app.exchange.clerk.accept(await actorFor(node.db.database, 'van_thu', TAY_NINH), TAY_NINH, doc.id);
      await node.app.exchange.clerk.reportProgress(await actorFor(node.db.database, 'lanh_dao', TAY_NINH), TAY_NINH, doc.id, 'assigned');
      await node.app.exchange.clerk.reportProgress(await actorFor(node.db.database, 'chuyen_vien', TAY_NINH), TAY_NINH, doc.id, 'completed');
      const d = await eventually(async () => (await deliveries(documentId)).find((x) => x.recipientOrganId === TAY_NINH && x.history.length === 5), 'five statuses at the sender');
      expect(d.status).to.equal('06');
      expect(d.history.map((e) => e.code).sort()).to.deep.equal(['01', '03', '04', '05', '06']);
      expect((await rows(TAY_NINH, 'documents', { id: doc.id }))[0].status).to.equal('completed');
    });

    it('the sender applies statuses in order even when they arrive out of order or twice', async () => {
      const { documentId } = await issueAndSend('Trạng thái đến không theo thứ tự');
      await eventually(async () => (await deliveries(documentId)).every((d) => d.status === '01'), 'status 01');
      const [entry] = await rows(VPCP, 'axis_outbox', { document_id: documentId, recipient_organ_id: SO_TTTT, message_type: 'edoc' });
      const parsed = await parseEdxml(await sentPackage(VPCP, entry));
      if (parsed.kind !== 'document') throw new Error('expected a document');
      const credentials = keyObjectCredentials(organisationKey(SO_TTTT), organisationCert(SO_TTTT), [issuingCa()]);
      const statuses: [StatusCode, string | undefined][] = [['06', undefined], ['04', undefined], ['03', 'Đã tiếp nhận, số đến: 77'], ['03', 'Đã tiếp nhận, số đến: 77']];
      const blobs = new FileSystemBlobStore(join(net.node(VPCP).dataDir, 'blobs'));
      const digests: string[] = [];
      for (const [code, description] of statuses) {
        const bytes = await signEnvelope(buildStatusMessage(statusMessageFor({ from: { organId: SO_TTTT as OrganId, organName: 'Sở TTTT' }, original: parsed.header, statusCode: code, at: new Date(), description })), credentials);
        digests.push(createHash('sha256').update(bytes).digest('hex'));
        await net.rogue.publish({ headers: { from: SO_TTTT, to: VPCP, messageType: 'status', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: digests.at(-1) as string }, payload: bytesPayload(bytes) });
      }
      const d = await eventually(async () => (await deliveries(documentId)).find((x) => x.recipientOrganId === SO_TTTT && x.history.length === 4), 'four statuses applied');
      expect(d.status).to.equal('06');
      expect(d.arrivalNumber).to.equal(77);
      // Consumed concurrently, so the order they were applied in varies; each applies once, the furthest wins.
      expect(d.history.map((e) => e.code).sort()).to.deep.equal(['01', '03', '04', '06']);
      // A status applied (or not) names no blob: its package is not written to the blob store.
      for (const digest of digests) expect(await blobs.has(digest), `status package ${digest}`).to.equal(false);
      // A status signed by another agency's key is not applied (quarantined at the sender, its package kept).
      const forged = await signEnvelope(buildStatusMessage(statusMessageFor({ from: { organId: TAY_NINH as OrganId }, original: parsed.header, statusCode: '02', at: new Date(), description: 'giả mạo' })), credentials);
      const messageId = randomUUID();
      await net.rogue.publish({ headers: { from: TAY_NINH, to: VPCP, messageType: 'status', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(forged).digest('hex') }, payload: bytesPayload(forged) });
      const q = await eventually(async () => (await rows(VPCP, 'exchange_quarantine', { message_id: messageId }))[0], 'forged status quarantined');
      expect(q.answered).to.equal(false);
      expect(q.package_sha256.trim()).to.equal(createHash('sha256').update(forged).digest('hex'));
      expect(await blobs.has(q.package_sha256.trim()), 'the quarantined status package is kept').to.equal(true);
      expect((await deliveries(documentId)).find((x) => x.recipientOrganId === TAY_NINH)?.status).to.not.equal('02');
    });

    it('over HTTP: the văn thư sends, the recipient\'s văn thư accepts, the sender lists deliveries', async () => {
      const { base, call, close } = httpOf(net);
      try {
        const login = async (url: string, role: 'van_thu' | 'chuyen_vien', organId: string) => (await (await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: demoUsername(role, organId), password: TEST_PASSWORD }) })).json() as { token: string }).token;
        const [senderUrl, recipientUrl] = [await base(VPCP), await base(TAY_NINH)];
        const senderClerk = await login(senderUrl, 'van_thu', VPCP);
        const draft = await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing`, await login(senderUrl, 'chuyen_vien', VPCP), { typeName: 'Quyết định', subject: 'Gửi qua API', priority: 0, recipients: [{ organId: TAY_NINH, organName: 'UBND tỉnh Tây Ninh' }] });
        expect(draft.status).to.equal(201);
        expect((await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing/${draft.body.id}/issue`, senderClerk)).status).to.equal(200);
        const sent = await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing/${draft.body.id}/send`, senderClerk);
        expect(sent.status).to.equal(202);
        expect(sent.body.recipients).to.deep.equal([TAY_NINH]);
        const again = await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing/${draft.body.id}/send`, senderClerk);
        expect(again.status).to.equal(409);
        expect(again.body.error.code).to.equal('exchange.already_sent');
        const [doc] = await eventually(async () => { const r = await received(TAY_NINH, sent.body.edxmlDocumentId); return r.length > 0 && r; }, 'receipt');
        const recipientClerk = await login(recipientUrl, 'van_thu', TAY_NINH);
        const accepted = await call(recipientUrl, 'POST', `/api/agencies/${TAY_NINH}/incoming/${doc.id}/accept`, recipientClerk);
        expect(accepted.status).to.equal(200);
        expect(accepted.body.arrivalNumber).to.be.a('number');
        const twice = await call(recipientUrl, 'POST', `/api/agencies/${TAY_NINH}/incoming/${doc.id}/accept`, recipientClerk);
        expect(twice.body.error.code).to.equal('exchange.not_received');
        const listed = await eventually(async () => { const r = await call(senderUrl, 'GET', `/api/agencies/${VPCP}/outgoing/${draft.body.id}/deliveries`, senderClerk); return r.body.items[0]?.state === '05' && r.body.items[0]?.arrivalNumber !== null && r.body; }, 'delivery 05 and the số đến over HTTP');
        expect(listed.items[0]).to.include({ recipientOrganId: TAY_NINH, state: '05', stateLabel: 'Đang xử lý', arrivalNumber: accepted.body.arrivalNumber });
      } finally {
        await close();
      }
    });

    it('recall: one recipient accepts (its document is cancelled, 15), the other refuses (16)', async () => {
      const { documentId, edxmlDocumentId } = await issueAndSend('Văn bản sẽ thu hồi');
      const docs: Record<string, string> = {};
      for (const organId of [TAY_NINH, SO_TTTT]) docs[organId] = (await eventually(async () => { const r = await received(organId, edxmlDocumentId); return r.length > 0 && r; }, `receipt at ${organId}`))[0].id;
      const tn = net.node(TAY_NINH);
      const tnClerk = await actorFor(tn.db.database, 'van_thu', TAY_NINH);
      await tn.app.exchange.clerk.accept(tnClerk, TAY_NINH, docs[TAY_NINH] as string);
      const clerk = await actorFor(net.node(VPCP).db.database, 'van_thu', VPCP);
      const recalled = await net.node(VPCP).app.exchange.sending.recall(clerk, VPCP, documentId, 'Ban hành nhầm, sẽ thay bằng văn bản khác');
      expect(recalled.recipients).to.deep.equal([TAY_NINH, SO_TTTT]);
      // The sender's book shows it withdrawn at once, and it cannot be recalled, updated or replaced again.
      expect((await rows(VPCP, 'documents', { id: documentId }))[0].status).to.equal('recalled');
      expect(await codeOf(net.node(VPCP).app.exchange.sending.recall(clerk, VPCP, documentId, 'Lần hai'))).to.equal('exchange.withdrawn');
      expect(await codeOf(net.node(VPCP).app.exchange.sending.update(clerk, VPCP, documentId, { reason: 'Sửa', metadata: { subject: 'Sửa' } }))).to.equal('exchange.withdrawn');
      expect(await audited(VPCP, 'outgoing.recall', documentId)).to.have.length(1);
      const requestAt = async (organId: string) => eventually(async () => (await net.node(organId).app.exchange.clerk.requests(await actorFor(net.node(organId).db.database, 'van_thu', organId), organId)).find((r) => r.edxmlDocumentId === edxmlDocumentId), `recall at ${organId}`);
      const tnRequest = await requestAt(TAY_NINH);
      expect(tnRequest.reason).to.equal('Ban hành nhầm, sẽ thay bằng văn bản khác');
      expect(tnRequest.documentId).to.equal(docs[TAY_NINH]);
      await tn.app.exchange.clerk.answerRequest(tnClerk, TAY_NINH, tnRequest.id, true);
      const so = net.node(SO_TTTT);
      const soRequest = await requestAt(SO_TTTT);
      await so.app.exchange.clerk.answerRequest(await actorFor(so.db.database, 'van_thu', SO_TTTT), SO_TTTT, soRequest.id, false, 'Văn bản đã được triển khai');
      const final = await eventually(async () => { const d = await deliveries(documentId); return d.every((x) => x.history.some((e) => e.code === '15' || e.code === '16')) && d; }, '15/16 at the sender');
      const tnDelivery = final.find((d) => d.recipientOrganId === TAY_NINH);
      const soDelivery = final.find((d) => d.recipientOrganId === SO_TTTT);
      expect(tnDelivery?.history.map((e) => e.code)).to.include.members(['13', '15']);
      expect(soDelivery?.history.find((e) => e.code === '16')?.description).to.equal('Từ chối: Văn bản đã được triển khai');
      const [tnDoc] = await rows(TAY_NINH, 'documents', { id: docs[TAY_NINH] });
      expect(tnDoc.status).to.equal('recalled');
      expect(tnDoc.arrival_number).to.be.a('number'); // metadata kept
      expect((await rows(SO_TTTT, 'documents', { id: docs[SO_TTTT] }))[0].status).to.equal('received');
    });

    it('a duplicate delivery (same message id, or the same DocumentId re-sent) changes nothing and gets the status again', async () => {
      const { documentId, edxmlDocumentId } = await issueAndSend('Công văn gửi lại');
      await eventually(async () => (await deliveries(documentId)).every((d) => d.status === '01'), 'status 01 at the sender');
      const [entry] = await rows(VPCP, 'axis_outbox', { document_id: documentId, recipient_organ_id: TAY_NINH, message_type: 'edoc' });
      const bytes = await sentPackage(VPCP, entry);
      const headers = { from: VPCP, to: TAY_NINH, messageType: 'edoc' as const, serviceType: 'eDoc', packageDigest: entry.package_digest };
      const statusesBefore = (await rows(TAY_NINH, 'axis_outbox', { message_type: 'status' })).length;
      const quarantinedBefore = (await rows(TAY_NINH, 'exchange_quarantine')).length;
      await net.rogue.publish({ headers: { ...headers, messageId: entry.message_id }, payload: bytesPayload(bytes) });
      await net.rogue.publish({ headers: { ...headers, messageId: randomUUID() }, payload: bytesPayload(bytes) });
      // Both answered again with the status already given (01), nothing else changes.
      await eventually(async () => (await rows(TAY_NINH, 'axis_outbox', { message_type: 'status' })).length === statusesBefore + 2, 'two re-sent statuses');
      expect(await received(TAY_NINH, edxmlDocumentId)).to.have.length(1);
      expect(await rows(TAY_NINH, 'exchange_received', { edxml_document_id: edxmlDocumentId })).to.have.length(1);
      expect(await rows(TAY_NINH, 'exchange_quarantine')).to.have.length(quarantinedBefore);
      const d = (await deliveries(documentId)).find((x) => x.recipientOrganId === TAY_NINH);
      expect(d?.history.map((e) => e.code)).to.deep.equal(['01']);
    });

    it('the same package arriving five times at once (different message ids) is stored once', async () => {
      const { documentId, edxmlDocumentId } = await issueAndSend('Năm bản sao cùng lúc');
      await eventually(async () => (await received(TAY_NINH, edxmlDocumentId)).length === 1, 'first receipt');
      const [entry] = await rows(VPCP, 'axis_outbox', { document_id: documentId, recipient_organ_id: TAY_NINH, message_type: 'edoc' });
      const bytes = await sentPackage(VPCP, entry);
      const ids = Array.from({ length: 5 }, () => randomUUID());
      await Promise.all(ids.map((messageId) => net.rogue.publish({ headers: { from: VPCP, to: TAY_NINH, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: entry.package_digest }, payload: bytesPayload(bytes) })));
      await eventually(async () => (await net.node(TAY_NINH).db.database.knex('axis_inbox').whereIn('message_id', ids)).length === 5, 'five inbox records');
      expect(await received(TAY_NINH, edxmlDocumentId)).to.have.length(1);
      expect(await rows(TAY_NINH, 'exchange_received', { edxml_document_id: edxmlDocumentId })).to.have.length(1);
    });

    it('a recipient that is down while documents are sent receives each exactly once when it is back', async () => {
      const node = net.node(SO_TTTT);
      await node.app.exchange.stop();
      const sent = [await issueAndSend('Gửi khi bên nhận dừng 1'), await issueAndSend('Gửi khi bên nhận dừng 2'), await issueAndSend('Gửi khi bên nhận dừng 3')];
      await eventually(async () => { for (const s of sent) if ((await deliveries(s.documentId)).find((d) => d.recipientOrganId === SO_TTTT)?.state !== 'sent') return false; return true; }, 'sent (broker confirmed) while the recipient is down');
      for (const s of sent) expect(await received(SO_TTTT, s.edxmlDocumentId)).to.have.length(0);
      node.clock.set(new Date()); // (an earlier case may have moved this node's clock)
      await node.app.exchange.start();
      for (const s of sent) {
        await eventually(async () => (await received(SO_TTTT, s.edxmlDocumentId)).length === 1, `receipt of ${s.edxmlDocumentId}`);
        await eventually(async () => (await deliveries(s.documentId)).find((d) => d.recipientOrganId === SO_TTTT)?.status === '01', '01 back');
      }
    });

    it('the văn thư returns a document with a reason: the sender sees 02 with it', async () => {
      const { documentId, edxmlDocumentId } = await issueAndSend('Văn bản gửi nhầm');
      const node = net.node(SO_TTTT);
      const [doc] = await eventually(async () => { const r = await received(SO_TTTT, edxmlDocumentId); return r.length > 0 && r; }, 'receipt');
      await node.app.exchange.clerk.returnDocument(await actorFor(node.db.database, 'van_thu', SO_TTTT), SO_TTTT, doc.id, 'Văn bản không thuộc thẩm quyền của Sở');
      const d = await eventually(async () => (await deliveries(documentId)).find((x) => x.recipientOrganId === SO_TTTT && x.status === '02'), '02 at the sender');
      expect(d.reason).to.equal('Từ chối tiếp nhận: Văn bản không thuộc thẩm quyền của Sở');
      expect((await rows(SO_TTTT, 'documents', { id: doc.id }))[0].status).to.equal('returned');
    });

    describe('update, replacement, assignment (issue 5 items 5–6)', () => {
      const NAMES: Record<string, string> = { [TAY_NINH]: 'Ủy ban nhân dân tỉnh Tây Ninh', [SO_TTTT]: 'Sở Thông tin và Truyền thông tỉnh Tây Ninh' };
      const clerkOf = async (organId: string) => actorFor(net.node(organId).db.database, 'van_thu', organId);
      const incomingAt = async (organId: string, edxmlDocumentId: string) => (await eventually(async () => { const r = await received(organId, edxmlDocumentId); return r.length > 0 && r; }, `receipt at ${organId}`))[0];
      const requestAt = async (organId: string, edxmlDocumentId: string, businessDocType: number) => eventually(async () => (await net.node(organId).app.exchange.clerk.requests(await clerkOf(organId), organId)).find((r) => r.edxmlDocumentId === edxmlDocumentId && r.businessDocType === businessDocType), `request ${businessDocType} at ${organId}`);
      const answered = (d: DeliveryView) => d.history.some((e) => e.code === '15' || e.code === '16');
      // Mocha runs the outer cases first; the expired-directory case leaves Sở TTTT's clock a month ahead.
      before(() => { for (const n of net.nodes) n.clock.set(new Date()); });

      async function sendTo(subject: string, recipients: readonly string[]): Promise<{ documentId: string; edxmlDocumentId: string }> {
        const sender = net.node(VPCP);
        const specialist = await actorFor(sender.db.database, 'chuyen_vien', VPCP);
        const clerk = await clerkOf(VPCP);
        const draft = await sender.app.registry.draftOutgoing(specialist, VPCP, { typeName: 'Công văn', subject, priority: 0, signerFullName: 'Nguyễn Văn A', signerPosition: 'Bộ trưởng', recipients: recipients.map((organId) => ({ organId, organName: NAMES[organId] as string })) });
        await sender.app.registry.issueOutgoing(clerk, VPCP, draft.id);
        const sent = await sender.app.exchange.sending.send(clerk, VPCP, draft.id);
        for (const organId of recipients) await incomingAt(organId, sent.edxmlDocumentId);
        return { documentId: draft.id, edxmlDocumentId: sent.edxmlDocumentId };
      }

      it('update of the metadata: one recipient accepts (its document changes, the old values kept, 15), the other refuses (16, nothing changes)', async () => {
        const { documentId, edxmlDocumentId } = await sendTo('Công văn về lịch họp', [TAY_NINH, SO_TTTT]);
        const tnDoc = await incomingAt(TAY_NINH, edxmlDocumentId);
        await net.node(TAY_NINH).app.exchange.clerk.accept(await clerkOf(TAY_NINH), TAY_NINH, tnDoc.id);
        const result = await net.node(VPCP).app.exchange.sending.update(await clerkOf(VPCP), VPCP, documentId, { reason: 'Đổi ngày họp', metadata: { subject: 'Công văn về lịch họp (đổi ngày)', dueDate: '2026-12-15', priority: 1 } });
        expect(result).to.deep.include({ edxmlDocumentId, recipients: [TAY_NINH, SO_TTTT], added: [], removed: [] });
        expect(result.changed).to.have.members(['subject', 'dueDate', 'priority']);
        // The sender's document changed too, its previous values kept.
        const senderHistory = await net.node(VPCP).app.exchange.clerk.metadataHistory(await clerkOf(VPCP), VPCP, documentId);
        expect(senderHistory).to.have.length(1);
        expect(senderHistory[0]).to.deep.include({ source: 'update_sent', reason: 'Đổi ngày họp' });
        expect(senderHistory[0]?.before).to.deep.equal({ subject: 'Công văn về lịch họp', dueDate: null, priority: 0 });
        expect((await rows(VPCP, 'documents', { id: documentId }))[0].subject).to.equal('Công văn về lịch họp (đổi ngày)');

        const tnRequest = await requestAt(TAY_NINH, edxmlDocumentId, 2);
        expect(tnRequest).to.deep.include({ documentId: tnDoc.id, reason: 'Đổi ngày họp', state: 'pending' });
        await net.node(TAY_NINH).app.exchange.clerk.answerRequest(await clerkOf(TAY_NINH), TAY_NINH, tnRequest.id, true);
        const soDoc = await incomingAt(SO_TTTT, edxmlDocumentId);
        const soRequest = await requestAt(SO_TTTT, edxmlDocumentId, 2);
        await net.node(SO_TTTT).app.exchange.clerk.answerRequest(await clerkOf(SO_TTTT), SO_TTTT, soRequest.id, false, 'Lịch họp đã thông báo');

        const [tnAfter] = await rows(TAY_NINH, 'documents', { id: tnDoc.id });
        expect(tnAfter.subject).to.equal('Công văn về lịch họp (đổi ngày)');
        expect(tnAfter.priority).to.equal(1);
        expect(tnAfter.status).to.equal('registered');
        expect(tnAfter.arrival_number).to.equal(tnDoc.arrival_number ?? tnAfter.arrival_number); // số đến untouched
        const tnHistory = await net.node(TAY_NINH).app.exchange.clerk.metadataHistory(await clerkOf(TAY_NINH), TAY_NINH, tnDoc.id);
        expect(tnHistory).to.have.length(1);
        expect(tnHistory[0]).to.deep.include({ source: 'update_received', requestId: tnRequest.id, reason: 'Đổi ngày họp' });
        expect(tnHistory[0]?.before).to.deep.include({ subject: 'Công văn về lịch họp', priority: 0 });
        expect(tnHistory[0]?.after).to.deep.equal({ subject: 'Công văn về lịch họp (đổi ngày)', priority: 1, dueDate: '2026-12-15' }); // exactly what changed
        const [soAfter] = await rows(SO_TTTT, 'documents', { id: soDoc.id });
        expect(soAfter.subject).to.equal('Công văn về lịch họp');
        expect(soAfter.priority).to.equal(0);
        expect(await net.node(SO_TTTT).app.exchange.clerk.metadataHistory(await clerkOf(SO_TTTT), SO_TTTT, soDoc.id)).to.have.length(0);

        const final = await eventually(async () => { const d = await deliveries(documentId); return d.every(answered) && d; }, '15/16 at the sender');
        const tnDelivery = final.find((d) => d.recipientOrganId === TAY_NINH);
        const soDelivery = final.find((d) => d.recipientOrganId === SO_TTTT);
        expect(tnDelivery?.history.find((e) => e.code === '15')?.request).to.equal('update');
        expect(soDelivery?.history.find((e) => e.code === '16')).to.deep.include({ request: 'update', description: 'Từ chối: Lịch họp đã thông báo' });
        expect(final.map((d) => d.pendingRequest)).to.deep.equal([null, null]);
        expect(tnDelivery?.status).to.equal('05'); // the progress state is not changed by 15/16

        // A second update of the same document is a new request (dedupe per package), applied in turn.
        await net.node(VPCP).app.exchange.sending.update(await clerkOf(VPCP), VPCP, documentId, { reason: 'Bổ sung nội dung', metadata: { description: 'Họp trực tuyến' } });
        const second = await eventually(async () => (await net.node(TAY_NINH).app.exchange.clerk.requests(await clerkOf(TAY_NINH), TAY_NINH)).find((r) => r.edxmlDocumentId === edxmlDocumentId && r.state === 'pending'), 'second update at Tây Ninh');
        await net.node(TAY_NINH).app.exchange.clerk.answerRequest(await clerkOf(TAY_NINH), TAY_NINH, second.id, true);
        expect((await rows(TAY_NINH, 'documents', { id: tnDoc.id }))[0].description).to.equal('Họp trực tuyến');
        expect(await net.node(TAY_NINH).app.exchange.clerk.metadataHistory(await clerkOf(TAY_NINH), TAY_NINH, tnDoc.id)).to.have.length(2);
        await eventually(async () => (await deliveries(documentId)).find((d) => d.recipientOrganId === TAY_NINH)?.history.filter((e) => e.code === '15').length === 2, 'second 15 at the sender');
      });

      it('update adding a recipient: it receives the document as new and registers it (số đến); the sender has a new delivery that reaches 03', async () => {
        const { documentId, edxmlDocumentId } = await sendTo('Công văn bổ sung nơi nhận', [TAY_NINH]);
        const result = await net.node(VPCP).app.exchange.sending.update(await clerkOf(VPCP), VPCP, documentId, { reason: 'Bổ sung nơi nhận', addRecipients: [{ organId: SO_TTTT, organName: NAMES[SO_TTTT] as string }] });
        expect(result).to.deep.include({ added: [SO_TTTT], removed: [], changed: ['to'] });
        const soDoc = await incomingAt(SO_TTTT, edxmlDocumentId);
        expect(soDoc.status).to.equal('received');
        expect(soDoc.subject).to.equal('Công văn bổ sung nơi nhận');
        expect(await requestAt(TAY_NINH, edxmlDocumentId, 2)).to.deep.include({ state: 'pending' });
        expect((await net.node(SO_TTTT).app.exchange.clerk.requests(await clerkOf(SO_TTTT), SO_TTTT)).filter((r) => r.edxmlDocumentId === edxmlDocumentId)).to.have.length(0);
        const accepted = await net.node(SO_TTTT).app.exchange.clerk.accept(await clerkOf(SO_TTTT), SO_TTTT, soDoc.id);
        expect(accepted.metadata.arrivalNumber).to.be.a('number');
        const added = await eventually(async () => (await deliveries(documentId)).find((d) => d.recipientOrganId === SO_TTTT && d.arrivalNumber !== null), 'the added recipient\'s 03 at the sender');
        expect(added.arrivalNumber).to.equal(accepted.metadata.arrivalNumber);
        expect(added.history.map((e) => e.code)).to.include.members(['01', '03']);
        // The existing recipient accepts: its recipient list now names the added agency.
        const tnRequest = await requestAt(TAY_NINH, edxmlDocumentId, 2);
        await net.node(TAY_NINH).app.exchange.clerk.answerRequest(await clerkOf(TAY_NINH), TAY_NINH, tnRequest.id, true);
        const [tnDoc] = await received(TAY_NINH, edxmlDocumentId);
        expect(tnDoc.recipients.map((r: { organId: string }) => r.organId)).to.deep.equal([TAY_NINH, SO_TTTT]);
        expect((await rows(VPCP, 'documents', { id: documentId }))[0].recipients.map((r: { organId: string }) => r.organId)).to.deep.equal([TAY_NINH, SO_TTTT]);
        await eventually(async () => (await deliveries(documentId)).find((d) => d.recipientOrganId === TAY_NINH)?.history.some((e) => e.code === '15'), '15 from Tây Ninh');

        // The same update package again at the added recipient (another message id): nothing changes.
        const entry = (await rows(VPCP, 'axis_outbox', { document_id: documentId, recipient_organ_id: SO_TTTT, message_type: 'edoc' }))[0];
        const statusesBefore = (await rows(SO_TTTT, 'axis_outbox', { message_type: 'status' })).length;
        await net.rogue.publish({ headers: { from: VPCP, to: SO_TTTT, messageType: 'edoc', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: entry.package_digest }, payload: bytesPayload(await sentPackage(VPCP, entry)) });
        await eventually(async () => (await rows(SO_TTTT, 'axis_outbox', { message_type: 'status' })).length === statusesBefore + 1, 'the status re-sent');
        expect(await received(SO_TTTT, edxmlDocumentId)).to.have.length(1);
        expect((await rows(SO_TTTT, 'exchange_requests', { edxml_document_id: edxmlDocumentId }))).to.have.length(0);
      });

      it('update removing a recipient: it gets the update, its delivery is marked removed; accepting cancels its document (15)', async () => {
        const { documentId, edxmlDocumentId } = await sendTo('Công văn gửi thừa nơi nhận', [TAY_NINH, SO_TTTT]);
        const result = await net.node(VPCP).app.exchange.sending.update(await clerkOf(VPCP), VPCP, documentId, { reason: 'Sở không thuộc phạm vi', removeRecipients: [SO_TTTT] });
        expect(result).to.deep.include({ recipients: [TAY_NINH, SO_TTTT], added: [], removed: [SO_TTTT] });
        const now = await deliveries(documentId);
        expect(now.find((d) => d.recipientOrganId === SO_TTTT)?.removedAt).to.be.a('string');
        expect(now.find((d) => d.recipientOrganId === TAY_NINH)?.removedAt).to.equal(null);
        const soDoc = await incomingAt(SO_TTTT, edxmlDocumentId);
        const soRequest = await requestAt(SO_TTTT, edxmlDocumentId, 2);
        await net.node(SO_TTTT).app.exchange.clerk.answerRequest(await clerkOf(SO_TTTT), SO_TTTT, soRequest.id, true);
        expect((await rows(SO_TTTT, 'documents', { id: soDoc.id }))[0].status).to.equal('recalled');
        const tnRequest = await requestAt(TAY_NINH, edxmlDocumentId, 2);
        await net.node(TAY_NINH).app.exchange.clerk.answerRequest(await clerkOf(TAY_NINH), TAY_NINH, tnRequest.id, true);
        const [tnDoc] = await received(TAY_NINH, edxmlDocumentId);
        expect(tnDoc.status).to.equal('received');
        expect(tnDoc.recipients.map((r: { organId: string }) => r.organId)).to.deep.equal([TAY_NINH]);
        const final = await eventually(async () => { const d = await deliveries(documentId); return d.every(answered) && d; }, '15 from both');
        expect(final.map((d) => d.history.find((e) => e.code === '15')?.request)).to.deep.equal(['update', 'update']);
        // A removed recipient is no longer addressed: a recall goes to Tây Ninh only.
        const recalled = await net.node(VPCP).app.exchange.sending.recall(await clerkOf(VPCP), VPCP, documentId, 'Thu hồi');
        expect(recalled.recipients).to.deep.equal([TAY_NINH]);
      });

      it('update adding back removed recipients: one that accepted the removal gets its document back as it was (15 at once), one that refused answers as for any update', async () => {
        const { documentId, edxmlDocumentId } = await sendTo('Công văn bỏ rồi bổ sung lại nơi nhận', [TAY_NINH, SO_TTTT]);
        const sending = net.node(VPCP).app.exchange.sending;
        const answer = async (organId: string, accept: boolean) => {
          const pending = await eventually(async () => (await net.node(organId).app.exchange.clerk.requests(await clerkOf(organId), organId)).find((r) => r.edxmlDocumentId === edxmlDocumentId && r.state === 'pending'), `update at ${organId}`);
          await net.node(organId).app.exchange.clerk.answerRequest(await clerkOf(organId), organId, pending.id, accept, accept ? undefined : 'Vẫn cần văn bản');
        };
        const settled = async () => eventually(async () => { const d = await deliveries(documentId); return d.every((x) => x.pendingRequest === null) && d; }, 'answers at the sender');
        const addBack = (organId: string) => ({ organId, organName: NAMES[organId] as string });
        const soDoc = await incomingAt(SO_TTTT, edxmlDocumentId);
        const registered = await net.node(SO_TTTT).app.exchange.clerk.accept(await clerkOf(SO_TTTT), SO_TTTT, soDoc.id);

        // 1. Sở TTTT removed; added back before it answered: refused. It accepts (its registered document is cancelled).
        await sending.update(await clerkOf(VPCP), VPCP, documentId, { reason: 'Bỏ Sở khỏi nơi nhận', removeRecipients: [SO_TTTT] });
        await answer(TAY_NINH, true);
        expect(await codeOf(sending.update(await clerkOf(VPCP), VPCP, documentId, { reason: 'Quá sớm', addRecipients: [addBack(SO_TTTT)] }))).to.equal('exchange.request_pending');
        await answer(SO_TTTT, true);
        expect((await rows(SO_TTTT, 'documents', { id: soDoc.id }))[0].status).to.equal('recalled');
        await settled();

        // 2. Sở TTTT added back (and Tây Ninh removed, which it refuses): Sở TTTT's document comes back at once, registered with the same số đến.
        const result = await sending.update(await clerkOf(VPCP), VPCP, documentId, { reason: 'Bổ sung lại Sở, bỏ Tỉnh', addRecipients: [addBack(SO_TTTT)], removeRecipients: [TAY_NINH] });
        expect(result).to.deep.include({ added: [SO_TTTT], removed: [TAY_NINH] });
        expect((await deliveries(documentId)).map((d) => [d.recipientOrganId, d.removedAt === null, d.pendingRequest])).to.deep.equal([[TAY_NINH, false, 'update'], [SO_TTTT, true, 'update']]);
        await eventually(async () => (await rows(SO_TTTT, 'documents', { id: soDoc.id }))[0].status === 'registered', 'document restored at Sở TTTT');
        expect((await rows(SO_TTTT, 'documents', { id: soDoc.id }))[0].arrival_number).to.equal(registered.metadata.arrivalNumber);
        expect(await received(SO_TTTT, edxmlDocumentId)).to.have.length(1);
        const soRequests = (await net.node(SO_TTTT).app.exchange.clerk.requests(await clerkOf(SO_TTTT), SO_TTTT)).filter((r) => r.edxmlDocumentId === edxmlDocumentId);
        expect(soRequests.map((r) => r.state)).to.deep.equal(['accepted', 'accepted']);
        expect(await audited(SO_TTTT, 'incoming.update_accept', soDoc.id)).to.have.length(2); // the removal, then the automatic restore
        await answer(TAY_NINH, false);
        await settled();

        // 3. Tây Ninh added back: its document never left, so the addition is an update its văn thư answers.
        await sending.update(await clerkOf(VPCP), VPCP, documentId, { reason: 'Bổ sung lại Tỉnh', addRecipients: [addBack(TAY_NINH)] });
        await answer(TAY_NINH, true);
        await answer(SO_TTTT, true);
        const [tnDoc] = await received(TAY_NINH, edxmlDocumentId);
        expect(tnDoc.status).to.equal('received');
        expect(tnDoc.recipients.map((r: { organId: string }) => r.organId)).to.have.members([TAY_NINH, SO_TTTT]);
        expect((await rows(SO_TTTT, 'documents', { id: soDoc.id }))[0].status).to.equal('registered');
        const final = await settled();
        expect(final.map((d) => [d.recipientOrganId, d.removedAt, d.history.filter((e) => e.code === '15' || e.code === '16').map((e) => e.code)]))
          .to.deep.equal([[TAY_NINH, null, ['15', '16', '15']], [SO_TTTT, null, ['15', '15', '15']]]);

        // The package of step 2 again at Sở TTTT: nothing changes, its answer (15) is given again.
        const [, entry] = await rows(VPCP, 'axis_outbox', { document_id: documentId, recipient_organ_id: SO_TTTT, message_type: 'edoc' }).orderBy('seq');
        const statusesBefore = (await rows(SO_TTTT, 'axis_outbox', { message_type: 'status' })).length;
        await net.rogue.publish({ headers: { from: VPCP, to: SO_TTTT, messageType: 'edoc', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: entry.package_digest }, payload: bytesPayload(await sentPackage(VPCP, entry)) });
        await eventually(async () => (await rows(SO_TTTT, 'axis_outbox', { message_type: 'status' })).length === statusesBefore + 1, 'the answer re-sent');
        expect((await net.node(SO_TTTT).app.exchange.clerk.requests(await clerkOf(SO_TTTT), SO_TTTT)).filter((r) => r.edxmlDocumentId === edxmlDocumentId)).to.have.length(3);
        expect((await rows(SO_TTTT, 'documents', { id: soDoc.id }))[0].status).to.equal('registered');
      });

      it('a recipient that returned the document is sent it again: received again (15, 01), registered with a số đến; a late copy of its first 02 changes nothing', async () => {
        const { documentId, edxmlDocumentId } = await sendTo('Công văn bị trả lại rồi gửi lại', [TAY_NINH, SO_TTTT]);
        const sending = net.node(VPCP).app.exchange.sending;
        const soDoc = await incomingAt(SO_TTTT, edxmlDocumentId);
        const soTttt = net.node(SO_TTTT).app.exchange.clerk;
        await soTttt.returnDocument(await clerkOf(SO_TTTT), SO_TTTT, soDoc.id, 'Thiếu phụ lục');
        const sendAgain = { reason: 'Gửi lại, đã bổ sung phụ lục', addRecipients: [{ organId: SO_TTTT, organName: NAMES[SO_TTTT] as string }] };
        // A recipient that has not returned it cannot be added: it has the document.
        expect(await codeOf(sending.update(await clerkOf(VPCP), VPCP, documentId, { ...sendAgain, addRecipients: [{ organId: TAY_NINH, organName: NAMES[TAY_NINH] as string }] }))).to.equal('exchange.already_sent');
        const tnDoc = await incomingAt(TAY_NINH, edxmlDocumentId); // Tây Ninh returns it too, and is not sent it again
        await net.node(TAY_NINH).app.exchange.clerk.returnDocument(await clerkOf(TAY_NINH), TAY_NINH, tnDoc.id, 'Không thuộc thẩm quyền');
        await eventually(async () => (await deliveries(documentId)).every((x) => x.status === '02'), '02 from both at the sender');
        const firstReturn = (await rows(SO_TTTT, 'axis_outbox', { document_id: soDoc.id, message_type: 'status' }).orderBy('seq')).at(-1);
        const tayNinhBefore = (await deliveries(documentId)).find((x) => x.recipientOrganId === TAY_NINH) as DeliveryView;
        for (const n of net.nodes) n.clock.set(new Date(n.clock.now().getTime() + 60_000)); // the sender decides a minute later

        const result = await sending.update(await clerkOf(VPCP), VPCP, documentId, sendAgain);
        expect(result).to.deep.include({ recipients: [SO_TTTT], added: [SO_TTTT], removed: [], changed: [] }); // Tây Ninh is not asked
        const resent = (await deliveries(documentId)).find((x) => x.recipientOrganId === SO_TTTT) as DeliveryView;
        expect([resent.status, resent.reason, resent.pendingRequest, resent.history.map((e) => e.code)]).to.deep.equal([null, null, 'update', ['01', '02', 'resent']]);
        expect(await codeOf(sending.update(await clerkOf(VPCP), VPCP, documentId, sendAgain))).to.equal('exchange.request_pending');

        // Sở TTTT: the document awaits its văn thư again (the update accepted automatically), who registers it this time.
        await eventually(async () => (await rows(SO_TTTT, 'documents', { id: soDoc.id }))[0].status === 'received', 'received again at Sở TTTT');
        const requests = (await soTttt.requests(await clerkOf(SO_TTTT), SO_TTTT)).filter((r) => r.edxmlDocumentId === edxmlDocumentId);
        expect(requests.map((r) => [r.state, r.documentId])).to.deep.equal([['accepted', soDoc.id]]);
        expect(await audited(SO_TTTT, 'incoming.update_accept', soDoc.id)).to.have.length(1);
        const [reopened] = await rows(SO_TTTT, 'documents', { id: soDoc.id });
        expect(reopened.recipients.map((r: { organId: string }) => r.organId)).to.have.members([TAY_NINH, SO_TTTT]); // Nơi nhận unchanged
        expect(await rows(SO_TTTT, 'document_metadata_history', { document_id: soDoc.id })).to.have.length(0);
        const registered = await soTttt.accept(await clerkOf(SO_TTTT), SO_TTTT, soDoc.id);
        expect(await received(SO_TTTT, edxmlDocumentId)).to.have.length(1);
        const done = await eventually(async () => (await deliveries(documentId)).find((x) => x.recipientOrganId === SO_TTTT && x.status === '05'), '05 of the new round');
        expect(done.arrivalNumber).to.equal(registered.metadata.arrivalNumber);
        expect([done.reason, done.pendingRequest, done.history.map((e) => e.code)]).to.deep.equal([null, null, ['01', '02', 'resent', '15', '01', '03', '05']]);
        expect((await deliveries(documentId)).find((x) => x.recipientOrganId === TAY_NINH)?.history).to.deep.equal(tayNinhBefore.history);

        // The first 02 again (a late copy, new message id): the sender records the message and changes nothing.
        const messageId = randomUUID();
        await net.rogue.publish({ headers: { from: SO_TTTT, to: VPCP, messageType: 'status', serviceType: 'eDoc', messageId, packageDigest: firstReturn.package_digest }, payload: bytesPayload(new Uint8Array(firstReturn.package)) });
        await eventually(async () => (await rows(VPCP, 'axis_inbox', { message_id: messageId })).length === 1, 'the late 02 consumed');
        const after = (await deliveries(documentId)).find((x) => x.recipientOrganId === SO_TTTT) as DeliveryView;
        expect([after.status, after.history.length]).to.deep.equal(['05', 7]);
      });

      it('a removal and an addition of an agency that never had the document, in either order of arrival: the one sent later stands', async () => {
        const credentials = keyObjectCredentials(organisationKey(VPCP), organisationCert(VPCP), [issuingCa()]);
        const publish = async (bytes: Buffer) => {
          const messageId = randomUUID();
          await net.rogue.publish({ headers: { from: VPCP, to: TAY_NINH, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(bytes).digest('hex') }, payload: bytesPayload(bytes) });
          await eventually(async () => (await rows(TAY_NINH, 'axis_inbox', { message_id: messageId })).length === 1, `message ${messageId} consumed`);
        };
        const update = (documentId: string, receiverType: 0 | 1, sentAt: Date) => signEnvelope(buildDocumentPackage({
          header: { from: { organId: VPCP as OrganId, organName: 'Văn phòng Chính phủ' }, to: [{ organId: TAY_NINH as OrganId }], documentId, code: { codeNumber: '9', codeNotation: 'VPCP-TH' }, promulgationInfo: { promulgationDate: '2026-11-23' as never }, documentType: { type: 1, typeName: 'Công văn' }, subject: 'Bỏ rồi thêm nơi nhận', toPlaces: [], responseFor: [] },
          traceHeaders: [{ organId: VPCP as OrganId, timestamp: sentAt }], attachments: [],
          business: { businessDocType: 2, businessDocReason: receiverType === 0 ? 'Bỏ nơi nhận' : 'Thêm nơi nhận', documentId, paper: false, businessDocumentInfo: { documentInfo: false, documentReceiver: true, receivers: [{ organId: TAY_NINH as OrganId, receiverType }] }, replacementInfoList: [] },
        }), credentials);
        const clerk = net.node(TAY_NINH).app.exchange.clerk;
        const t = Date.now();
        for (const [name, additionSentFirst] of [['added back after the removal', false], ['an addition retried, arriving after a later removal', true]] as const) {
          const documentId = `${VPCP},2026/11/23,order-${randomUUID()}`;
          // The removal arrives first (the document never came here) and the văn thư accepts it.
          await publish(await update(documentId, 0, new Date(t + 2000)));
          await clerk.answerRequest(await clerkOf(TAY_NINH), TAY_NINH, (await requestAt(TAY_NINH, documentId, 2)).id, true);
          // Then the addition, which carries the document: sent after the removal (restored) or before it (the removal stands).
          await publish(await update(documentId, 1, new Date(t + (additionSentFirst ? 1000 : 3000))));
          const docs = await received(TAY_NINH, documentId);
          expect(docs.map((d) => d.status), name).to.deep.equal([additionSentFirst ? 'recalled' : 'received']);
        }
      });

      it('replacement: accepted (earlier document replaced, the new one registered, 15) and refused (16); a duplicate changes nothing', async () => {
        const old = await sendTo('Quyết định cũ', [TAY_NINH, SO_TTTT]);
        const tnOld = await incomingAt(TAY_NINH, old.edxmlDocumentId);
        const soOld = await incomingAt(SO_TTTT, old.edxmlDocumentId);
        await net.node(TAY_NINH).app.exchange.clerk.accept(await clerkOf(TAY_NINH), TAY_NINH, tnOld.id);
        const sender = net.node(VPCP);
        const draft = await sender.app.registry.draftOutgoing(await actorFor(sender.db.database, 'chuyen_vien', VPCP), VPCP, { typeName: 'Công văn', subject: 'Quyết định thay thế', priority: 0, recipients: [TAY_NINH, SO_TTTT].map((organId) => ({ organId, organName: NAMES[organId] as string })) });
        await sender.app.registry.issueOutgoing(await clerkOf(VPCP), VPCP, draft.id);
        const sent = await sender.app.exchange.sending.replace(await clerkOf(VPCP), VPCP, draft.id, { replacesDocumentId: old.documentId, reason: 'Thay thế do sai sót' });
        expect(sent.edxmlDocumentId).to.not.equal(old.edxmlDocumentId);
        expect((await deliveries(draft.id)).map((d) => [d.replacesDocumentId, d.pendingRequest])).to.deep.equal([[old.documentId, 'replace'], [old.documentId, 'replace']]);
        // The earlier document is replaced in the sender's book at once (audited, naming its replacement), closed to another replacement or a recall.
        expect((await rows(VPCP, 'documents', { id: old.documentId }))[0].status).to.equal('replaced');
        expect(await audited(VPCP, 'outgoing.replaced', old.documentId)).to.have.length(1);
        expect((await deliveries(old.documentId)).map((d) => d.recipientOrganId)).to.have.members([TAY_NINH, SO_TTTT]); // still followed
        const another = await sender.app.registry.draftOutgoing(await actorFor(sender.db.database, 'chuyen_vien', VPCP), VPCP, { typeName: 'Công văn', subject: 'Thay thế lần hai', priority: 0, recipients: [{ organId: TAY_NINH, organName: NAMES[TAY_NINH] as string }] });
        await sender.app.registry.issueOutgoing(await clerkOf(VPCP), VPCP, another.id);
        expect(await codeOf(sender.app.exchange.sending.replace(await clerkOf(VPCP), VPCP, another.id, { replacesDocumentId: old.documentId, reason: 'Lần hai' }))).to.equal('exchange.withdrawn');
        expect(await rows(VPCP, 'exchange_deliveries', { document_id: another.id })).to.have.length(0); // nothing sent
        expect(await codeOf(sender.app.exchange.sending.recall(await clerkOf(VPCP), VPCP, old.documentId, 'Thu hồi'))).to.equal('exchange.withdrawn');

        const tnNew = await incomingAt(TAY_NINH, sent.edxmlDocumentId);
        expect(tnNew.status).to.equal('received');
        expect(tnNew.subject).to.equal('Quyết định thay thế');
        const tnRequest = await requestAt(TAY_NINH, sent.edxmlDocumentId, 3);
        expect(tnRequest).to.deep.include({ documentId: tnOld.id, replacementDocumentId: tnNew.id, reason: 'Thay thế do sai sót' });
        await net.node(TAY_NINH).app.exchange.clerk.answerRequest(await clerkOf(TAY_NINH), TAY_NINH, tnRequest.id, true);
        const registered = await net.node(TAY_NINH).app.exchange.clerk.accept(await clerkOf(TAY_NINH), TAY_NINH, tnNew.id);
        expect(registered.metadata.arrivalNumber).to.be.a('number');
        const [tnOldAfter] = await rows(TAY_NINH, 'documents', { id: tnOld.id });
        expect(tnOldAfter.status).to.equal('replaced');
        expect(tnOldAfter.arrival_number).to.be.a('number'); // kept
        expect((await rows(TAY_NINH, 'exchange_requests', { id: tnRequest.id }))[0]).to.deep.include({ document_id: tnOld.id, replacement_document_id: tnNew.id, state: 'accepted' });

        const soNew = await incomingAt(SO_TTTT, sent.edxmlDocumentId);
        const soRequest = await requestAt(SO_TTTT, sent.edxmlDocumentId, 3);
        await net.node(SO_TTTT).app.exchange.clerk.answerRequest(await clerkOf(SO_TTTT), SO_TTTT, soRequest.id, false, 'Văn bản cũ đã thực hiện');
        expect((await rows(SO_TTTT, 'documents', { id: soOld.id }))[0].status).to.equal('received');
        expect((await rows(SO_TTTT, 'documents', { id: soNew.id }))[0].status).to.equal('received');

        const final = await eventually(async () => { const d = await deliveries(draft.id); return d.every(answered) && d.find((x) => x.recipientOrganId === TAY_NINH)?.arrivalNumber !== null && d; }, '15/16 and 03 on the replacement\'s deliveries');
        expect(final.find((d) => d.recipientOrganId === TAY_NINH)?.history.find((e) => e.code === '15')?.request).to.equal('replace');
        expect(final.find((d) => d.recipientOrganId === TAY_NINH)?.arrivalNumber).to.equal(registered.metadata.arrivalNumber);
        expect(final.find((d) => d.recipientOrganId === SO_TTTT)?.history.find((e) => e.code === '16')?.description).to.equal('Từ chối: Văn bản cũ đã thực hiện');

        // The replacement package again (another message id): one document, one request, nothing changes.
        const entry = (await rows(VPCP, 'axis_outbox', { document_id: draft.id, recipient_organ_id: TAY_NINH, message_type: 'edoc' }))[0];
        const statusesBefore = (await rows(TAY_NINH, 'axis_outbox', { message_type: 'status' })).length;
        await net.rogue.publish({ headers: { from: VPCP, to: TAY_NINH, messageType: 'edoc', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: entry.package_digest }, payload: bytesPayload(await sentPackage(VPCP, entry)) });
        await eventually(async () => (await rows(TAY_NINH, 'axis_outbox', { message_type: 'status' })).length === statusesBefore + 1, 'the status re-sent');
        expect(await received(TAY_NINH, sent.edxmlDocumentId)).to.have.length(1);
        expect(await rows(TAY_NINH, 'exchange_requests', { edxml_document_id: sent.edxmlDocumentId })).to.have.length(1);
        expect((await rows(TAY_NINH, 'documents', { id: tnNew.id }))[0].status).to.equal('registered');
      });

      it('a duplicate update package changes nothing and gets the answer already given', async () => {
        const { documentId, edxmlDocumentId } = await sendTo('Công văn cập nhật hai lần', [TAY_NINH]);
        await net.node(VPCP).app.exchange.sending.update(await clerkOf(VPCP), VPCP, documentId, { reason: 'Sửa trích yếu', metadata: { subject: 'Công văn cập nhật (sửa)' } });
        const request = await requestAt(TAY_NINH, edxmlDocumentId, 2);
        await net.node(TAY_NINH).app.exchange.clerk.answerRequest(await clerkOf(TAY_NINH), TAY_NINH, request.id, true);
        await eventually(async () => (await deliveries(documentId))[0]?.history.some((e) => e.code === '15'), '15 at the sender');
        const entries = await rows(VPCP, 'axis_outbox', { document_id: documentId, recipient_organ_id: TAY_NINH, message_type: 'edoc' });
        const update = (await Promise.all(entries.map(async (e) => ({ ...e, bytes: await sentPackage(VPCP, e) })))).find((e) => Buffer.from(e.bytes).toString('utf8').includes('BussinessDocType>2<'));
        if (!update) throw new Error('no update package in the outbox');
        const statusesBefore = await rows(TAY_NINH, 'axis_outbox', { message_type: 'status' });
        await net.rogue.publish({ headers: { from: VPCP, to: TAY_NINH, messageType: 'edoc', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: update.package_digest }, payload: bytesPayload(update.bytes) });
        const resent = await eventually(async () => { const r = await rows(TAY_NINH, 'axis_outbox', { message_type: 'status' }); return r.length === statusesBefore.length + 1 && r; }, 'the answer re-sent');
        const extra = resent.find((r) => !statusesBefore.some((b) => b.id === r.id));
        expect(Buffer.from(extra.package).toString('utf8')).to.include('<edXML:StatusCode>15<');
        expect(await rows(TAY_NINH, 'exchange_requests', { edxml_document_id: edxmlDocumentId })).to.have.length(1);
        const [doc] = await received(TAY_NINH, edxmlDocumentId);
        expect(await net.node(TAY_NINH).app.exchange.clerk.metadataHistory(await clerkOf(TAY_NINH), TAY_NINH, doc.id)).to.have.length(1);
        // The re-sent 15, once consumed at the sender, finds no request waiting there: recorded once.
        await eventually(async () => (await rows(VPCP, 'axis_inbox', { message_id: extra.message_id })).length === 1, 'the re-sent 15 consumed by the sender');
        expect((await deliveries(documentId))[0]?.history.filter((e) => e.code === '15')).to.have.length(1);
      });

      it('over HTTP: update and its metadata history, a refused request, a replacement, invalid bodies', async () => {
        const { base, call, close } = httpOf(net);
        try {
          const login = async (url: string, organId: string) => (await (await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: demoUsername('van_thu', organId), password: TEST_PASSWORD }) })).json() as { token: string }).token;
          const [senderUrl, recipientUrl] = [await base(VPCP), await base(TAY_NINH)];
          const [senderToken, recipientToken] = [await login(senderUrl, VPCP), await login(recipientUrl, TAY_NINH)];
          const { documentId, edxmlDocumentId } = await sendTo('Công văn cập nhật qua API', [TAY_NINH]);

          const bad = await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing/${documentId}/update`, senderToken, { reason: 'x', metadata: { codeNumber: '99' } });
          expect(bad.status).to.equal(400);
          expect(bad.body.error.code).to.equal('request.invalid');
          const nothing = await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing/${documentId}/update`, senderToken, { reason: 'Không đổi gì', metadata: { subject: 'Công văn cập nhật qua API' } });
          expect(nothing.status).to.equal(400);
          const updated = await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing/${documentId}/update`, senderToken, { reason: 'Sửa trích yếu', metadata: { subject: 'Công văn cập nhật qua API (sửa)', signerInfo: { fullName: 'Trần Văn B', position: 'Thứ trưởng', competence: 'KT.' } } });
          expect(updated.status).to.equal(202);
          expect(updated.body.changed).to.have.members(['subject', 'signerInfo']);
          const pending = await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing/${documentId}/update`, senderToken, { reason: 'Lần nữa', metadata: { subject: 'Lần nữa' } });
          expect(pending.status).to.equal(409);
          expect(pending.body.error.code).to.equal('exchange.request_pending');

          const request = await eventually(async () => (await call(recipientUrl, 'GET', `/api/agencies/${TAY_NINH}/exchange/requests`, recipientToken)).body.items.find((r: { edxmlDocumentId: string; businessDocType: number }) => r.edxmlDocumentId === edxmlDocumentId && r.businessDocType === 2), 'the update request over HTTP');
          expect(request).to.deep.include({ state: 'pending', reason: 'Sửa trích yếu', businessDocTypeLabel: 'Cập nhật văn bản' });
          expect(request.update).to.deep.equal({ documentInfo: true, documentReceiver: false, added: [], removed: [] });
          const accepted = await call(recipientUrl, 'POST', `/api/agencies/${TAY_NINH}/exchange/requests/${request.id}/accept`, recipientToken);
          expect(accepted.status).to.equal(200);
          expect(accepted.body.state).to.equal('accepted');
          const again = await call(recipientUrl, 'POST', `/api/agencies/${TAY_NINH}/exchange/requests/${request.id}/refuse`, recipientToken, { reason: 'muộn' });
          expect(again.status).to.equal(409);
          expect(again.body.error.code).to.equal('exchange.request_answered');
          const history = await call(recipientUrl, 'GET', `/api/agencies/${TAY_NINH}/documents/${request.documentId}/metadata-history`, recipientToken);
          expect(history.status).to.equal(200);
          expect(history.body.items).to.have.length(1);
          expect(history.body.items[0]).to.deep.include({ source: 'update_received', reason: 'Sửa trích yếu' });
          expect(history.body.items[0].before.subject).to.equal('Công văn cập nhật qua API');
          expect(history.body.items[0].after.signerInfo).to.deep.include({ fullName: 'Trần Văn B' });
          const senderHistory = await call(senderUrl, 'GET', `/api/agencies/${VPCP}/documents/${documentId}/metadata-history`, senderToken);
          expect(senderHistory.body.items.map((i: { source: string }) => i.source)).to.deep.equal(['update_sent']);
          const listed = await eventually(async () => { const r = await call(senderUrl, 'GET', `/api/agencies/${VPCP}/outgoing/${documentId}/deliveries`, senderToken); return r.body.items[0]?.pendingRequest === null && r.body; }, '15 over HTTP');
          expect(listed.items[0].history.find((e: { code: string }) => e.code === '15')).to.deep.include({ label: 'Đồng ý', request: 'update' });

          // Replacement over HTTP: a new issued document replaces the updated one.
          const specialist = await actorFor(net.node(VPCP).db.database, 'chuyen_vien', VPCP);
          const draft = await net.node(VPCP).app.registry.draftOutgoing(specialist, VPCP, { typeName: 'Công văn', subject: 'Công văn thay thế qua API', priority: 0, recipients: [{ organId: TAY_NINH, organName: NAMES[TAY_NINH] as string }] });
          expect((await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing/${draft.id}/issue`, senderToken)).status).to.equal(200);
          const notSent = await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing/${draft.id}/replace`, senderToken, { replacesDocumentId: randomUUID(), reason: 'Thay thế' });
          expect(notSent.status).to.equal(404);
          const replaced = await call(senderUrl, 'POST', `/api/agencies/${VPCP}/outgoing/${draft.id}/replace`, senderToken, { replacesDocumentId: documentId, reason: 'Thay thế' });
          expect(replaced.status).to.equal(202);
          expect(replaced.body.recipients).to.deep.equal([TAY_NINH]);
          const replaceRequest = await eventually(async () => (await call(recipientUrl, 'GET', `/api/agencies/${TAY_NINH}/exchange/requests`, recipientToken)).body.items.find((r: { edxmlDocumentId: string }) => r.edxmlDocumentId === replaced.body.edxmlDocumentId), 'the replacement request over HTTP');
          expect(replaceRequest.replaces).to.deep.equal([{ documentId: edxmlDocumentId, organIds: [TAY_NINH] }]);
          expect(replaceRequest.documentId).to.equal(request.documentId);
          expect(replaceRequest.replacementDocumentId).to.be.a('string');

          // Hoàn thành over HTTP (AssignmentService): 409 before registration, then 06 at the sender.
          const early = await call(recipientUrl, 'POST', `/api/agencies/${TAY_NINH}/incoming/${replaceRequest.replacementDocumentId}/complete`, recipientToken);
          expect(early.status).to.equal(409);
          expect((await call(recipientUrl, 'POST', `/api/agencies/${TAY_NINH}/incoming/${replaceRequest.replacementDocumentId}/accept`, recipientToken)).status).to.equal(200);
          const done = await call(recipientUrl, 'POST', `/api/agencies/${TAY_NINH}/incoming/${replaceRequest.replacementDocumentId}/complete`, recipientToken);
          expect(done.status).to.equal(200);
          expect(done.body.status).to.equal('completed');
          await eventually(async () => (await deliveries(draft.id))[0]?.status === '06', '06 at the sender');
        } finally {
          await close();
        }
      });

      it('a recipient that was down gets the document and its update together: one incoming document, whichever commits first', async () => {
        const so = net.node(SO_TTTT);
        await so.app.exchange.stop();
        let started = false;
        try {
          const sender = net.node(VPCP);
          const draft = await sender.app.registry.draftOutgoing(await actorFor(sender.db.database, 'chuyen_vien', VPCP), VPCP, { typeName: 'Công văn', subject: 'Gửi khi Sở dừng', priority: 0, recipients: [{ organId: SO_TTTT, organName: NAMES[SO_TTTT] as string }] });
          await sender.app.registry.issueOutgoing(await clerkOf(VPCP), VPCP, draft.id);
          const sent = await sender.app.exchange.sending.send(await clerkOf(VPCP), VPCP, draft.id);
          await sender.app.exchange.sending.update(await clerkOf(VPCP), VPCP, draft.id, { reason: 'Sửa trích yếu', metadata: { subject: 'Gửi khi Sở dừng (sửa)' } });
          await eventually(async () => (await rows(VPCP, 'axis_outbox', { document_id: draft.id, message_type: 'edoc' })).every((r) => r.state === 'sent'), 'both packages confirmed by the broker');
          so.clock.set(new Date());
          await so.app.exchange.start();
          started = true;
          const messageIds = (await rows(VPCP, 'axis_outbox', { document_id: draft.id, message_type: 'edoc' })).map((r) => r.message_id as string);
          await eventually(async () => (await so.db.database.knex('axis_inbox').where({ sender_organ_id: VPCP }).whereIn('message_id', messageIds)).length === 2, 'both packages consumed');
          expect(await received(SO_TTTT, sent.edxmlDocumentId)).to.have.length(1);
          expect(await so.db.database.knex('exchange_quarantine').whereIn('message_id', messageIds)).to.have.length(0);
        } finally {
          if (!started) await so.app.exchange.start();
        }
      });

      it('an update that arrives before the original document: it creates the document, the original is then a duplicate', async () => {
        const documentId = `${VPCP},2026/11/23,early-${randomUUID()}`;
        const credentials = keyObjectCredentials(organisationKey(VPCP), organisationCert(VPCP), [issuingCa()]);
        const header = (subject: string) => ({ from: { organId: VPCP as OrganId, organName: 'Văn phòng Chính phủ' }, to: [{ organId: TAY_NINH as OrganId }], documentId, code: { codeNumber: '6', codeNotation: 'VPCP-TH' }, promulgationInfo: { promulgationDate: '2026-11-23' as never }, documentType: { type: 1, typeName: 'Công văn' }, subject, toPlaces: [], responseFor: [] });
        const publish = async (bytes: Buffer) => {
          const messageId = randomUUID();
          await net.rogue.publish({ headers: { from: VPCP, to: TAY_NINH, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(bytes).digest('hex') }, payload: bytesPayload(bytes) });
          await eventually(async () => (await rows(TAY_NINH, 'axis_inbox', { message_id: messageId })).length === 1, `message ${messageId} consumed`);
        };
        await publish(await signEnvelope(buildDocumentPackage({ header: header('Bản cập nhật'), traceHeaders: [], attachments: [], business: { businessDocType: 2, businessDocReason: 'Cập nhật', documentId, paper: false, businessDocumentInfo: { documentInfo: true, receivers: [] }, replacementInfoList: [] } }), credentials));
        const [doc] = await received(TAY_NINH, documentId);
        expect(doc.subject).to.equal('Bản cập nhật');
        await publish(await signEnvelope(buildDocumentPackage({ header: header('Bản gốc'), traceHeaders: [], attachments: [] }), credentials));
        expect(await received(TAY_NINH, documentId)).to.have.length(1);
        expect((await received(TAY_NINH, documentId))[0].subject).to.equal('Bản cập nhật');
        expect(await rows(TAY_NINH, 'exchange_requests', { edxml_document_id: documentId })).to.have.length(0);
      });

      it('a replacement that arrives before the document it replaces: accepted then, it marks that document replaced when it arrives', async () => {
        const oldId = `${VPCP},2026/11/23,old-${randomUUID()}`;
        const newId = `${VPCP},2026/11/24,new-${randomUUID()}`;
        const credentials = keyObjectCredentials(organisationKey(VPCP), organisationCert(VPCP), [issuingCa()]);
        const header = (documentId: string, subject: string) => ({ from: { organId: VPCP as OrganId, organName: 'Văn phòng Chính phủ' }, to: [{ organId: TAY_NINH as OrganId }], documentId, code: { codeNumber: '7', codeNotation: 'VPCP-TH' }, promulgationInfo: { promulgationDate: '2026-11-23' as never }, documentType: { type: 1, typeName: 'Công văn' }, subject, toPlaces: [], responseFor: [] });
        const publish = async (bytes: Buffer) => {
          const messageId = randomUUID();
          await net.rogue.publish({ headers: { from: VPCP, to: TAY_NINH, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(bytes).digest('hex') }, payload: bytesPayload(bytes) });
          await eventually(async () => (await rows(TAY_NINH, 'axis_inbox', { message_id: messageId })).length === 1, `message ${messageId} consumed`);
        };
        await publish(await signEnvelope(buildDocumentPackage({ header: header(newId, 'Văn bản thay thế'), traceHeaders: [], attachments: [], business: { businessDocType: 3, businessDocReason: 'Thay thế văn bản sai', documentId: newId, paper: false, replacementInfoList: [{ documentId: oldId, organIds: [TAY_NINH as OrganId] }] } }), credentials));
        const request = await requestAt(TAY_NINH, newId, 3);
        expect(request).to.deep.include({ documentId: null, targetEdxmlDocumentId: oldId, state: 'pending' });
        await net.node(TAY_NINH).app.exchange.clerk.answerRequest(await clerkOf(TAY_NINH), TAY_NINH, request.id, true);
        await publish(await signEnvelope(buildDocumentPackage({ header: header(oldId, 'Văn bản bị thay thế'), traceHeaders: [], attachments: [] }), credentials));
        const [old] = await received(TAY_NINH, oldId);
        expect(old.status).to.equal('replaced');
        expect((await rows(TAY_NINH, 'exchange_requests', { id: request.id }))[0]).to.deep.include({ document_id: old.id, replacement_document_id: request.replacementDocumentId });
        expect((await received(TAY_NINH, newId)).map((d) => d.status)).to.deep.equal(['received']);
      });

      it('a recall the receipt of its document missed (two processes, both at once): linked by the periodic pass at start, and applied once', async () => {
        const documentId = `${VPCP},2026/11/23,race-${randomUUID()}`;
        const credentials = keyObjectCredentials(organisationKey(VPCP), organisationCert(VPCP), [issuingCa()]);
        const header = { from: { organId: VPCP as OrganId, organName: 'Văn phòng Chính phủ' }, to: [{ organId: TAY_NINH as OrganId }], documentId, code: { codeNumber: '8', codeNotation: 'VPCP-TH' }, promulgationInfo: { promulgationDate: '2026-11-23' as never }, documentType: { type: 1, typeName: 'Công văn' }, subject: 'Thu hồi cùng lúc', toPlaces: [], responseFor: [] };
        const node = net.node(TAY_NINH);
        const knex = node.db.database.knex;
        const publish = async (bytes: Buffer) => {
          const messageId = randomUUID();
          await net.rogue.publish({ headers: { from: VPCP, to: TAY_NINH, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(bytes).digest('hex') }, payload: bytesPayload(bytes) });
          await eventually(async () => (await rows(TAY_NINH, 'axis_inbox', { message_id: messageId })).length === 1, `message ${messageId} consumed`);
        };
        await publish(await signEnvelope(buildDocumentPackage({ header, traceHeaders: [], attachments: [], business: { businessDocType: 1, businessDocReason: 'Thu hồi', documentId, paper: false, replacementInfoList: [] } }), credentials));
        const request = await requestAt(TAY_NINH, documentId, 1);
        await node.app.exchange.clerk.answerRequest(await clerkOf(TAY_NINH), TAY_NINH, request.id, true);
        // The document's receipt runs beside the recall's in another process: its statement does not see the
        // request (emulated by pointing the request elsewhere while the document is received).
        await knex('exchange_requests').where({ id: request.id }).update({ target_edxml_document_id: 'elsewhere' });
        await publish(await signEnvelope(buildDocumentPackage({ header, traceHeaders: [], attachments: [] }), credentials));
        await knex('exchange_requests').where({ id: request.id }).update({ target_edxml_document_id: documentId });
        const [doc] = await received(TAY_NINH, documentId);
        expect([doc.status, (await rows(TAY_NINH, 'exchange_requests', { id: request.id }))[0].document_id]).to.deep.equal(['received', null]);
        expect(await audited(TAY_NINH, 'incoming.recall_accept', doc.id)).to.have.length(0);
        // The pass runs when the node starts (and every waitingRequestCheckSeconds): it links the request and applies the accepted recall.
        await node.app.exchange.stop();
        await node.app.exchange.start();
        await eventually(async () => (await rows(TAY_NINH, 'exchange_requests', { id: request.id }))[0].document_id === doc.id, 'request linked by the pass');
        expect((await rows(TAY_NINH, 'documents', { id: doc.id }))[0].status).to.equal('recalled');
        expect(await audited(TAY_NINH, 'incoming.recall_accept', doc.id)).to.have.length(1); // the effect, audited when it happened
        // Once: a second pass finds nothing left to link.
        const pass = () => node.app.exchange.receiving.linkWaitingRequests(node.app.exchange.unitOfWork, [TAY_NINH]);
        expect(await pass()).to.equal(0);
        expect(await audited(TAY_NINH, 'incoming.recall_accept', doc.id)).to.have.length(1);
        // Two passes at once (two processes) on a request left unlinked again: one links and applies it, the other skips it.
        await knex('exchange_requests').where({ id: request.id }).update({ document_id: null });
        await knex('documents').where({ id: doc.id }).update({ status: 'received' });
        expect((await Promise.all([pass(), pass()])).sort()).to.deep.equal([0, 1]);
        expect(await audited(TAY_NINH, 'incoming.recall_accept', doc.id)).to.have.length(2);
        expect((await rows(TAY_NINH, 'documents', { id: doc.id }))[0].status).to.equal('recalled');
      });

      it('an update removing a recipient that never got the document: the request is recorded, no document is created', async () => {
        const documentId = `${VPCP},2026/11/23,removed-${randomUUID()}`;
        const bytes = await signEnvelope(buildDocumentPackage({
          header: { from: { organId: VPCP as OrganId, organName: 'Văn phòng Chính phủ' }, to: [{ organId: TAY_NINH as OrganId }, { organId: SO_TTTT as OrganId }], documentId, code: { codeNumber: '5', codeNotation: 'VPCP-TH' }, promulgationInfo: { promulgationDate: '2026-11-23' as never }, documentType: { type: 1, typeName: 'Công văn' }, subject: 'Bỏ nơi nhận', toPlaces: [], responseFor: [] },
          traceHeaders: [], attachments: [],
          business: { businessDocType: 2, businessDocReason: 'Bỏ Tây Ninh khỏi nơi nhận', documentId, paper: false, businessDocumentInfo: { documentInfo: false, documentReceiver: true, receivers: [{ organId: TAY_NINH as OrganId, receiverType: 0 }] }, replacementInfoList: [] },
        }), keyObjectCredentials(organisationKey(VPCP), organisationCert(VPCP), [issuingCa()]));
        await net.rogue.publish({ headers: { from: VPCP, to: TAY_NINH, messageType: 'edoc', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: createHash('sha256').update(bytes).digest('hex') }, payload: bytesPayload(bytes) });
        const request = await requestAt(TAY_NINH, documentId, 2);
        expect(request).to.deep.include({ documentId: null, state: 'pending', reason: 'Bỏ Tây Ninh khỏi nơi nhận' });
        expect(await received(TAY_NINH, documentId)).to.have.length(0);
      });

      it('a recall that overtakes its document (the original failed and is sent again after it): linked on arrival; accepted before, it cancels the document at once', async () => {
        const sender = net.node(VPCP);
        // The relay stopped while the document is sent; its entries then fail (broker unreachable for the whole schedule).
        await sender.app.exchange.stop();
        let draftId = '';
        let edxmlDocumentId = '';
        try {
          const draft = await sender.app.registry.draftOutgoing(await actorFor(sender.db.database, 'chuyen_vien', VPCP), VPCP, { typeName: 'Công văn', subject: 'Gửi lỗi rồi thu hồi', priority: 0, recipients: [TAY_NINH, SO_TTTT].map((organId) => ({ organId, organName: NAMES[organId] as string })) });
          draftId = draft.id;
          await sender.app.registry.issueOutgoing(await clerkOf(VPCP), VPCP, draft.id);
          ({ edxmlDocumentId } = await sender.app.exchange.sending.send(await clerkOf(VPCP), VPCP, draft.id));
          const store = new KnexOutboxStore(sender.db.database.knex);
          for (const entry of await rows(VPCP, 'axis_outbox', { document_id: draft.id })) await store.markFailed(entry.id, 4, new Date(), 'axis.unavailable: broker unreachable');
        } finally {
          await sender.app.exchange.start();
        }
        // The recall leaves at once; the recipients have no document yet: each records the request without one.
        expect((await sender.app.exchange.sending.recall(await clerkOf(VPCP), VPCP, draftId, 'Thu hồi trước khi đến')).recipients).to.deep.equal([TAY_NINH, SO_TTTT]);
        const tnRequest = await requestAt(TAY_NINH, edxmlDocumentId, 1);
        const soRequest = await requestAt(SO_TTTT, edxmlDocumentId, 1);
        expect([tnRequest.documentId, soRequest.documentId, tnRequest.targetEdxmlDocumentId]).to.deep.equal([null, null, edxmlDocumentId]);
        expect(await received(TAY_NINH, edxmlDocumentId)).to.have.length(0);
        // Tây Ninh's văn thư accepts it before the document exists (15); Sở TTTT's leaves it pending.
        await net.node(TAY_NINH).app.exchange.clerk.answerRequest(await clerkOf(TAY_NINH), TAY_NINH, tnRequest.id, true);
        await eventually(async () => (await deliveries(draftId)).find((d) => d.recipientOrganId === TAY_NINH && d.history.some((e) => e.code === '15')), '15 from Tây Ninh');

        // The sender's văn thư sends the failed document again: it arrives after its recall.
        expect((await sender.app.exchange.outbox.retryDocument(await clerkOf(VPCP), VPCP, draftId)).retried).to.equal(2);
        const tnDoc = await incomingAt(TAY_NINH, edxmlDocumentId);
        const soDoc = await incomingAt(SO_TTTT, edxmlDocumentId);
        // Tây Ninh: stored once and cancelled at once, as the accepted recall says; the request now names it.
        expect((await received(TAY_NINH, edxmlDocumentId)).map((d) => d.status)).to.deep.equal(['recalled']);
        expect((await rows(TAY_NINH, 'exchange_requests', { id: tnRequest.id }))[0]).to.deep.include({ document_id: tnDoc.id, state: 'accepted' });
        const applied = await audited(TAY_NINH, 'incoming.recall_accept', tnDoc.id);
        expect(applied).to.have.length(1); // the effect, audited when it happened (on arrival), besides the answer's own entry
        expect(await codeOf(net.node(TAY_NINH).app.exchange.clerk.accept(await clerkOf(TAY_NINH), TAY_NINH, tnDoc.id))).to.equal('exchange.not_received');
        // Sở TTTT: the document is received as usual, the pending request linked to it; accepting it now cancels it.
        expect(soDoc.status).to.equal('received');
        const linked = (await net.node(SO_TTTT).app.exchange.clerk.requests(await clerkOf(SO_TTTT), SO_TTTT)).find((r) => r.id === soRequest.id);
        expect(linked).to.deep.include({ documentId: soDoc.id, state: 'pending' });
        await net.node(SO_TTTT).app.exchange.clerk.answerRequest(await clerkOf(SO_TTTT), SO_TTTT, soRequest.id, true);
        expect((await rows(SO_TTTT, 'documents', { id: soDoc.id }))[0].status).to.equal('recalled');
        // The sender sees, per recipient, the recall answered 15 and the document arrived (01), each once.
        const final = await eventually(async () => { const d = await deliveries(draftId); return d.every((x) => ['01', '15'].every((c) => x.history.some((e) => e.code === c))) && d; }, '01 and 15 from both');
        for (const d of final) expect(d.history.filter((e) => e.code === '15')).to.have.length(1);
      });

      it('AssignmentService: assigning a received document emits 04 and completing it 06 to the sender, in the same transaction', async () => {
        const { documentId, edxmlDocumentId } = await sendTo('Văn bản giao việc qua phân công', [TAY_NINH]);
        const node = net.node(TAY_NINH);
        const doc = await incomingAt(TAY_NINH, edxmlDocumentId);
        await node.app.exchange.clerk.accept(await clerkOf(TAY_NINH), TAY_NINH, doc.id);
        const leader = await actorFor(node.db.database, 'lanh_dao', TAY_NINH);
        const specialist = await actorFor(node.db.database, 'chuyen_vien', TAY_NINH);
        const created = await node.app.assignments.assign(leader, TAY_NINH, doc.id, [{ kind: 'chu_tri', userId: specialist.userId, deadline: '2026-12-31' }]);
        expect(created).to.have.length(1);
        const assigned = await eventually(async () => (await deliveries(documentId)).find((d) => d.history.some((e) => e.code === '04')), '04 at the sender');
        expect(assigned.status).to.equal('05'); // 05 (đang xử lý) came with the registration and stays the furthest
        const completed = await node.app.assignments.complete(specialist, TAY_NINH, doc.id);
        expect(completed.status).to.equal('completed');
        const d = await eventually(async () => (await deliveries(documentId)).find((x) => x.status === '06'), '06 at the sender');
        expect(d.history.map((e) => e.code).sort()).to.deep.equal(['01', '03', '04', '05', '06']);
        // A paper document is assigned without any status message.
        const outboxBefore = (await rows(TAY_NINH, 'axis_outbox')).length;
        const paper = await node.app.registry.registerIncoming(await clerkOf(TAY_NINH), TAY_NINH, { origin: 'paper', senderName: 'UBND huyện Châu Thành', typeName: 'Công văn', subject: 'Văn bản giấy', priority: 0 });
        await node.app.assignments.assign(leader, TAY_NINH, paper.document.id, [{ kind: 'chu_tri', userId: specialist.userId }]);
        expect((await rows(TAY_NINH, 'documents', { id: paper.document.id }))[0].status).to.equal('assigned');
        expect((await rows(TAY_NINH, 'axis_outbox')).length).to.equal(outboxBefore);
      });
    });

    describe('hostile packages', () => {
      const header = (documentId: string, from: string, subject = 'Gói tin thử') => ({
        from: { organId: from as OrganId, organName: 'Cơ quan gửi' }, to: [{ organId: TAY_NINH as OrganId, organName: 'UBND tỉnh Tây Ninh' }], documentId,
        code: { codeNumber: '99', codeNotation: 'QĐ-TEST' }, promulgationInfo: { promulgationDate: '2026-11-23' as never }, documentType: { type: 1, typeName: 'Quyết định' },
        subject, toPlaces: [], responseFor: [],
      });
      const signedPackage = async (documentId: string, from: string, signerOrgan: string, attachment?: Buffer) => signEnvelope(
        buildDocumentPackage({ header: header(documentId, from), traceHeaders: [], attachments: attachment ? [{ name: 'phu-luc.txt', content: attachment, contentType: 'text/plain', transferEncoding: 'raw' }] : [] }),
        keyObjectCredentials(organisationKey(signerOrgan), organisationCert(signerOrgan), [issuingCa()]),
      );
      const deliver = async (from: string, bytes: Buffer) => {
        const messageId = randomUUID();
        await net.rogue.publish({ headers: { from, to: TAY_NINH, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(bytes).digest('hex') }, payload: bytesPayload(bytes) });
        return eventually(async () => (await rows(TAY_NINH, 'exchange_quarantine', { message_id: messageId }))[0], `quarantine of ${messageId}`);
      };
      const answered02 = async (documentId: string) => (await rows(TAY_NINH, 'axis_outbox', { message_type: 'status', recipient_organ_id: VPCP })).some((r) => Buffer.from(r.package).toString('utf8').includes(documentId) && Buffer.from(r.package).toString('utf8').includes('<edXML:StatusCode>02<'));

      it('tampered attachment → quarantined (HASH_FAILURE), answered 02', async () => {
        const id = `${VPCP},2026/11/23,tampered-${randomUUID()}`;
        const good = await signedPackage(id, VPCP, VPCP, Buffer.from('Nội dung phụ lục gốc', 'utf8'));
        const original = Buffer.from('Nội dung phụ lục gốc', 'utf8').toString('base64');
        const text = good.toString('utf8');
        expect(text).to.include(original);
        const q = await deliver(VPCP, Buffer.from(text.replace(original, Buffer.from('Nội dung phụ lục SỬA', 'utf8').toString('base64')), 'utf8'));
        expect(q.reason_code).to.equal('exchange.signature_invalid');
        expect(JSON.stringify(q.report)).to.include('HASH_FAILURE');
        expect(q.answered).to.equal(true);
        await eventually(async () => answered02(id), '02 enqueued to the sender');
        expect(await received(TAY_NINH, id)).to.have.length(0);
      });

      it('tampered attachment in a large package (2 MB, chunked over RabbitMQ, verified as a stream) → quarantined (HASH_FAILURE), answered 02', async () => {
        const id = `${VPCP},2026/11/23,tampered-large-${randomUUID()}`;
        const good = await signedPackage(id, VPCP, VPCP, randomBytes(1_500_000));
        const tampered = Buffer.from(good);
        const at = tampered.indexOf('<edXML:ContentTransferEncoded') + 1_000_000;
        tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41; // another base64 letter, in the middle of the run
        const q = await deliver(VPCP, tampered);
        expect(q.reason_code).to.equal('exchange.signature_invalid');
        expect(JSON.stringify(q.report)).to.include('HASH_FAILURE');
        await eventually(async () => answered02(id), '02 enqueued to the sender');
        expect(await received(TAY_NINH, id)).to.have.length(0);
      });

      it('a large package cut short (2 MB, parsed as a stream) → quarantined edxml.malformed, answered 02, nothing received', async () => {
        const id = `${VPCP},2026/11/23,cut-${randomUUID()}`;
        const good = await signedPackage(id, VPCP, VPCP, randomBytes(1_500_000));
        const q = await deliver(VPCP, good.subarray(0, good.indexOf('<edXML:ContentTransferEncoded') + 1_200_000));
        expect(q.reason_code).to.equal('edxml.malformed');
        expect(q.answered).to.equal(true);
        expect(await received(TAY_NINH, id)).to.have.length(0);
      });

      it('envelope signed by another agency\'s key → quarantined (organisation mismatch), answered 02', async () => {
        const id = `${VPCP},2026/11/23,forged-${randomUUID()}`;
        const q = await deliver(VPCP, await signedPackage(id, VPCP, SO_TTTT));
        expect(q.reason_code).to.equal('exchange.signature_invalid');
        expect(JSON.stringify(q.report)).to.include('SIG_CONSTRAINTS_FAILURE');
        expect(q.answered).to.equal(true);
        expect(await received(TAY_NINH, id)).to.have.length(0);
      });

      it('unknown sender (not in the directory) → quarantined, not answered', async () => {
        const id = `${BO_NOI_VU},2026/11/23,unknown-${randomUUID()}`;
        const q = await deliver(BO_NOI_VU, await signedPackage(id, BO_NOI_VU, BO_NOI_VU));
        expect(q.reason_code).to.equal('exchange.signature_invalid');
        expect(q.answered).to.equal(false);
        expect(q.sender_organ_id).to.equal(BO_NOI_VU);
      });

      it('oversized attachment (over the node\'s per-file limit) → quarantined edxml.too_large, answered 02, nothing stored', async () => {
        const id = `${VPCP},2026/11/23,oversized-${randomUUID()}`;
        const bytes = await signedPackage(id, VPCP, VPCP, randomBytes(3 * 1024 * 1024)); // 4 MB of base64: over RabbitMQ, 1 MB chunks
        const q = await deliver(VPCP, bytes);
        expect(q.reason_code).to.equal('edxml.too_large');
        expect(q.answered).to.equal(true);
        expect(await received(TAY_NINH, id)).to.have.length(0);
        expect(await rows(TAY_NINH, 'attachments')).to.satisfy((rs: { size: number }[]) => rs.every((r) => r.size <= 2 * 1024 * 1024));
      });

      it('malformed and DTD-carrying packages → quarantined with the edXML error, answered 02 to the transport sender', async () => {
        const q1 = await deliver(VPCP, Buffer.from('<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXMLEnvelope>', 'utf8'));
        expect(q1.reason_code).to.match(/^edxml\./);
        expect(q1.answered).to.equal(true);
        const q2 = await deliver(VPCP, Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><edXML/>', 'utf8'));
        expect(q2.reason_code).to.equal('edxml.dtd_forbidden');
      });

      it('the node stays healthy and receives the next good package', async () => {
        const { edxmlDocumentId } = await issueAndSend('Sau các gói tin xấu');
        await eventually(async () => (await received(TAY_NINH, edxmlDocumentId)).length === 1, 'receipt after hostile packages');
      });
    });

    it('an expired directory closes the node: sending refused, packages quarantined unanswered, health says expired', async () => {
      const node = net.node(SO_TTTT);
      node.clock.set(new Date(node.clock.now().getTime() + 31 * 24 * HOUR));
      expect(node.app.exchange.directoryHealth().status).to.equal('expired');
      const id = `${VPCP},2026/11/23,late-${randomUUID()}`;
      const bytes = await signedPackage2(id);
      const messageId = randomUUID();
      await net.rogue.publish({ headers: { from: VPCP, to: SO_TTTT, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(bytes).digest('hex') }, payload: bytesPayload(bytes) });
      const q = await eventually(async () => (await rows(SO_TTTT, 'exchange_quarantine', { message_id: messageId }))[0], 'quarantine');
      expect(q.reason_code).to.equal('axis.directory_expired');
      expect(q.answered).to.equal(false);
      const clerk = await actorFor(node.db.database, 'van_thu', SO_TTTT);
      const specialist = await actorFor(node.db.database, 'chuyen_vien', SO_TTTT);
      const draft = await node.app.registry.draftOutgoing(specialist, SO_TTTT, { typeName: 'Quyết định', subject: 'Không gửi được', priority: 0, recipients: [{ organId: VPCP, organName: 'Văn phòng Chính phủ' }] });
      await node.app.registry.issueOutgoing(clerk, SO_TTTT, draft.id);
      let error: unknown;
      try { await node.app.exchange.sending.send(clerk, SO_TTTT, draft.id); } catch (e) { error = e; }
      expect((error as { code?: string }).code).to.equal('axis.directory_expired');
      expect(await rows(SO_TTTT, 'axis_outbox', { document_id: draft.id })).to.have.length(0);
    });

    it('a package quarantined while the directory had expired is received once it is valid again (re-processed once, by the văn thư)', async () => {
      const node = net.node(SO_TTTT);
      const clerk = await actorFor(node.db.database, 'van_thu', SO_TTTT);
      const publish = async (bytes: Buffer) => {
        const messageId = randomUUID();
        await net.rogue.publish({ headers: { from: VPCP, to: SO_TTTT, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(bytes).digest('hex') }, payload: bytesPayload(bytes) });
        return eventually(async () => (await rows(SO_TTTT, 'exchange_quarantine', { message_id: messageId }))[0], `quarantine of ${messageId}`);
      };
      const id = `${VPCP},2026/11/23,reprocess-${randomUUID()}`;
      let q;
      try {
        node.clock.set(new Date(Date.now() + 31 * 24 * HOUR));
        q = await publish(await signedPackage2(id));
        expect([q.reason_code, q.answered]).to.deep.equal(['axis.directory_expired', false]);
        // Still expired: refused, nothing recorded.
        expect(await codeOf(node.app.exchange.quarantine.reprocess(clerk, SO_TTTT, q.id))).to.equal('axis.directory_expired');
        expect((await rows(SO_TTTT, 'exchange_quarantine', { id: q.id }))[0].reprocessed_at).to.equal(null);
      } finally {
        node.clock.set(new Date());
      }
      const listed = (await node.app.exchange.quarantine.list(clerk, SO_TTTT)).find((x) => x.id === q.id);
      expect(listed?.reprocessed).to.equal(null);

      const done = await node.app.exchange.quarantine.reprocess(clerk, SO_TTTT, q.id);
      expect(done.reprocessed?.outcome).to.include({ status: '01' });
      const [doc] = await received(SO_TTTT, id);
      expect(doc.status).to.equal('received');
      expect(done.reprocessed?.outcome.documentId).to.equal(doc.id);
      expect(JSON.stringify((await rows(SO_TTTT, 'exchange_received', { document_id: doc.id }))[0].report)).to.include('TOTAL_PASSED');
      const statuses = (await rows(SO_TTTT, 'axis_outbox', { message_type: 'status', recipient_organ_id: VPCP })).map((r) => Buffer.from(r.package).toString('utf8'));
      expect(statuses.filter((x) => x.includes(id) && x.includes('<edXML:StatusCode>01<'))).to.have.length(1);
      const row = (await rows(SO_TTTT, 'exchange_quarantine', { id: q.id }))[0];
      expect(row.reprocessed_by).to.equal(clerk.userId);
      expect((await rows(SO_TTTT, 'audit_log')).some((a) => String(a.entry).includes('exchange.quarantine.reprocess') && String(a.entry).includes(q.id))).to.equal(true);

      // Once only; and a package already answered 02 is the sender's to send again.
      expect(await codeOf(node.app.exchange.quarantine.reprocess(clerk, SO_TTTT, q.id))).to.equal('exchange.quarantine_reprocessed');
      expect(await received(SO_TTTT, id)).to.have.length(1);
      const forged = await publish(await signedPackage2(`${VPCP},2026/11/23,forged-${randomUUID()}`, TAY_NINH));
      expect([forged.reason_code, forged.answered]).to.deep.equal(['exchange.signature_invalid', true]);
      expect(await codeOf(node.app.exchange.quarantine.reprocess(clerk, SO_TTTT, forged.id))).to.equal('exchange.quarantine_answered');
      expect(await codeOf(node.app.exchange.quarantine.reprocess(clerk, SO_TTTT, randomUUID()))).to.equal('exchange.quarantine_not_found');
      const specialist = await actorFor(node.db.database, 'chuyen_vien', SO_TTTT);
      expect(await codeOf(node.app.exchange.quarantine.reprocess(specialist, SO_TTTT, forged.id))).to.equal('auth.forbidden');
    });

    it('every package quarantined during a directory outage is re-processed at once (reprocessAll), each received once', async () => {
      const node = net.node(SO_TTTT);
      const clerk = await actorFor(node.db.database, 'van_thu', SO_TTTT);
      const ids = [1, 2].map((i) => `${VPCP},2026/11/23,bulk-${i}-${randomUUID()}`);
      const held: string[] = [];
      try {
        node.clock.set(new Date(Date.now() + 31 * 24 * HOUR));
        for (const id of ids) {
          const bytes = await signedPackage2(id);
          const messageId = randomUUID();
          await net.rogue.publish({ headers: { from: VPCP, to: SO_TTTT, messageType: 'edoc', serviceType: 'eDoc', messageId, packageDigest: createHash('sha256').update(bytes).digest('hex') }, payload: bytesPayload(bytes) });
          held.push((await eventually(async () => (await rows(SO_TTTT, 'exchange_quarantine', { message_id: messageId }))[0], `quarantine of ${messageId}`)).id);
        }
        expect(await codeOf(node.app.exchange.quarantine.reprocessAll(clerk, SO_TTTT))).to.equal('axis.directory_expired');
      } finally {
        node.clock.set(new Date());
      }
      const specialist = await actorFor(node.db.database, 'chuyen_vien', SO_TTTT);
      expect(await codeOf(node.app.exchange.quarantine.reprocessAll(specialist, SO_TTTT))).to.equal('auth.forbidden');
      const result = await node.app.exchange.quarantine.reprocessAll(clerk, SO_TTTT);
      expect(result.refused).to.deep.equal([]);
      expect(result.reprocessed.map((q) => q.id)).to.include.members(held);
      for (const q of result.reprocessed.filter((x) => held.includes(x.id))) expect(q.reprocessed?.outcome).to.include({ status: '01' });
      for (const id of ids) expect(await received(SO_TTTT, id)).to.have.length(1);
      expect(await codeOf(node.app.exchange.quarantine.reprocessAll(clerk, SO_TTTT))).to.equal('exchange.nothing_to_reprocess');
      for (const id of ids) expect(await received(SO_TTTT, id)).to.have.length(1);
    });

    it('an organisation key rotated in key custody signs at once, without a restart', async () => {
      const node = net.node(VPCP);
      const admin = await actorFor(node.db.database, 'quan_tri', VPCP);
      const certificate = organisationCert(VPCP);
      const x509 = new X509Certificate(certificate);
      const rotated = await node.app.keyCustody.store(admin.userId, VPCP, {
        kind: 'organisation', ownerUserId: null, pin: null, privateKeyPkcs8: organisationKey(VPCP).export({ type: 'pkcs8', format: 'der' }), certificate, chain: [],
        facts: { subject: x509.subject, serialNumber: x509.serialNumber, notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo), sha256: createHash('sha256').update(certificate).digest('hex'), organId: VPCP },
      });
      // The node opened the new key record (audited as the node's unseal of that key), and signs with it.
      await eventually(async () => (await rows(VPCP, 'audit_log')).some((a) => String(a.entry).includes('key.node_unseal') && String(a.entry).includes(rotated.id)), 'the node unsealed the rotated key');
      const { edxmlDocumentId } = await issueAndSend('Sau khi thay khóa cơ quan');
      const [doc] = await eventually(async () => { const r = await received(TAY_NINH, edxmlDocumentId); return r.length > 0 && r; }, 'receipt after the rotation');
      expect(JSON.stringify((await rows(TAY_NINH, 'exchange_received', { document_id: doc.id }))[0].report)).to.include('TOTAL_PASSED');

    });

    it('a full disk at the recipient while it stores the package or the attachments: no quarantine, no 02; received once when space is back', async () => {
      // ENOSPC for the recipient's blob writes: (1) a package over 1 MB streams its attachment files into the
      // store while it is parsed (not the XML package, written first): the parse, midway, meets storage.full;
      // (2) a small package's files are left in it (held in memory, not written), so the package's own write
      // meets it. Either is an outage: the inbox holds the delivery and retries it.
      const blobDir = join(net.node(SO_TTTT).dataDir, 'blobs');
      const cases = [
        { subject: 'Gửi khi ổ đĩa bên nhận đầy (tệp lớn)', pdf: { padTo: 1_200_000, incompressible: true }, refuses: (data: Uint8Array) => data[0] !== 0x3c /* < */ },
        { subject: 'Gửi khi ổ đĩa bên nhận đầy (gói nhỏ)', pdf: { padTo: 20_000 }, refuses: (data: Uint8Array) => data[0] === 0x3c },
      ];
      for (const c of cases) {
        // The blob store writes a file's first megabytes with fs.writeSync (src/storage/fs-blob-store.ts): the
        // built-in's ESM bindings follow the patched function once synced.
        const original = fs.writeSync;
        let refused = 0;
        let full = true;
        fs.writeSync = function (fd: number, data: unknown, ...rest: unknown[]) {
          if (full && data instanceof Uint8Array && c.refuses(data) && readlinkSync(`/proc/self/fd/${fd}`).startsWith(blobDir)) {
            refused += 1;
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          }
          return (original as (...args: unknown[]) => number)(fd, data, ...rest);
        } as typeof fs.writeSync;
        syncBuiltinESMExports();
        try {
          const quarantinedBefore = (await rows(SO_TTTT, 'exchange_quarantine')).length;
          const sender = net.node(VPCP);
          const specialist = await actorFor(sender.db.database, 'chuyen_vien', VPCP);
          const draft = await sender.app.registry.draftOutgoing(specialist, VPCP, { typeName: 'Công văn', subject: c.subject, priority: 0, recipients: [{ organId: SO_TTTT, organName: 'Sở TTTT' }] });
          await sender.app.attachments.upload(specialist, VPCP, draft.id, { fileName: 'cong-van.pdf', mediaType: 'application/pdf', role: 'main', content: (async function* () { yield samplePdf({ text: `Cong van ${draft.id}`, ...c.pdf }); })() });
          const clerk = await actorFor(sender.db.database, 'van_thu', VPCP);
          await sender.app.registry.issueOutgoing(clerk, VPCP, draft.id);
          const sent = await sender.app.exchange.sending.send(clerk, VPCP, draft.id);
          await eventually(async () => refused >= 2, `${c.subject}: the recipient retrying against the full disk`);
          expect(await received(SO_TTTT, sent.edxmlDocumentId)).to.have.length(0);
          expect(await rows(SO_TTTT, 'exchange_quarantine')).to.have.length(quarantinedBefore);
          full = false;
          const [doc] = await eventually(async () => { const r = await received(SO_TTTT, sent.edxmlDocumentId); return r.length > 0 && r; }, 'receipt once space is back');
          expect(doc.status).to.equal('received');
          const [file] = await rows(SO_TTTT, 'attachments', { document_id: doc.id });
          expect(await rows(SO_TTTT, 'attachments', { document_id: doc.id })).to.have.length(1);
          expect((await readBlob(net.node(SO_TTTT).app.blobs, file.sha256.trim())).subarray(0, 8).toString('latin1'), 'the file is read whole').to.equal('%PDF-1.7');
          const d = await eventually(async () => (await deliveries(draft.id)).find((x) => x.recipientOrganId === SO_TTTT && x.status === '01'), '01 at the sender');
          expect(d.history.map((e) => e.code)).to.deep.equal(['01']); // never a 02
          expect(await received(SO_TTTT, sent.edxmlDocumentId)).to.have.length(1);
        } finally {
          fs.writeSync = original;
          syncBuiltinESMExports();
        }
      }
    });

    it('a document whose retries ran out (failed) is sent again on request, once, with its message id; the agency-wide retry takes the rest', async () => {
      const sender = net.node(VPCP);
      const clerk = await actorFor(sender.db.database, 'van_thu', VPCP);
      const admin = await actorFor(sender.db.database, 'quan_tri', VPCP);
      // The relay stopped while the document is sent; its entries then fail as if the broker had been
      // unreachable for the whole retry schedule (OutboxStore.markFailed, what the relay does at the end).
      await sender.app.exchange.stop();
      let documentId = '';
      let edxmlDocumentId = '';
      try {
        ({ documentId, edxmlDocumentId } = await issueAndSend('Văn bản gửi lỗi, gửi lại'));
        const store = new KnexOutboxStore(sender.db.database.knex);
        for (const entry of await rows(VPCP, 'axis_outbox', { document_id: documentId })) await store.markFailed(entry.id, 8, new Date(), 'axis.unavailable: broker unreachable');
      } finally {
        await sender.app.exchange.start();
      }
      const failed = await deliveries(documentId);
      expect(failed.map((d) => [d.state, d.lastError])).to.deep.equal([['failed', 'axis.unavailable: broker unreachable'], ['failed', 'axis.unavailable: broker unreachable']]);
      const entries = await rows(VPCP, 'axis_outbox', { document_id: documentId }).orderBy('recipient_organ_id');
      // The quản trị sees what failed, with the reason.
      const listed = (await sender.app.exchange.outbox.listFailed(admin, VPCP)).filter((e) => e.documentId === documentId);
      expect(listed.map((e) => [e.recipientOrganId, e.messageType, e.attempts, e.lastError])).to.have.deep.members([[SO_TTTT, 'edoc', 8, 'axis.unavailable: broker unreachable'], [TAY_NINH, 'edoc', 8, 'axis.unavailable: broker unreachable']]);
      expect(listed.every((e) => typeof e.failedAt === 'string' && entries.some((x) => x.message_id === e.messageId))).to.equal(true);
      // Not for the chuyên viên; only the văn thư sends a document again.
      const specialist = await actorFor(sender.db.database, 'chuyen_vien', VPCP);
      expect(await codeOf(sender.app.exchange.outbox.retryDocument(specialist, VPCP, documentId))).to.equal('auth.forbidden');

      // One recipient's entry is left failed for the agency-wide retry below.
      await sender.db.database.knex('axis_outbox').where({ document_id: documentId, recipient_organ_id: SO_TTTT }).update({ state: 'sent' });
      const retried = await sender.app.exchange.outbox.retryDocument(clerk, VPCP, documentId);
      expect(retried).to.deep.equal({ retried: 1, entries: [{ recipientOrganId: TAY_NINH, messageType: 'edoc', documentId }] });
      await eventually(async () => (await received(TAY_NINH, edxmlDocumentId)).length === 1, 'received once sent again');
      const tn = await eventually(async () => (await deliveries(documentId)).find((d) => d.recipientOrganId === TAY_NINH && d.status === '01'), '01 at the sender');
      expect(tn.state).to.not.equal('failed');
      const [tnEntry] = await rows(VPCP, 'axis_outbox', { document_id: documentId, recipient_organ_id: TAY_NINH });
      expect([tnEntry.state, tnEntry.message_id]).to.deep.equal(['sent', entries.find((e) => e.recipient_organ_id === TAY_NINH).message_id]);
      expect(await codeOf(sender.app.exchange.outbox.retryDocument(clerk, VPCP, documentId))).to.equal('exchange.nothing_failed');
      expect(await audited(VPCP, 'exchange.outbox.retry', documentId)).to.have.length(1);

      // The agency-wide retry (quản trị): whatever else failed, here Sở TTTT's entry.
      await sender.db.database.knex('axis_outbox').where({ document_id: documentId, recipient_organ_id: SO_TTTT }).update({ state: 'failed' });
      expect(await sender.app.exchange.outbox.retryAll(admin, VPCP)).to.deep.include({ retried: 1 });
      await eventually(async () => (await received(SO_TTTT, edxmlDocumentId)).length === 1, 'Sở TTTT received it');
      expect(await codeOf(sender.app.exchange.outbox.retryAll(admin, VPCP))).to.equal('exchange.nothing_failed');
      expect((await sender.app.exchange.outbox.listFailed(admin, VPCP)).filter((e) => e.documentId === documentId)).to.deep.equal([]);
      expect(await codeOf(sender.app.exchange.outbox.listFailed(specialist, VPCP))).to.equal('auth.forbidden');
      await eventually(async () => (await deliveries(documentId)).every((d) => d.status === '01'), '01 from both');
      expect(await received(TAY_NINH, edxmlDocumentId)).to.have.length(1);
    });

    it('/health reports the axis: connection, dead letters (one more after a corrupt package), the outbox backlog', async () => {
      const { base, close } = httpOf(net);
      try {
        const url = await base(VPCP);
        const health = async () => (await (await fetch(`${url}/health`)).json()) as { status: string; axis: { status: string; deadLetters: number | null; outbox: { pending: number; failed: number } | null } };
        const before = await health();
        expect(before.status).to.equal('ok');
        expect(before.axis.status).to.equal(axis().url ? 'connected' : 'in-process');
        expect(before.axis.deadLetters).to.be.a('number');
        expect(before.axis.outbox?.pending).to.be.a('number');
        const failedBefore = before.axis.outbox?.failed as number;
        // A package whose bytes do not match its digest is dead-lettered at once.
        await net.rogue.publish({ headers: { from: TAY_NINH, to: VPCP, messageType: 'edoc', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: '0'.repeat(64) }, payload: bytesPayload(Buffer.from('<edXML/>')) });
        await eventually(async () => (await health()).axis.deadLetters === (before.axis.deadLetters as number) + 1, 'one more dead letter in /health');
        // An entry whose retries ran out shows as failed until it is sent again.
        const { documentId } = await issueAndSend('Văn bản cho /health');
        const entry = (await eventually(async () => { const r = await rows(VPCP, 'axis_outbox', { document_id: documentId, state: 'sent' }); return r.length > 0 && r; }, 'sent'))[0];
        await net.node(VPCP).db.database.knex('axis_outbox').where({ id: entry.id }).update({ state: 'failed' });
        expect((await health()).axis.outbox?.failed).to.equal(failedBefore + 1);
        await net.node(VPCP).app.exchange.outbox.retryAll(await actorFor(net.node(VPCP).db.database, 'quan_tri', VPCP), VPCP);
        await eventually(async () => (await health()).axis.outbox?.failed === 0, 'the failed entry sent again');
      } finally {
        await close();
      }
    });

    it('refuses a classified document and an unknown recipient before anything is written', async () => {
      const sender = net.node(VPCP);
      const specialist = await actorFor(sender.db.database, 'chuyen_vien', VPCP);
      const clerk = await actorFor(sender.db.database, 'van_thu', VPCP);
      const secret = await sender.app.registry.draftOutgoing(specialist, VPCP, { typeName: 'Quyết định', subject: 'Mật', priority: 0, confidentiality: 'mat', recipients: [{ organId: TAY_NINH, organName: 'UBND tỉnh Tây Ninh' }] });
      await sender.app.registry.issueOutgoing(clerk, VPCP, secret.id);
      const unknown = await sender.app.registry.draftOutgoing(specialist, VPCP, { typeName: 'Quyết định', subject: 'Gửi Bộ Nội vụ', priority: 0, recipients: [{ organId: BO_NOI_VU, organName: 'Bộ Nội vụ' }] });
      await sender.app.registry.issueOutgoing(clerk, VPCP, unknown.id);
      for (const [id, code] of [[secret.id, 'registry.classified_not_electronic'], [unknown.id, 'axis.unknown_recipient']] as const) {
        let error: unknown;
        try { await sender.app.exchange.sending.send(clerk, VPCP, id); } catch (e) { error = e; }
        expect((error as { code?: string }).code).to.equal(code);
        expect(await rows(VPCP, 'axis_outbox', { document_id: id })).to.have.length(0);
        expect(await rows(VPCP, 'exchange_deliveries', { document_id: id })).to.have.length(0);
      }
    });

    it('the blob-store sweep, after every flow above, removes only what no row names: every file a row names is still there (a blob, or in its stored package)', async () => {
      let inPackageFiles = 0;
      for (const node of net.nodes) {
        const store = new FileSystemBlobStore(join(node.dataDir, 'blobs'));
        const orphan = await store.put((async function* () { yield randomBytes(2000); })(), 10_000); // a rolled-back send's package, say
        // A file that only an outbox entry kept as its parts names (its attachment row gone, say): kept too.
        const partsFile = await store.put((async function* () { yield randomBytes(3000); })(), 10_000);
        await node.db.database.knex('axis_outbox').insert({
          id: randomUUID(), message_id: randomUUID(), sender_organ_id: node.organId, recipient_organ_id: TAY_NINH, message_type: 'edoc', service_type: 'eDoc',
          package_digest: '0'.repeat(64), package_skeleton: Buffer.from('<edXML/>'), package_size: 4_008, state: 'sent',
          package_parts: JSON.stringify([{ marker: 'm', sha256: partsFile.sha256, name: 'tep.bin', transferEncoding: 'raw', modifiedAt: new Date().toISOString() }]),
        });
        const named = async () => {
          const q = (table: string, column: string) => node.db.database.knex(table).whereNotNull(column).whereNot(column, '').pluck(column) as Promise<string[]>;
          return new Set([...await q('attachments', 'sha256'), ...await q('attachments', 'source_package_sha256'), ...await q('signature_reports', 'signature_sha256'), ...await q('signing_key_uses', 'signed_sha256'),
            ...await q('exchange_received', 'package_sha256'), ...await q('exchange_quarantine', 'package_sha256'), ...await q('exchange_requests', 'package_sha256'),
            ...await q('axis_outbox', 'package_blob'), partsFile.sha256].map((x) => x.trim()));
        };
        // A received file left in its package (attachments.source_package_sha256) is not a blob of its own
        // until first read: it is there when its package is.
        const inPackages = new Map<string, string[]>();
        for (const r of await node.db.database.knex('attachments').whereNotNull('source_package_sha256').select('sha256', 'source_package_sha256')) {
          inPackages.set(r.sha256.trim(), [...inPackages.get(r.sha256.trim()) ?? [], r.source_package_sha256.trim()]);
        }
        const there = async (sha256: string) => await store.has(sha256) || (await Promise.all((inPackages.get(sha256) ?? []).map((p) => store.has(p)))).includes(true);
        const before = await named();
        expect(before.size, `blobs named on ${node.organId}`).to.be.greaterThan(0);
        for (const sha256 of before) expect(await there(sha256), `${sha256} on ${node.organId} before the sweep`).to.equal(true);
        let error: unknown;
        try { await node.app.blobSweep.sweep({ olderThanHours: 0.5, apply: true }); } catch (e) { error = e; }
        expect((error as { code?: string }).code).to.equal('request.invalid');
        node.clock.set(new Date(Date.now() + 3 * 24 * HOUR)); // everything written so far is older than a day
        try {
          const dry = await node.app.blobSweep.sweep({ olderThanHours: 24, apply: false });
          expect(dry.unreferenced).to.include(orphan.sha256);
          expect(dry.removed).to.equal(0);
          expect(await store.has(orphan.sha256)).to.equal(true);
          const applied = await node.app.blobSweep.sweep({ olderThanHours: 24, apply: true });
          expect(applied.removed).to.equal(applied.unreferenced.length);
          expect(await store.has(orphan.sha256)).to.equal(false);
        } finally {
          node.clock.set(new Date());
        }
        for (const sha256 of await named()) expect(await there(sha256), `${sha256} on ${node.organId} after the sweep`).to.equal(true);
        // …and each such file is read, through the node's store, as the bytes its digest names.
        inPackageFiles += inPackages.size;
        for (const sha256 of inPackages.keys()) expect(createHash('sha256').update(await readBlob(node.app.blobs, sha256)).digest('hex'), `${sha256} read on ${node.organId}`).to.equal(sha256);
      }
      expect(inPackageFiles, 'received files left in their packages, over all nodes').to.be.greaterThan(0);
    });

    async function signedPackage2(documentId: string, signerOrgan = VPCP): Promise<Buffer> {
      return signEnvelope(buildDocumentPackage({
        header: { from: { organId: VPCP as OrganId }, to: [{ organId: SO_TTTT as OrganId }], documentId, code: { codeNumber: '1', codeNotation: 'QĐ-TEST' }, promulgationInfo: { promulgationDate: '2026-11-23' as never }, documentType: { type: 1 }, subject: 'Muộn', toPlaces: [], responseFor: [] },
        traceHeaders: [], attachments: [],
      }), keyObjectCredentials(organisationKey(signerOrgan), organisationCert(signerOrgan), [issuingCa()]));
    }
  });
}
