// A received package fills the incoming document's Phụ lục VI metadata; an outgoing document becomes
// a package the parser reads back; status messages point at the original document.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { OutgoingDocumentMetadata } from '../../../src/domain/document.ts';
import type { OrganId } from '../../../src/domain/organ-id.ts';
import { buildDocumentPackage, buildStatusMessage } from '../../../src/edxml/package-builder.ts';
import { parseEdxml } from '../../../src/edxml/parse-package.ts';
import { incomingMetadataFromPackage, packageFromOutgoing } from '../../../src/edxml/registry-mapping.ts';
import { statusMessageFor } from '../../../src/edxml/status-message.ts';
import type { ParsedDocumentPackage } from '../../../src/edxml/model.ts';
import { organ } from './sample-package.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../../../shared/fixtures/edxml-vendor/${name}`, import.meta.url));

describe('edXML ↔ registry', () => {
  it('fills the incoming metadata from the vendor package 02', async () => {
    const p = (await parseEdxml(fixture('02_edoc_update.edxml'))) as ParsedDocumentPackage;
    const receivedAt = new Date('2026-11-23T03:00:00Z');
    const { metadata, senderOrganId, edxmlDocumentId, business } = incomingMetadataFromPackage(p, receivedAt);
    expect(senderOrganId).to.equal('000.00.00.G22');
    expect(edxmlDocumentId).to.equal('000.00.00.G22,2015/09/30,7816/VPCP-TTĐT');
    expect(business?.businessDocType).to.equal(2);
    expect(metadata).to.deep.include({
      fileCode: null,
      typeName: 'Công văn',
      codeNumber: '7816',
      codeNotation: 'VPCP-TTĐT',
      issuedDate: '2018-09-28',
      organName: 'Văn phòng Chính phủ',
      subject: 'V/v kết nối, liên thông phần mềm quản lý văn bản',
      language: 'Tiếng Việt',
      pageAmount: 22,
      priority: 0,
      issuedAmount: 2,
      dueDate: '2018-09-28',
      arrivalDate: '2026-11-23T03:00:00.000Z',
      arrivalNumber: null,
    });
    expect(metadata.signerInfo).to.deep.equal({ position: 'Cuc truong cuc ung dung cong nghe thong tin', fullName: 'Nguyen Thanh Phuc', competence: 'TL. BO TRUONG' });
    expect(metadata.to.map((t) => t.organId)).to.deep.equal(['000.00.00.H41', '000.00.00.H14', '000.00.00.G17']);
    expect(metadata.toPlaces).to.deep.equal(['Cac bo va co quan ngang bo', 'Uy ban nhan dan cac tinh, TP']);
    expect(metadata.traceHeaders).to.deep.equal([{ organId: '000.00.00.G22', timestamp: '2018-09-27T17:00:00.000Z' }]);
  });

  it('builds the package of an outgoing document, which parses back to the same metadata', async () => {
    const metadata: OutgoingDocumentMetadata = {
      fileCode: null,
      docOrdinal: null,
      typeName: 'Quyết định',
      codeNumber: '05',
      codeNotation: 'QĐ-UBND',
      issuedDate: '2026-11-20',
      organName: 'UBND tỉnh Tây Ninh',
      subject: 'Quyết định ban hành quy chế công tác văn thư',
      language: 'Tiếng Việt',
      pageAmount: 4,
      description: null,
      signerInfo: { position: 'Chủ tịch', fullName: 'Trần Thị Ẩn', competence: 'TM.' },
      to: [{ organId: '000.00.13.H53', organName: 'Sở Thông tin và Truyền thông' }],
      priority: 2,
      issuedAmount: 10,
      dueDate: null,
    };
    const pkg = packageFromOutgoing({
      metadata,
      sender: organ('000.00.00.H53', 'UBND tỉnh Tây Ninh'),
      recipients: [organ('000.00.13.H53', 'Sở Thông tin và Truyền thông')],
      attachments: [{ name: 'qd-05.pdf', content: Buffer.from('%PDF-1.7 signed') }],
      sentAt: new Date('2026-11-20T08:00:00Z'),
    });
    expect(pkg.header.documentId).to.equal('000.00.00.H53,2026/11/20,05/QĐ-UBND');
    const parsed = (await parseEdxml(buildDocumentPackage(pkg))) as ParsedDocumentPackage;
    expect(parsed.business?.businessDocType).to.equal(0);
    expect(parsed.attachments[0]).to.deep.include({ name: 'qd-05.pdf', contentType: 'application/zip', transferEncoding: 'zip', size: 15 });
    const back = incomingMetadataFromPackage(parsed, new Date('2026-11-20T09:00:00Z')).metadata;
    for (const key of ['typeName', 'codeNumber', 'codeNotation', 'issuedDate', 'organName', 'subject', 'pageAmount', 'signerInfo', 'to', 'priority', 'issuedAmount', 'dueDate'] as const) {
      expect(back[key], key).to.deep.equal(metadata[key]);
    }
  });

  it('refuses to build a package for a document without số, ký hiệu or date', () => {
    const metadata = { codeNumber: null } as unknown as OutgoingDocumentMetadata;
    expect(() => packageFromOutgoing({ metadata, sender: organ('000.00.00.H53', 'x'), recipients: [], attachments: [], sentAt: new Date() })).to.throw().with.property('code', 'edxml.missing_field');
  });

  it('builds and parses a status message whose ResponseFor points at the original document', async () => {
    const original = (await parseEdxml(fixture('01_edoc_new.edxml'))) as ParsedDocumentPackage;
    for (const code of ['01', '02', '03', '04', '05', '06', '13', '15', '16'] as const) {
      const status = statusMessageFor({ from: organ('28.22.H17', 'UBND xã Hòa Sơn'), original: original.header, statusCode: code, at: new Date('2026-11-23T01:02:03Z') });
      const parsed = await parseEdxml(buildStatusMessage(status));
      if (parsed.kind !== 'status') throw new Error('not a status');
      expect(parsed.status.statusCode).to.equal(code);
      expect(parsed.status.responseFor).to.deep.equal({ organId: '000.00.00.A80', code: '74fass22/VPCP-TTĐT', promulgationDate: '2019-01-16', documentId: '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT' });
      expect(parsed.status.timestamp.toISOString()).to.equal('2026-11-23T01:02:03.000Z');
    }
    const rejected = statusMessageFor({ from: organ('28.22.H17' as OrganId, 'x'), original: original.header, statusCode: '02', at: new Date(), description: 'Sai thẩm quyền' });
    expect(rejected.description).to.equal('Sai thẩm quyền');
    expect(statusMessageFor({ from: organ('28.22.H17', 'x'), original: original.header, statusCode: '03', at: new Date() }).description).to.equal('Đã tiếp nhận');
  });
});
