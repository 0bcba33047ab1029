// Writing edXML in the vendor shape (fixtures/edxml-vendor): root `edXML` with the QCVN namespace as
// default, the envelope `edXML:`-prefixed with its own declaration, `AttachmentEncoded` unprefixed beside
// the envelope, and each `edXML:ContentTransferEncoded` declaring the prefix again. The envelope and the
// attachment list are element trees (src/edxml/xml-fragment.ts) serialised as separate fragments and
// joined; base64 content is spliced in, never escaped or copied through the serialiser. The package is
// assembled in one buffer of its final size, the base64 of each attachment written into it slice by
// slice: a 50 MB attachment never exists as a 67 MB string.
import { randomUUID } from 'node:crypto';
import { QCVN_102_NAMESPACE, readPieces, type RandomAccessContent } from './model.ts';
import { XmlElement } from './xml-fragment.ts';

export { XmlElement };

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** A fresh `edXML:edXMLEnvelope` fragment; add children with {@link el}. */
export const envelopeFragment = (): XmlElement => new XmlElement('edXML:edXMLEnvelope', { prefix: 'edXML', uri: QCVN_102_NAMESPACE });

/** Appends `edXML:<name>` (and its text, when given and non-empty). */
export function el(parent: XmlElement, name: string, text?: string | number | boolean): XmlElement {
  const child = parent.ele(`edXML:${name}`);
  if (text !== undefined && text !== '') child.txt(String(text));
  return child;
}

/** Appends `edXML:<name>` with its text only when the value is present. */
export function optional(parent: XmlElement, name: string, text: string | number | boolean | undefined): void {
  if (text !== undefined && text !== '') el(parent, name, text);
}

export interface AttachmentFragment {
  readonly contentId: string;
  readonly name: string;
  readonly description?: string | undefined;
  readonly contentType?: string | undefined;
  /** The transfer bytes (a ZIP, or the file itself), as consecutive parts; base64-encoded into the package. */
  readonly transfer: readonly TransferPart[];
}

const marker = (i: number): string => `@@${i}@@`;
const transferOpen = `<edXML:ContentTransferEncoded xmlns:edXML="${QCVN_102_NAMESPACE}">`;
const transferClose = '</edXML:ContentTransferEncoded>';

/** The AttachmentEncoded list, as text pieces between which each attachment's base64 goes (in order). */
function attachmentsXml(attachments: readonly AttachmentFragment[]): string[] {
  const list = new XmlElement('AttachmentEncoded');
  attachments.forEach((a, i) => {
    const att = list.ele('Attachment');
    att.ele('ContentId').txt(`cid:${a.contentId}`);
    att.ele('AttachmentName').txt(a.name);
    if (a.description !== undefined) att.ele('Description').txt(a.description);
    if (a.contentType !== undefined) att.ele('ContentType').txt(a.contentType);
    att.ele('ContentTransferEncoded').txt(marker(i));
  });
  const xml = list.toXml(1);
  // User text cannot contain a raw `<`, so the marker element is unambiguous.
  const pieces: string[] = [];
  let rest = xml;
  attachments.forEach((_a, i) => {
    const element = `<ContentTransferEncoded>${marker(i)}</ContentTransferEncoded>`;
    const at = rest.indexOf(element);
    pieces.push(rest.slice(0, at) + transferOpen);
    rest = transferClose + rest.slice(at + element.length);
  });
  pieces.push(rest);
  return pieces;
}

const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4;
/** Base64 is written in slices of this many input bytes (a multiple of 3: no padding inside). */
const BASE64_SLICE = 48 * 1024;

/** A part of an attachment's transfer bytes: in memory, or read from a file as it is encoded. */
export type TransferPart = Uint8Array | RandomAccessContent;

/** Reads of a file part: 1 MB at a time (a multiple of 3, so no carry between them). */
const FILE_READ = 3 * 349_525;

function* chunksOf(part: TransferPart): Generator<Buffer> {
  if (part instanceof Uint8Array) yield Buffer.from(part.buffer, part.byteOffset, part.byteLength);
  else yield* readPieces(part, FILE_READ);
}

