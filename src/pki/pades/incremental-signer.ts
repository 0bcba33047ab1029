// PAdES baseline signing (ETSI EN 319 142-1, SubFilter ETSI.CAdES.detached) appended as an incremental
// update (ISO 32000-1 §7.5.6): the original bytes are kept verbatim, new and changed objects (signature
// dictionary, widget, page /Annots, AcroForm) are written after them with a cross-reference section
// whose /Prev points at the previous one. This is what lets the agency signature follow the leader's
// without breaking it (pdf-lib would rewrite the file). The signature widget is invisible (Rect 0 0 0 0).
import { createHash } from 'node:crypto';
import type { TimeStampAuthorityClient } from '../trust-services.ts';
import { signDetachedCms } from '../cms/signed-data-builder.ts';
import type { SigningCredentials } from '../cms/signer.ts';
import { isName, name, num, ref, serialize, textString, type PdfValue } from './pdf-objects.ts';
import { PdfStructure } from './pdf-structure.ts';

export interface PadesSignOptions {
  readonly credentials: SigningCredentials;
  readonly tsa?: TimeStampAuthorityClient;
  readonly signingTime?: Date;
  readonly reason?: string;
  /** Bytes reserved for the CMS (the hex string is twice as long). */
  readonly contentsSize?: number;
}

export class PadesSigningError extends Error {}

const BYTE_RANGE_PLACEHOLDER = '[0 0000000000 0000000000 0000000000]';

/** PDF date in Vietnam time (ISO 32000-1 §7.9.4; Nghị định 30 Phụ lục I shows times at +07:00). */
export function pdfDate(d: Date): string {
  const t = new Date(d.getTime() + 7 * 3_600_000);
  const p = (v: number): string => String(v).padStart(2, '0');
  return `(D:${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}+07'00')`;
}

const asDict = (v: PdfValue | undefined, what: string): Map<string, PdfValue> => {
  if (v?.t !== 'dict') throw new PadesSigningError(`${what} is not a dictionary`);
  return new Map(v.v);
};

function firstPage(pdf: PdfStructure, catalog: Map<string, PdfValue>): { n: number; g: number; dict: Map<string, PdfValue> } {
  let node = catalog.get('Pages');
  for (let depth = 0; depth < 32; depth += 1) {
    if (node?.t !== 'ref') throw new PadesSigningError('page tree node is not an indirect object');
    const dict = asDict(pdf.getObject(node.n), 'page tree node');
    if (isName(dict.get('Type'), 'Page')) return { n: node.n, g: node.g, dict };
    const kids = pdf.resolve(dict.get('Kids'));
    node = kids?.t === 'array' ? kids.v[0] : undefined;
  }
  throw new PadesSigningError('no page found');
}

