// Minimal DER reader (X.690 §8.1): walks tag-length-value headers without building objects, to pick a
// few fields out of large structures (a TimeStampResp carries whole certificates) cheaply. Definite
// lengths only (DER); anything else throws.

export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the contents. */
  readonly contents: number;
  /** Offset just after the contents. */
  readonly end: number;
}

export function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) throw new Error(`DER: bad header at ${offset}`);
  let length = first;
  let contents = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error(`DER: unsupported length at ${offset}`);
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + (bytes[contents + i] ?? 0);
    contents += count;
  }
  const end = contents + length;
  if (end > limit) throw new Error(`DER: length past the end at ${offset}`);
  return { tag, start: offset, contents, end };
}

/** The TLVs inside a constructed TLV. */
export function childrenOf(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contents; at < parent.end;) {
    const child = readTlv(bytes, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

export const contentsOf = (bytes: Uint8Array, tlv: Tlv): Uint8Array => bytes.subarray(tlv.contents, tlv.end);
export const encodingOf = (bytes: Uint8Array, tlv: Tlv): Uint8Array => bytes.subarray(tlv.start, tlv.end);

/** Dotted form of an OBJECT IDENTIFIER's contents (X.690 §8.19). */
export function objectIdentifier(contents: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of contents) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) { arcs.push(value); value = 0; }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** GeneralizedTime contents `YYYYMMDDHHMMSS[.fff]Z` (RFC 5280 §4.1.2.5.2, RFC 3161 §2.4.2). */
export function generalizedTime(contents: Uint8Array): Date {
  const text = Buffer.from(contents).toString('latin1');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) throw new Error(`DER: bad GeneralizedTime ${text}`);
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms));
}

/** X.509 Time: UTCTime `YYMMDDHHMMSSZ` (years 1950–2049) or GeneralizedTime (RFC 5280 §4.1.2.5). */
export function x509Time(bytes: Uint8Array, tlv: Tlv): Date {
  const contents = contentsOf(bytes, tlv);
  if (tlv.tag === 0x18) return generalizedTime(contents);
  if (tlv.tag !== 0x17) throw new Error(`DER: not a Time (tag ${tlv.tag})`);
  const text = Buffer.from(contents).toString('latin1');
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) throw new Error(`DER: bad UTCTime ${text}`);
  const yy = Number(m[1]);
  return new Date(Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}
