// A small, complete document package model for tests (not a test file itself).
import type { DateOnly } from '../../../src/edxml/edxml-dates.ts';
import type { OrganId } from '../../../src/domain/organ-id.ts';
import type { OutgoingDocumentPackage, Organization } from '../../../src/edxml/model.ts';

export const organ = (id: string, name: string): Organization => ({ organId: id as OrganId, organName: name, organizationInCharge: name, email: 'vanthu@example.gov.vn' });

export function samplePackage(overrides: Partial<OutgoingDocumentPackage> = {}): OutgoingDocumentPackage {
  return {
    header: {
      from: organ('000.00.13.H53', 'Sở Thông tin và Truyền thông Tây Ninh'),
      to: [organ('000.00.00.H53', 'UBND tỉnh Tây Ninh'), organ('000.00.32.H53', 'UBND huyện Châu Thành')],
      documentId: '000.00.13.H53,2026/11/20,125/STTTT-VP',
      code: { codeNumber: '125', codeNotation: 'STTTT-VP' },
      promulgationInfo: { place: 'Tây Ninh', promulgationDate: '2026-11-20' as DateOnly },
      documentType: { type: 1, typeDetail: 0, typeName: 'Công văn' },
      subject: 'V/v triển khai kết nối liên thông văn bản điện tử',
      signerInfo: { competence: 'KT. GIÁM ĐỐC', position: 'Phó Giám đốc', fullName: 'Nguyễn Văn Ánh' },
      dueDate: '2026-12-01' as DateOnly,
      toPlaces: ['Như trên', 'Lưu: VT'],
      otherInfo: { priority: 1, promulgationAmount: 3, pageAmount: 2, appendixes: [] },
      responseFor: [],
    },
    traceHeaders: [{ organId: '000.00.13.H53' as OrganId, timestamp: new Date('2026-11-20T02:15:00Z') }],
    business: { businessDocType: 0, businessDocReason: 'Văn bản điện tử mới', paper: false, replacementInfoList: [] },
    attachments: [{ contentId: 'a1', name: 'cong-van-125.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.7 sample content\n') }],
    ...overrides,
  };
}
