// Every vendor sample (shared/fixtures/edxml-vendor, byte-for-byte from the vendor SDK) parses with the
// expected values; quirks listed in the fixtures README show up as conformance warnings, not failures.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseEdxml } from '../../../src/edxml/parse-package.ts';
import type { ParsedDocumentPackage, ParsedEdxml, ParsedStatusMessage } from '../../../src/edxml/model.ts';

const dir = new URL('../../../../shared/fixtures/edxml-vendor/', import.meta.url);
const read = (name: string): Buffer => readFileSync(new URL(name, dir));
const parseDocument = async (name: string): Promise<ParsedDocumentPackage> => {
  const p: ParsedEdxml = await parseEdxml(read(name));
  expect(p.kind).to.equal('document');
  return p as ParsedDocumentPackage;
};
const warningCodes = (p: ParsedEdxml): string[] => p.warnings.map((w) => w.code);

/** The file inside the ZIP of 01–04 is the package 05 itself (README: 05 is "decoded from the ZIP inside 01"). */
const INNER_SHA256 = createHash('sha256').update(read('05_inner_signed_edxml_from_01_attachment.edxml')).digest('hex');

describe('edXML vendor fixtures', () => {
  it('01 new document: header, trace, business 0, zipped attachment decoded', async () => {
    const p = await parseDocument('01_edoc_new.edxml');
    const h = p.header;
    expect(h.from.organId).to.equal('000.00.00.A80');
    expect(h.from.organName).to.equal('UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng');
    expect(h.to.map((t) => t.organId)).to.deep.equal(['28.22.H17']);
    expect(h.to[0]?.telephone).to.equal('(84-4) 3821 5137');
    expect(h.documentId).to.equal('000.00.00.G22,2015/09/30,7816/VPCP-TTĐT');
    expect(h.code).to.deep.equal({ codeNumber: '74fass22', codeNotation: 'VPCP-TTĐT' });
    expect(h.promulgationInfo).to.deep.equal({ place: 'Hà Nội', promulgationDate: '2019-01-16' });
    expect(h.documentType).to.deep.equal({ type: 1, typeDetail: 0, typeName: 'Công văn' });
    expect(h.subject).to.equal('V/v kết nối, liên thông phần mềm quản lý văn bản');
    expect(h.signerInfo).to.deep.equal({ competence: 'TL. BO TRUONG', position: 'Cuc truong cuc ung dung cong nghe thong tin', fullName: 'Nguyen Thanh Phuc' });
    expect(h.dueDate).to.equal('2018-09-28');
    expect(h.otherInfo?.priority).to.equal(0);
    expect(h.otherInfo?.promulgationAmount).to.equal(2);
    expect(h.otherInfo?.pageAmount).to.equal(22);
    expect(h.otherInfo?.direction).to.equal(false);
    expect(h.otherInfo?.appendixes).to.deep.equal(['Công văn về việc kết nối, liên thông phần mềm quản lý văn bản']);
    expect(h.steeringType).to.equal(1);
    expect(h.toPlaces).to.deep.equal(['Cac bo va co quan ngang bo', 'Uy ban nhan dan cac tinh, TP']);
    expect(h.responseFor).to.deep.equal([]);
    expect(p.traceHeaders).to.have.length(1);
    expect(p.traceHeaders[0]?.organId).to.equal('000.00.00.G22');
    // 2018/09/28 00:00:00 in Vietnam is 27 September 17:00 UTC.
    expect(p.traceHeaders[0]?.timestamp).to.be.instanceOf(Date);
    expect(p.traceHeaders[0]?.timestamp.toISOString()).to.equal('2018-09-27T17:00:00.000Z');
    expect(p.business).to.deep.include({ documentId: '000.00.00.G22,2014/02/30,7806/VPCP-TTĐT', businessDocType: 0, businessDocReason: 'Văn bản điện tử mới', paper: false });
    expect(p.business?.staffInfo).to.deep.equal({ department: 'Văn thư văn phòng', staff: 'Nguyễn Thị Ngọc Trâm', mobile: '84912000001', email: 'vanthuvanphong@gov.vn' });
    expect(p.manifest).to.deep.equal([{ contentId: '209', contentType: 'application/zip', description: '1896_QD-TTg_m_294779.doc', attachmentName: '1896_QD-TTg_m_294779.doc' }]);
    expect(p.attachments).to.have.length(1);
    const a = p.attachments[0];
    expect(a?.contentId).to.equal('209');
    expect(a?.name).to.equal('1896_QD-TTg_m_294779.doc');
    expect(a?.transferEncoding).to.equal('zip');
    expect(a?.zipEntryName).to.equal('32da2890-1a55-4ccd-9ac9-cd0d98559e67.edxml');
    expect(a?.size).to.equal(388347);
    expect(a?.sha256).to.equal(INNER_SHA256);
    expect(Buffer.from(a?.content ?? []).equals(read('05_inner_signed_edxml_from_01_attachment.edxml'))).to.equal(true);
    expect(p.signature).to.equal('outside-xmldsig-namespace');
    expect(warningCodes(p)).to.have.members(['signature_namespace', 'organ_id_form']);
  });

  it('02 update: three recipients, BussinessDocumentInfo with a removed and an added receiver', async () => {
    const p = await parseDocument('02_edoc_update.edxml');
    expect(p.header.from.organId).to.equal('000.00.00.G22');
    expect(p.header.to.map((t) => t.organId)).to.deep.equal(['000.00.00.H41', '000.00.00.H14', '000.00.00.G17']);
    expect(p.header.code).to.deep.equal({ codeNumber: '7816', codeNotation: 'VPCP-TTĐT' });
    expect(p.header.promulgationInfo.promulgationDate).to.equal('2018-09-28');
    expect(p.business?.businessDocType).to.equal(2);
    expect(p.business?.businessDocReason).to.equal('Cập nhật văn bản điện tử');
    expect(p.business?.businessDocumentInfo).to.deep.equal({
      documentInfo: true,
      documentReceiver: true,
      receivers: [
        { organId: '000.00.00.H41', receiverType: 0 },
        { organId: '000.00.00.H14', receiverType: 1 },
      ],
    });
    expect(p.attachments[0]?.size).to.equal(388347);
    expect(p.attachments[0]?.sha256).to.equal(INNER_SHA256);
    expect(warningCodes(p)).to.deep.equal(['signature_namespace']);
  });

  it('03 replacement: ReplacementInfoList with the replaced document and its recipients', async () => {
    const p = await parseDocument('03_edoc_replacement.edxml');
    expect(p.business?.businessDocType).to.equal(3);
    expect(p.business?.businessDocReason).to.equal('Văn bản thay thế');
    expect(p.business?.documentId).to.equal(undefined);
    expect(p.business?.replacementInfoList).to.deep.equal([
      { documentId: '000.00.00.G22,2014/01/30,7806/VPCP-TTĐT', organIds: ['000.00.00.H41', '000.00.00.H14'] },
      { documentId: '000.00.00.G22,2014/01/30,7806/VPCP-TTĐT', organIds: ['000.00.00.H41', '000.00.00.H14'] },
    ]);
    expect(p.attachments[0]?.zipEntryName).to.equal('30d190ec-60e3-41b6-bda7-50b17d98b35d.edxml');
  });

  it('04 revocation: business 1 with a ResponseFor', async () => {
    const p = await parseDocument('04_edoc_revocation.edxml');
    expect(p.business?.businessDocType).to.equal(1);
    expect(p.business?.businessDocReason).to.equal('Thu hồi văn bản điện tử');
    expect(p.header.responseFor).to.deep.equal([{ organId: '000.00.00.H14', code: '267/VPCP-TTĐT', promulgationDate: '2018-09-28', documentId: '000.00.04.G14,2012/08/06,267/VPCP-TTĐT' }]);
  });

  it('05 older style: XML-DSig namespace, prefixed attachment elements outside their declaration, raw PDF', async () => {
    const p = await parseDocument('05_inner_signed_edxml_from_01_attachment.edxml');
    expect(p.header.from.organId).to.equal('14.00.W00');
    expect(p.header.documentId).to.equal('9fbfbad2-f1f8-4256-a2eb-50fb1061cddb');
    expect(p.header.code).to.deep.equal({ codeNumber: '34E31', codeNotation: 'PRO-TEST-CASE1' });
    expect(p.header.documentType).to.deep.equal({ type: 1, typeDetail: undefined, typeName: 'Thông tư' });
    expect(p.header.promulgationInfo.promulgationDate).to.equal('2018-09-27');
    expect(p.header.responseFor).to.deep.equal([]); // the empty placeholder is dropped
    expect(p.traceHeaders.map((t) => [t.organId, t.timestamp.toISOString()])).to.deep.equal([['01.02.G22', '2018-06-20T09:35:56.000Z']]);
    expect(p.business).to.equal(undefined);
    expect(p.signature).to.equal('xmldsig');
    const a = p.attachments[0];
    expect(a?.contentId).to.equal('36b8a92e-f054-11e7-842b-005056b672fc');
    expect(a?.name).to.equal('GUIDE_INSTALL OPENVPN.SIGNED.PDF');
    expect(a?.contentType).to.equal('application/pdf');
    expect(a?.transferEncoding).to.equal('raw');
    expect(a?.size).to.equal(284937);
    expect(a?.sha256).to.equal('61d6bc08ae7eae0deb74b6b3f6d27bcc2f059562ba97ce36a653373e087b3df7');
    expect(Buffer.from(a?.content ?? []).subarray(0, 8).toString('latin1')).to.equal('%PDF-1.5');
    expect(warningCodes(p)).to.include.members(['undeclared_prefix', 'document_id_form', 'empty_response_for', 'organ_id_form']);
    expect(p.warnings.filter((w) => w.code === 'undeclared_prefix').map((w) => w.message)).to.have.length(2);
  });

  it('parses the vendor packages streamed from disk in small reads exactly as from memory', async () => {
    for (const name of ['01_edoc_new.edxml', '05_inner_signed_edxml_from_01_attachment.edxml']) {
      const fromMemory = await parseDocument(name);
      const streamed = await parseEdxml(createReadStream(new URL(name, dir), { highWaterMark: 4093 }));
      expect(JSON.stringify(streamed), name).to.equal(JSON.stringify(fromMemory));
    }
  });

  const statuses: [string, string, string, string][] = [
    ['status.edxml', '01', '2018-09-28T10:25:11.000Z', 'Văn thư - Phòng Văn thư - Lưu trữ: Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý'],
    ['status_inbox_01.edxml', '01', '2015-09-20T04:08:36.000Z', 'Văn thư - Phòng Văn thư - Lưu trữ: Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý'],
    ['status_rejection_02.edxml', '02', '2015-09-20T04:08:36.000Z', 'Văn thư - Phòng Văn thư - Lưu trữ: Từ chối không tiếp nhận văn bản điện tử'],
    ['status_acceptance_03.edxml', '03', '2015-09-20T04:08:36.000Z', 'Văn thư cơ - Phòng Văn thư - Lưu trữ: Tiếp nhận văn bản điện tử, vào sổ văn bản đến của đơn vị'],
    ['status_assignment_04.edxml', '04', '2015-09-20T04:08:36.000Z', 'Lãnh đạo: Phân công xử lý'],
    ['status_processing_05.edxml', '05', '2015-09-20T04:08:36.000Z', 'Đang xử lý văn bản đến'],
    ['status_finish_06.edxml', '06', '2015-09-20T04:08:36.000Z', 'Văn thư: Ban hành văn bản đến, hoàn thành xử lý'],
    ['status_cancellation_13.edxml', '13', '2015-09-20T04:08:36.000Z', 'Văn thư yêu cầu lấy lại văn bản điện tử kèm lý do'],
    ['status_change-acceptance_15.edxml', '15', '2015-09-20T04:08:36.000Z', 'Văn thư đồng ý yêu cầu cập nhật, lấy lại'],
    ['status_change-rejection_16.edxml', '16', '2015-09-20T04:08:36.000Z', 'Văn thư từ chối yêu cầu cập nhật, lấy lại'],
  ];
  for (const [file, code, at, description] of statuses) {
    it(`status/${file}: code ${code} about the original document`, async () => {
      const p = (await parseEdxml(read(`status/${file}`))) as ParsedStatusMessage;
      expect(p.kind).to.equal('status');
      const s = p.status;
      expect(s.statusCode).to.equal(code);
      expect(s.timestamp.toISOString()).to.equal(at);
      expect(s.description).to.equal(description);
      expect(s.from.organId).to.equal(code === '13' ? '000.00.00.G22' : '000.00.00.H41');
      expect(s.responseFor.documentId).to.equal('000.00.00.G22,2015/09/30,7816/VPCP-TTĐT');
      expect(s.responseFor.code).to.equal('7816/VPCP-TTĐT');
      expect(s.responseFor.organId).to.equal(code === '13' ? '000.00.00.H41' : '000.00.00.G22');
      expect(s.responseFor.promulgationDate).to.equal(file === 'status.edxml' ? '2018-09-28' : '2015-09-30');
      expect(s.staffInfo?.mobile).to.equal('84912000001');
      expect(p.signature).to.equal('absent');
      expect(p.warnings).to.deep.equal([]);
    });
  }
});
