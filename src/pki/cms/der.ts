// Minimal DER (ITU-T X.690 §10) reader and writer for the fixed CMS profile we sign and verify.
// Reading returns views into the original bytes (no copies), so a signed attribute set or a certificate
// can be hashed or compared exactly as it was encoded.

export interface DerNode {
  readonly tag: number; // the identifier octet (single-byte tags only: all our structures use them)
  readonly start: number; // offset of the identifier octet
  readonly headerLength: number;
  readonly length: number; // content length
  readonly bytes: Uint8Array; // the whole buffer this node lives in
}

export class DerError extends Error {}

export const Tag = {
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06,
  UTF8String: 0x0c, PrintableString: 0x13, UTCTime: 0x17, GeneralizedTime: 0x18,
  SEQUENCE: 0x30, SET: 0x31,
} as const;

export const ctx = (n: number, constructed = true): number => (constructed ? 0xa0 : 0x80) | n;

/** Reads the node at `offset`; checks that it fits inside `limit`. Only definite lengths (DER). */
export function readNode(bytes: Uint8Array, offset = 0, limit = bytes.length): DerNode {
  if (offset + 2 > limit) throw new DerError(`truncated DER at ${offset}`);
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used in this profile');
  let length = bytes[offset + 1] as number;
  let headerLength = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new DerError('indefinite or oversized length (BER) is not DER');
    if (offset + 2 + n > limit) throw new DerError('truncated DER length');
    length = 0;
    for (let i = 0; i < n; i += 1) length = length * 256 + (bytes[offset + 2 + i] as number);
    headerLength += n;
  }
  if (offset + headerLength + length > limit) throw new DerError(`DER element at ${offset} overruns its container`);
  return { tag, start: offset, headerLength, length, bytes };
}

export const contentStart = (n: DerNode): number => n.start + n.headerLength;
export const end = (n: DerNode): number => n.start + n.headerLength + n.length;
export const encoded = (n: DerNode): Uint8Array => n.bytes.subarray(n.start, end(n));
export const content = (n: DerNode): Uint8Array => n.bytes.subarray(contentStart(n), end(n));

/** The children of a constructed node. */
export function children(n: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let at = contentStart(n);
  const stop = end(n);
  while (at < stop) {
    const c = readNode(n.bytes, at, stop);
    out.push(c);
    at = end(c);
  }
  return out;
}

export function expectTag(n: DerNode | undefined, tag: number, what: string): DerNode {
  if (!n || n.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got ${n ? `0x${n.tag.toString(16)}` : 'nothing'}`);
  return n;
}

export function parseOid(n: DerNode): string {
  const b = content(expectTag(n, Tag.OID, 'OBJECT IDENTIFIER'));
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < b.length; i += 1) {
    const byte = b[i] as number;
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** UTCTime / GeneralizedTime (RFC 5280 §4.1.2.5: Z form, seconds present; fractions allowed in GeneralizedTime). */
export function parseTime(n: DerNode): Date {
  const s = Buffer.from(content(n)).toString('latin1');
  const m = n.tag === Tag.UTCTime ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(s);
  if (!m) throw new DerError(`bad time ${s}`);
  let year = Number(m[1]);
  if (n.tag === Tag.UTCTime) year += year < 50 ? 2000 : 1900;
  const ms = m[7] ? Math.round(Number(`0${m[7]}`) * 1000) : 0;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms));
}

// ---- writing ----

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const out: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) out.unshift(l & 0xff);
  return [0x80 | out.length, ...out];
}

/** Encodes a TLV around already-encoded content parts. */
export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const length = parts.reduce((sum, p) => sum + p.length, 0);
  return Buffer.concat([Buffer.from([tag, ...lengthBytes(length)]), ...parts]);
}

export const seq = (...parts: Uint8Array[]): Buffer => tlv(Tag.SEQUENCE, ...parts);

/** SET OF in DER order: elements sorted by their encodings (X.690 §11.6). */
export const setOf = (...parts: Uint8Array[]): Buffer => tlv(Tag.SET, ...[...parts].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = parts;
  const out: number[] = [];
  for (const v of [a * 40 + b, ...rest]) {
    const bytes = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) bytes.unshift((x & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(Tag.OID, Buffer.from(out));
}

export const octetString = (b: Uint8Array): Buffer => tlv(Tag.OCTET_STRING, b);
export const derNull = (): Buffer => Buffer.from([0x05, 0x00]);
export const integerSmall = (v: number): Buffer => tlv(Tag.INTEGER, Buffer.from([v]));

export function utcTime(d: Date): Buffer {
  const p = (v: number): string => String(v).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(Tag.UTCTime, Buffer.from(s, 'latin1'));
}