export async function appendPadesSignature(bytes: Uint8Array, options: PadesSignOptions): Promise<Buffer> {
  const original = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pdf = new PdfStructure(original);
  const rootRef = pdf.trailer.get('Root');
  if (rootRef?.t !== 'ref') throw new PadesSigningError('trailer has no /Root');
  const catalog = asDict(pdf.getObject(rootRef.n), 'catalog');
  const page = firstPage(pdf, catalog);
  let next = pdf.size;
  const sigN = next++;
  const widgetN = next++;
  const objects = new Map<number, { g: number; value: PdfValue }>();

  // AcroForm and its Fields (§12.7.2); SigFlags 3 = SignaturesExist | AppendOnly (§12.7.2, Table 219).
  const acroRef = catalog.get('AcroForm');
  const acro = acroRef?.t === 'ref' ? asDict(pdf.getObject(acroRef.n), 'AcroForm') : acroRef?.t === 'dict' ? new Map(acroRef.v) : new Map<string, PdfValue>();
  const fieldsValue = acro.get('Fields');
  const fields = pdf.resolve(fieldsValue);
  const fieldList = fields?.t === 'array' ? [...fields.v] : [];
  const fieldName = `Signature${fieldList.length + 1}`;
  fieldList.push(ref(widgetN));
  if (fieldsValue?.t === 'ref') objects.set(fieldsValue.n, { g: fieldsValue.g, value: { t: 'array', v: fieldList } });
  else acro.set('Fields', { t: 'array', v: fieldList });
  acro.set('SigFlags', num(3));
  if (acroRef?.t === 'ref') objects.set(acroRef.n, { g: acroRef.g, value: { t: 'dict', v: acro } });
  else {
    const acroN = next++;
    objects.set(acroN, { g: 0, value: { t: 'dict', v: acro } });
    catalog.set('AcroForm', ref(acroN));
    objects.set(rootRef.n, { g: rootRef.g, value: { t: 'dict', v: catalog } });
  }

  // The widget annotation on the first page (§12.5.6.19), merged with its signature field (§12.7.4.5).
  const annots = page.dict.get('Annots');
  const annotList = pdf.resolve(annots);
  const newAnnots: PdfValue = { t: 'array', v: [...(annotList?.t === 'array' ? annotList.v : []), ref(widgetN)] };
  if (annots?.t === 'ref') objects.set(annots.n, { g: annots.g, value: newAnnots });
  else { page.dict.set('Annots', newAnnots); objects.set(page.n, { g: page.g, value: { t: 'dict', v: page.dict } }); }
  objects.set(widgetN, { g: 0, value: { t: 'dict', v: new Map<string, PdfValue>([
    ['Type', name('Annot')], ['Subtype', name('Widget')], ['FT', name('Sig')], ['T', textString(fieldName)], ['V', ref(sigN)],
    ['P', ref(page.n, page.g)], ['Rect', { t: 'array', v: [num(0), num(0), num(0), num(0)] }], ['F', num(132)],
  ]) } });

  const contentsSize = options.contentsSize ?? 16384;
  const sigDict = new Map<string, PdfValue>([
    ['Type', name('Sig')], ['Filter', name('Adobe.PPKLite')], ['SubFilter', name('ETSI.CAdES.detached')],
    ['M', { t: 'str', raw: pdfDate(options.signingTime ?? new Date()) }],
    ...(options.reason ? [['Reason', textString(options.reason)] as [string, PdfValue]] : []),
    ['ByteRange', { t: 'hex', raw: BYTE_RANGE_PLACEHOLDER }], // written raw, filled in below
    ['Contents', { t: 'hex', raw: `<${'0'.repeat(contentsSize * 2)}>` }],
  ]);
  objects.set(sigN, { g: 0, value: { t: 'dict', v: sigDict } });

  // Assemble the update: objects, then a classic xref section and trailer (§7.5.4, §7.5.5).
  const parts: string[] = [];
  let offset = original.length;
  const prefix = original[original.length - 1] === 0x0a ? '' : '\n';
  parts.push(prefix);
  offset += prefix.length;
  const entries: Array<[number, number, number]> = [];
  for (const n of [...objects.keys()].sort((a, b) => a - b)) {
    const { g, value } = objects.get(n) as { g: number; value: PdfValue };
    const text = `${n} ${g} obj\n${serialize(value)}\nendobj\n`;
    entries.push([n, g, offset]);
    parts.push(text);
    offset += text.length; // latin1: one byte per char (serialize never emits non-latin1)
  }
  const xrefOffset = offset;
  let xref = 'xref\n';
  for (let i = 0; i < entries.length;) {
    let j = i;
    while (j + 1 < entries.length && (entries[j + 1] as [number, number, number])[0] === (entries[j] as [number, number, number])[0] + 1) j += 1;
    xref += `${(entries[i] as [number, number, number])[0]} ${j - i + 1}\n`;
    for (let k = i; k <= j; k += 1) {
      const [, g, at] = entries[k] as [number, number, number];
      xref += `${String(at).padStart(10, '0')} ${String(g).padStart(5, '0')} n\r\n`;
    }
    i = j + 1;
  }
  const trailer = new Map<string, PdfValue>([['Size', num(next)], ['Root', rootRef], ['Prev', num(pdf.startxref)]]);
  for (const key of ['Info', 'ID']) { const v = pdf.trailer.get(key); if (v) trailer.set(key, v); }
  parts.push(`${xref}trailer\n${serialize({ t: 'dict', v: trailer })}\nstartxref\n${xrefOffset}\n%%EOF\n`);
  const out = Buffer.concat([original, Buffer.from(parts.join(''), 'latin1')]);

  // Fill in /ByteRange and sign the covered bytes (everything but the /Contents hex string).
  const placeholderAt = out.indexOf(`/ByteRange ${BYTE_RANGE_PLACEHOLDER}`, original.length, 'latin1') + '/ByteRange '.length;
  const contentsAt = out.indexOf(`/Contents <${'0'.repeat(16)}`, original.length, 'latin1') + '/Contents '.length;
  const contentsEnd = contentsAt + contentsSize * 2 + 2;
  const range = `[0 ${contentsAt} ${contentsEnd} ${out.length - contentsEnd}]`;
  out.write(range.padEnd(BYTE_RANGE_PLACEHOLDER.length, ' '), placeholderAt, 'latin1');
  const digest = createHash('sha256').update(out.subarray(0, contentsAt)).update(out.subarray(contentsEnd)).digest();
  const cms = await signDetachedCms({ contentSha256: digest, credentials: options.credentials, signingTime: null, ...(options.tsa ? { tsa: options.tsa } : {}) });
  if (cms.length > contentsSize) throw new PadesSigningError(`the CMS (${cms.length} bytes) does not fit the reserved ${contentsSize} bytes`);
  out.write(cms.toString('hex').toUpperCase(), contentsAt + 1, 'latin1');
  return out;
}
