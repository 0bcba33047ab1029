// Document types and their abbreviations, Nghị định 30/2020, Phụ lục III. A công văn has none: its
// notation is agency abbreviation + drafting unit abbreviation.
export const typeAbbreviations: Readonly<Record<string, string>> = {
  'Nghị quyết': 'NQ',
  'Quyết định': 'QĐ',
  'Chỉ thị': 'CT',
  'Quy chế': 'QC',
  'Quy định': 'QyĐ',
  'Thông cáo': 'TC',
  'Thông báo': 'TB',
  'Hướng dẫn': 'HD',
  'Chương trình': 'CTr',
  'Kế hoạch': 'KH',
  'Phương án': 'PA',
  'Đề án': 'ĐA',
  'Dự án': 'DA',
  'Báo cáo': 'BC',
  'Biên bản': 'BB',
  'Tờ trình': 'TTr',
  'Hợp đồng': 'HĐ',
  'Công điện': 'CĐ',
  'Bản ghi nhớ': 'BGN',
  'Bản thỏa thuận': 'BTT',
  'Giấy ủy quyền': 'GUQ',
  'Giấy mời': 'GM',
  'Giấy giới thiệu': 'GGT',
  'Giấy nghỉ phép': 'GNP',
  'Phiếu gửi': 'PG',
  'Phiếu chuyển': 'PC',
  'Phiếu báo': 'PB',
  'Bản sao y': 'SY',
  'Bản trích sao': 'TrS',
  'Bản sao lục': 'SL',
};

export const CONG_VAN = 'Công văn';

export const knownTypeNames: readonly string[] = [CONG_VAN, ...Object.keys(typeAbbreviations)];

/** Vietnamese text may arrive composed or decomposed; compare in NFC. */
export const normaliseTypeName = (name: string): string => name.normalize('NFC').trim();

export function typeAbbreviation(typeName: string): string | null | undefined {
  const name = normaliseTypeName(typeName);
  if (name === CONG_VAN) return null;
  return typeAbbreviations[name];
}
