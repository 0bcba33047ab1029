// A small valid PDF (classic cross-reference table) with one page of text, optionally padded with an
// uncompressed stream to reach a size (the benchmark's 1 MB PDF). `incompressible`: the padding is random
// bytes, as a scan's images are, so that the PDF does not shrink in the edXML ZIP.
import { randomBytes } from 'node:crypto';

export function samplePdf(options: { padTo?: number; text?: string; incompressible?: boolean } = {}): Buffer {
  const text = options.text ?? 'Cong van so 01/VPCP-TTDT';
  const content = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`;
  const padLength = Math.max(0, (options.padTo ?? 0) - 1200);
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    `<< /Length ${padLength} >>\nstream\n${options.incompressible ? randomBytes(padLength).toString('latin1') : '%'.repeat(padLength)}\nendstream`,
    '<< /Producer (edoc-node tests) >>',
  ];
  let out = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => { offsets.push(Buffer.byteLength(out, 'latin1')); out += `${i + 1} 0 obj\n${body}\nendobj\n`; });
  const xrefAt = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n\r\n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 7 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>] >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
