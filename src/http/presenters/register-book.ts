// The register books in the columns of Nghị định 30/2020, Phụ lục IV, as CSV (UTF-8 with BOM, so that
// spreadsheet programs show the diacritics) and as a printable page in book form.
import type { RegistryDocument } from '../../domain/document.ts';
import { fullNotation } from '../../domain/notation.ts';
import { vietnamDate } from '../../domain/vietnam-time.ts';
import type { RegisterBook } from '../../services/register-book-service.ts';

type Column = readonly [heading: string, value: (d: RegistryDocument) => string];

const dmy = (isoDate: string | null): string => (isoDate ? isoDate.slice(0, 10).split('-').reverse().join('/') : '');
const arrival = (iso: string | null): string => (iso ? dmy(vietnamDate(new Date(iso))) : '');
const codeOf = (d: RegistryDocument): string => (d.metadata.codeNumber && d.metadata.codeNotation ? fullNotation(d.metadata.codeNumber, d.metadata.codeNotation) : d.metadata.codeNumber ?? d.metadata.codeNotation ?? '');
const typeAndSubject = (d: RegistryDocument): string => `${d.metadata.typeName}: ${d.metadata.subject}`;
const signer = (d: RegistryDocument): string => [d.metadata.signerInfo?.position, d.metadata.signerInfo?.fullName].filter(Boolean).join(' ');

export const incomingColumns: readonly Column[] = [
  ['Ngày đến', (d) => arrival(d.metadata.arrivalDate)],
  ['Số đến', (d) => String(d.metadata.arrivalNumber ?? '')],
  ['Tác giả', (d) => d.metadata.organName],
  ['Số, ký hiệu', codeOf],
  ['Ngày tháng', (d) => dmy(d.metadata.issuedDate)],
  ['Tên loại và trích yếu nội dung', typeAndSubject],
  ['Đơn vị hoặc người nhận', (d) => d.recipientsNote ?? ''],
  ['Ngày chuyển', (d) => arrival(d.forwardedAt)],
  ['Ký nhận', () => ''],
  ['Ghi chú', (d) => [d.origin === 'paper' ? 'Bản giấy' : 'Điện tử', d.notes].filter(Boolean).join('; ')],
];

export const outgoingColumns: readonly Column[] = [
  ['Số, ký hiệu văn bản', codeOf],
  ['Ngày tháng văn bản', (d) => dmy(d.metadata.issuedDate)],
  ['Tên loại và trích yếu nội dung', typeAndSubject],
  ['Người ký', signer],
  ['Nơi nhận văn bản', (d) => d.recipientsNote ?? d.metadata.to.map((t) => t.organName).join('; ')],
  ['Đơn vị, người nhận bản lưu', () => ''],
  ['Số lượng bản', (d) => String(d.metadata.issuedAmount ?? '')],
  ['Ngày chuyển', (d) => arrival(d.forwardedAt)],
  ['Ký nhận', () => ''],
  ['Ghi chú', (d) => d.notes ?? ''],
];

const columnsOf = (book: RegisterBook) => (book.direction === 'incoming' ? incomingColumns : outgoingColumns);

const csvCell = (value: string): string => {
  // A leading = + - @ would be run as a formula by spreadsheet programs (CSV injection): quote it.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || safe !== value ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function registerBookCsv(book: RegisterBook): string {
  const columns = columnsOf(book);
  const lines = [columns.map(([h]) => csvCell(h)).join(','), ...book.entries.map((d) => columns.map(([, f]) => csvCell(f(d))).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export function registerBookHtml(book: RegisterBook): string {
  const columns = columnsOf(book);
  const title = book.direction === 'incoming' ? 'SỔ ĐĂNG KÝ VĂN BẢN ĐẾN' : 'SỔ ĐĂNG KÝ VĂN BẢN ĐI';
  const range = book.from || book.to ? `Từ ngày ${dmy(book.from) || '…'} đến ngày ${dmy(book.to) || '…'}` : '';
  const rows = book.entries.map((d) => `<tr>${columns.map(([, f]) => `<td>${escapeHtml(f(d))}</td>`).join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>${title} năm ${book.year} — ${escapeHtml(book.agency.name)}</title>
<style>
  @page { size: A4 landscape; margin: 15mm; }
  body { font-family: "Times New Roman", serif; font-size: 13px; }
  .cover { text-align: center; page-break-after: always; padding-top: 25vh; }
  .cover h1 { font-size: 26px; } .agency { text-transform: uppercase; font-weight: bold; }
  table { width: 100%; border-collapse: collapse; } th, td { border: 1px solid #000; padding: 3px 4px; vertical-align: top; }
  th { background: #eee; } thead { display: table-header-group; } tr { page-break-inside: avoid; }
  .num { text-align: center; white-space: nowrap; }
  @media screen { body { max-width: 1200px; margin: auto; } }
</style></head>
<body>
<section class="cover">
  <div class="agency">${escapeHtml(book.agency.name)}</div>
  <h1>${title}</h1>
  <p>Năm: ${book.year}</p>
  <p>${escapeHtml(range)}</p>
  <p>Từ số: ${book.entries.length ? escapeHtml(columns === incomingColumns ? String(book.entries[0]?.metadata.arrivalNumber ?? '') : book.entries[0]?.metadata.codeNumber ?? '') : '…'} đến số: ${book.entries.length ? escapeHtml(columns === incomingColumns ? String(book.entries[book.entries.length - 1]?.metadata.arrivalNumber ?? '') : book.entries[book.entries.length - 1]?.metadata.codeNumber ?? '') : '…'}</p>
</section>
<table>
<thead><tr>${columns.map(([h]) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>
<tr>${columns.map((_, i) => `<th class="num">${i + 1}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
