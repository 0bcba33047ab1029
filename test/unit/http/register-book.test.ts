import { expect } from 'chai';
import { registerBookCsv, registerBookHtml } from '../../../src/http/presenters/register-book.ts';
import type { RegisterBook } from '../../../src/services/register-book-service.ts';
import type { RegistryDocument } from '../../../src/domain/document.ts';

const doc = (over: Partial<RegistryDocument['metadata']> = {}, extra: Partial<RegistryDocument> = {}): RegistryDocument => ({
  id: 'd1', agencyOrganId: '000.00.00.G22', direction: 'incoming', origin: 'paper', status: 'registered', confidentiality: 'none',
  metadata: { fileCode: null, docOrdinal: null, typeName: 'Công văn', codeNumber: '12', codeNotation: 'UBND-VP', issuedDate: '2026-11-20', organName: 'UBND tỉnh Kon Tum', subject: 'Về việc "thử", lần 1', language: 'vi', pageAmount: 2, description: null, signerInfo: null, to: [], priority: 0, issuedAmount: null, dueDate: null, arrivalDate: '2026-11-22T17:30:00.000Z', arrivalNumber: 7, toPlaces: [], traceHeaders: [], ...over },
  senderOrganId: null, edxmlDocumentId: null, registerId: 'r', registerYear: 2026, draftingUnitId: null, recipientsNote: 'Vụ Pháp chế', forwardedAt: null, notes: null, createdBy: 'u', createdAt: '', updatedAt: '', ...extra,
});

const book = (entries: RegistryDocument[]): RegisterBook => ({
  agency: { organId: '000.00.00.G22', name: 'Văn phòng Chính phủ', abbreviation: 'VPCP', level: 'central', parentOrganId: null, outgoingSeriesMode: 'single', hosted: true },
  direction: 'incoming', year: 2026, from: '2026-11-01', to: '2026-11-30', registers: [], entries,
});

describe('register book presenters (Phụ lục IV)', () => {
  it('CSV has the Vietnamese headings of the incoming book, Vietnam-time dates, quoting and a BOM', () => {
    const csv = registerBookCsv(book([doc(), doc({ organName: '=HYPERLINK("x")', arrivalNumber: 8 })]));
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(csv.startsWith('\uFEFF')).to.equal(true);
    expect(lines[0]).to.equal('Ngày đến,Số đến,Tác giả,"Số, ký hiệu",Ngày tháng,Tên loại và trích yếu nội dung,Đơn vị hoặc người nhận,Ngày chuyển,Ký nhận,Ghi chú');
    // 17:30 UTC on 22 November is 00:30 on 23 November in Hà Nội
    expect(lines[1]).to.equal('23/11/2026,7,UBND tỉnh Kon Tum,12/UBND-VP,20/11/2026,"Công văn: Về việc ""thử"", lần 1",Vụ Pháp chế,,,Bản giấy');
    expect(lines[2]).to.contain(`"'=HYPERLINK(""x"")"`); // no formula injection
  });

  it('the printable page is a book: cover, headings, escaped content', () => {
    const html = registerBookHtml(book([doc({ subject: '<script>alert(1)</script>' })]));
    expect(html).to.contain('SỔ ĐĂNG KÝ VĂN BẢN ĐẾN').and.contain('Năm: 2026').and.contain('Từ ngày 01/11/2026 đến ngày 30/11/2026');
    expect(html).to.contain('<th>Tên loại và trích yếu nội dung</th>').and.contain('<th>Ký nhận</th>');
    expect(html).to.contain('&lt;script&gt;').and.not.contain('<script>alert');
  });
});
