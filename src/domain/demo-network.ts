// The demo network seeded by `npm start` (never when NODE_ENV=production) and used by the dev PKI
// (`npm run certs:dev`): one organisational certificate per agency, one personal certificate per leader.
// Organ ids follow QCVN 102 (DOMAIN.md §5); names are real bodies, people are fictional.

export type AdministrativeLevel = 'central' | 'province' | 'district' | 'commune';
export type Role = 'van_thu' | 'lanh_dao' | 'chuyen_vien' | 'quan_tri';

export interface DemoUnit { readonly code: string; readonly name: string; readonly abbreviation: string }
export interface DemoPerson { readonly role: Role; readonly fullName: string; readonly position: string; readonly unitCode: string }
export interface DemoAgency {
  readonly organId: string;
  readonly name: string;
  readonly abbreviation: string; // used in ký hiệu: QĐ-UBND, VPCP-KSTT
  readonly level: AdministrativeLevel;
  readonly parentOrganId: string | null;
  readonly parentBody: string; // O= of the organisational certificate
  readonly province: string; // L= of the certificates
  readonly units: readonly DemoUnit[];
  readonly people: readonly DemoPerson[];
}

const staff = (leader: string, position: string, clerk: string, specialist: string, admin: string, unit: string): DemoPerson[] => [
  { role: 'van_thu', fullName: clerk, position: 'Văn thư', unitCode: 'VP' },
  { role: 'lanh_dao', fullName: leader, position, unitCode: 'LD' },
  { role: 'chuyen_vien', fullName: specialist, position: 'Chuyên viên', unitCode: unit },
  { role: 'quan_tri', fullName: admin, position: 'Quản trị hệ thống', unitCode: 'VP' },
];

export const demoNetwork: readonly DemoAgency[] = [
  {
    organId: '000.00.00.G22', name: 'Văn phòng Chính phủ', abbreviation: 'VPCP', level: 'central', parentOrganId: null,
    parentBody: 'Chính phủ', province: 'Hà Nội',
    units: [
      { code: 'LD', name: 'Lãnh đạo Văn phòng', abbreviation: 'LĐVP' },
      { code: 'VP', name: 'Văn phòng', abbreviation: 'VP' },
      { code: 'KSTT', name: 'Cục Kiểm soát thủ tục hành chính', abbreviation: 'KSTT' },
      { code: 'TTĐT', name: 'Cổng Thông tin điện tử Chính phủ', abbreviation: 'TTĐT' },
    ],
    people: staff('Nguyễn Văn An', 'Phó Chủ nhiệm', 'Lê Thị Hoa', 'Phạm Quốc Bảo', 'Đỗ Minh Tuấn', 'KSTT'),
  },
  {
    organId: '000.00.00.G10', name: 'Bộ Nội vụ', abbreviation: 'BNV', level: 'central', parentOrganId: null,
    parentBody: 'Chính phủ', province: 'Hà Nội',
    units: [
      { code: 'LD', name: 'Lãnh đạo Bộ', abbreviation: 'LĐB' },
      { code: 'VP', name: 'Văn phòng Bộ', abbreviation: 'VP' },
      { code: 'CCVC', name: 'Vụ Công chức - Viên chức', abbreviation: 'CCVC' },
    ],
    people: staff('Trần Thị Bích Ngọc', 'Thứ trưởng', 'Vũ Thị Lan', 'Hoàng Đức Thắng', 'Bùi Văn Khải', 'CCVC'),
  },
  {
    organId: '000.00.00.H53', name: 'Ủy ban nhân dân tỉnh Tây Ninh', abbreviation: 'UBND', level: 'province', parentOrganId: null,
    parentBody: 'Ủy ban nhân dân tỉnh Tây Ninh', province: 'Tây Ninh',
    units: [
      { code: 'LD', name: 'Lãnh đạo Ủy ban', abbreviation: 'LĐUB' },
      { code: 'VP', name: 'Văn phòng Ủy ban nhân dân tỉnh', abbreviation: 'VP' },
      { code: 'KGVX', name: 'Phòng Khoa giáo - Văn xã', abbreviation: 'KGVX' },
    ],
    people: staff('Lê Quang Huy', 'Chủ tịch', 'Ngô Thị Thu', 'Phan Thanh Tùng', 'Trịnh Văn Nam', 'KGVX'),
  },
  {
    organId: '000.00.13.H53', name: 'Sở Thông tin và Truyền thông tỉnh Tây Ninh', abbreviation: 'STTTT', level: 'province', parentOrganId: '000.00.00.H53',
    parentBody: 'Ủy ban nhân dân tỉnh Tây Ninh', province: 'Tây Ninh',
    units: [
      { code: 'LD', name: 'Ban Giám đốc', abbreviation: 'BGĐ' },
      { code: 'VP', name: 'Văn phòng Sở', abbreviation: 'VP' },
      { code: 'CNTT', name: 'Phòng Công nghệ thông tin', abbreviation: 'CNTT' },
    ],
    people: staff('Đặng Hữu Phước', 'Giám đốc', 'Mai Thị Hồng', 'Châu Minh Khoa', 'Lý Văn Đức', 'CNTT'),
  },
  {
    organId: '000.00.32.H53', name: 'Ủy ban nhân dân huyện Châu Thành', abbreviation: 'UBND', level: 'district', parentOrganId: '000.00.00.H53',
    parentBody: 'Ủy ban nhân dân tỉnh Tây Ninh', province: 'Tây Ninh',
    units: [
      { code: 'LD', name: 'Lãnh đạo Ủy ban', abbreviation: 'LĐUB' },
      { code: 'VP', name: 'Văn phòng HĐND và UBND huyện', abbreviation: 'VP' },
      { code: 'NV', name: 'Phòng Nội vụ', abbreviation: 'NV' },
    ],
    people: staff('Võ Thành Long', 'Chủ tịch', 'Huỳnh Thị Mai', 'Tạ Quang Vinh', 'Dương Văn Hậu', 'NV'),
  },
  {
    organId: '000.21.32.H53', name: 'Ủy ban nhân dân xã An Bình', abbreviation: 'UBND', level: 'commune', parentOrganId: '000.00.32.H53',
    parentBody: 'Ủy ban nhân dân huyện Châu Thành', province: 'Tây Ninh',
    units: [
      { code: 'LD', name: 'Lãnh đạo Ủy ban', abbreviation: 'LĐUB' },
      { code: 'VP', name: 'Văn phòng - Thống kê', abbreviation: 'VP' },
      { code: 'DC', name: 'Địa chính - Xây dựng', abbreviation: 'ĐC' },
    ],
    people: staff('Kiều Văn Sáng', 'Chủ tịch', 'Tô Thị Nhung', 'La Minh Trí', 'Lâm Hoài Phong', 'DC'),
  },
];

/** Demo usernames: `<role>@<organId>` (vanthu, lanhdao, chuyenvien, quantri). */
export const demoUsername = (role: Role, organId: string): string =>
  `${({ van_thu: 'vanthu', lanh_dao: 'lanhdao', chuyen_vien: 'chuyenvien', quan_tri: 'quantri' } as const)[role]}@${organId}`;