/** The base64 of the concatenated `parts`, as consecutive strings of at most 64 KB (no padding inside). */
export function* base64Strings(parts: readonly TransferPart[]): Generator<string> {
  let carry = Buffer.alloc(0); // < 3 bytes left over from the previous part
  for (const bytes of (function* () { for (const part of parts) yield* chunksOf(part); })()) { // lazily: a file part is read as it is encoded
    let start = 0;
    if (carry.length > 0) {
      const head = Buffer.concat([carry, bytes.subarray(0, 3 - carry.length)]);
      start = head.length - carry.length;
      if (head.length < 3) { carry = head; continue; }
      yield head.toString('base64');
      carry = Buffer.alloc(0);
    }
    const whole = start + Math.floor((bytes.length - start) / 3) * 3;
    for (let from = start; from < whole; from += BASE64_SLICE) yield bytes.toString('base64', from, Math.min(whole, from + BASE64_SLICE));
    carry = Buffer.from(bytes.subarray(whole));
  }
  if (carry.length > 0) yield carry.toString('base64');
}

/** The base64 of the concatenated `parts` as latin1 bytes, slice by slice (what a package carries). */
export function* base64Slices(parts: readonly TransferPart[]): Generator<Uint8Array> {
  for (const text of base64Strings(parts)) yield Buffer.from(text, 'latin1');
}

/** Writes the base64 of the concatenated `parts` into `out` at `offset`; returns the offset after it. */
export function writeBase64(out: Buffer, offset: number, parts: readonly TransferPart[]): number {
  let at = offset;
  for (const text of base64Strings(parts)) at += out.write(text, at, 'latin1');
  return at;
}

/** The package before its attachments' base64 is spliced in, in the order the markers appear (see {@link packageSkeleton}). */
export interface PackageSkeleton {
  /** The package with each attachment's base64 replaced by its marker (small whatever the attachments). */
  readonly skeleton: Buffer;
  readonly attachments: ReadonlyArray<{ readonly marker: string; readonly size: number; readonly base64: () => Iterable<Uint8Array> }>;
}

/** The text pieces of a package: before the first attachment's base64, between them, after the last. */
function packagePieces(envelope: XmlElement, attachments: readonly AttachmentFragment[]): string[] {
  const envelopeXml = envelope.toXml(1);
  const head = [XML_DECLARATION, `<edXML xmlns="${QCVN_102_NAMESPACE}">\n`, envelopeXml, '\n'].join('');
  const pieces = attachments.length > 0 ? attachmentsXml(attachments) : [''];
  pieces[0] = head + pieces[0];
  pieces[pieces.length - 1] += `${attachments.length > 0 ? '\n' : ''}</edXML>\n`;
  return pieces;
}

/**
 * The package as a small skeleton plus, per attachment, its base64 as slices made on demand: signing
 * canonicalizes the skeleton and splices the base64 into the digest and into the output, so a package
 * with a 50 MB attachment is never held whole. Markers are letters and digits with a random part: text
 * the canonical form leaves as it is, and that no user text can contain by chance.
 */
export function packageSkeleton(envelope: XmlElement, attachments: readonly AttachmentFragment[]): PackageSkeleton {
  const pieces = packagePieces(envelope, attachments);
  const nonce = randomUUID().replace(/-/g, '');
  const marked = attachments.map((a, i) => ({
    marker: `edocAttachment${nonce}n${i}e`, // `e` ends it: n1e is not a prefix of n10e
    size: base64Length(a.transfer.reduce((n, p) => n + p.byteLength, 0)),
    base64: () => base64Slices(a.transfer),
  }));
  const skeleton = pieces.map((piece, i) => piece + (marked[i]?.marker ?? '')).join('');
  return { skeleton: Buffer.from(skeleton, 'utf8'), attachments: marked };
}

/** Joins the envelope fragment and the attachments into the package, as UTF-8 bytes in one buffer. */
export function packageXml(envelope: XmlElement, attachments: readonly AttachmentFragment[]): Buffer {
  const pieces = packagePieces(envelope, attachments);
  const sizes = attachments.map((a) => a.transfer.reduce((n, p) => n + p.byteLength, 0));
  const total = pieces.reduce((n, piece) => n + Buffer.byteLength(piece, 'utf8'), 0) + sizes.reduce((n, size) => n + base64Length(size), 0);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  pieces.forEach((piece, i) => {
    at += out.write(piece, at, 'utf8');
    const attachment = attachments[i];
    if (attachment) at = writeBase64(out, at, attachment.transfer);
  });
  if (at !== total) throw new Error(`package assembly wrote ${at} bytes, ${total} expected`);
  return out;
}
