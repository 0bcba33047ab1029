// Finding the signatures of a PDF and what each one covers (ISO 32000-1 §12.8.1; ETSI EN 319 142-1
// §5.1): every signature field of the AcroForm with a /V signature dictionary; its /ByteRange must start
// at 0, leave out exactly the /Contents hex string and end where a revision ends (%%EOF), so that no
// byte of the revision it signs escapes the signature.
import { dictGet, isName, PdfSyntaxError, type PdfValue } from './pdf-objects.ts';
import { bufferSource, type PdfSource } from './pdf-source.ts';
import { PdfStructure } from './pdf-structure.ts';

export interface PdfSignature {
  readonly fieldName: string;
  readonly subFilter: string;
  readonly byteRange: readonly [number, number, number, number];
  /** The CMS, with the zero padding of /Contents removed. */
  readonly cms: Buffer;
  /** Problems with the byte range or dictionary: a non-empty list is a FORMAT_FAILURE. */
  readonly problems: readonly string[];
  /** True when the signature covers the whole file (nothing was appended after it). */
  readonly coversWholeFile: boolean;
  readonly signingTimeM?: string;
}

/** A signature's /Contents (hex: twice the CMS) above this is refused unread: certificates, timestamps and revocation data fit in far less. */
const MAX_CONTENTS_BYTES = 16 * 2 ** 20;

function derLength(b: Buffer): number {
  if (b[0] !== 0x30) return b.length;
  const l = b[1] as number;
  if (l < 0x80) return 2 + l;
  const n = l & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i += 1) len = len * 256 + (b[2 + i] as number);
  return Math.min(b.length, 2 + n + len);
}

const text = (v: PdfValue | undefined): string => (v?.t === 'str' ? v.raw.slice(1, -1) : v?.t === 'hex' ? v.raw : '');

function collectFields(pdf: PdfStructure, list: PdfValue | undefined, out: Array<Map<string, PdfValue>>, depth = 0): void {
  const fields = pdf.resolve(list);
  if (fields?.t !== 'array' || depth > 8) return;
  for (const f of fields.v) {
    const field = pdf.resolve(f);
    if (field?.t !== 'dict') continue;
    if (isName(field.v.get('FT'), 'Sig') && field.v.has('V')) out.push(field.v);
    collectFields(pdf, field.v.get('Kids'), out, depth + 1);
  }
}

export function findPdfSignatures(input: Uint8Array | PdfSource): PdfSignature[] {
  const bytes = input instanceof Uint8Array ? bufferSource(Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)) : input;
  const pdf = new PdfStructure(bytes);
  const root = pdf.resolve(pdf.trailer.get('Root'));
  const acro = pdf.resolve(dictGet(root, 'AcroForm'));
  const fields: Array<Map<string, PdfValue>> = [];
  collectFields(pdf, dictGet(acro, 'Fields'), fields);
  const out: PdfSignature[] = [];
  for (const field of fields) {
    const sig = pdf.resolve(field.get('V'));
    if (sig?.t !== 'dict') continue;
    const problems: string[] = [];
    const br = sig.v.get('ByteRange');
    const nums = br?.t === 'array' ? br.v.map((x) => (x.t === 'num' ? Number(x.v) : NaN)) : [];
    const [a = NaN, b = NaN, c = NaN, d = NaN] = nums;
    if (nums.length !== 4 || nums.some((x) => !Number.isInteger(x) || x < 0)) throw new PdfSyntaxError('a /ByteRange is not four non-negative integers');
    if (a !== 0) problems.push('the byte range does not start at the beginning of the file');
    if (c + d > bytes.length || b >= c) problems.push('the byte range lies outside the file or overlaps itself');
    if (problems.length === 0 && c - b > MAX_CONTENTS_BYTES) problems.push(`the /Contents hex string is over ${MAX_CONTENTS_BYTES / 2 ** 20} MB`);
    let cms = Buffer.alloc(0);
    if (problems.length === 0) {
      if (bytes.latin1(b, b + 1) !== '<' || bytes.latin1(c - 1, c) !== '>') problems.push('the gap in the byte range is not exactly the /Contents hex string');
      const hex = bytes.latin1(b + 1, c - 1);
      if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length % 2 !== 0) problems.push('/Contents is not a hex string');
      else { const raw = Buffer.from(hex, 'hex'); cms = raw.subarray(0, derLength(raw)); }
      const contents = sig.v.get('Contents');
      if (contents?.t !== 'hex' || contents.raw.length !== c - b) problems.push('the /Contents of the signature dictionary is not the excluded range');
      const tail = bytes.latin1(Math.max(0, c + d - 8), c + d);
      if (!/%%EOF\s*$/.test(tail)) problems.push('the signed range does not end at the end of a revision (%%EOF)');
    }
    const subFilter = sig.v.get('SubFilter');
    const name = text(field.get('T'));
    out.push({
      fieldName: name, subFilter: subFilter?.t === 'name' ? subFilter.v : '', byteRange: [a, b, c, d], cms, problems,
      coversWholeFile: c + d === bytes.length,
      ...(sig.v.get('M') ? { signingTimeM: text(sig.v.get('M')) } : {}),
    });
  }
  return out.sort((x, y) => (x.byteRange[2] + x.byteRange[3]) - (y.byteRange[2] + y.byteRange[3]));
}
