// Minimal DER writer (X.690 §8, §10): TLV with definite lengths, so the dev TSA can assemble a token from
// pre-encoded parts (its certificate, names) without re-parsing them on every request.

export function tlv(tag: number, ...contents: readonly Uint8Array[]): Uint8Array {
  const length = contents.reduce((n, c) => n + c.length, 0);
  const header = length < 0x80 ? [tag, length]
    : length < 0x100 ? [tag, 0x81, length]
      : length < 0x10000 ? [tag, 0x82, length >> 8, length & 0xff]
        : [tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  let offset = header.length;
  for (const c of contents) { out.set(c, offset); offset += c.length; }
  return out;
}

export const sequence = (...contents: readonly Uint8Array[]): Uint8Array => tlv(0x30, ...contents);
export const set = (...contents: readonly Uint8Array[]): Uint8Array => tlv(0x31, ...contents);
export const octetString = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);

/** A non-negative INTEGER from its big-endian magnitude (a leading 0x00 when the high bit is set). */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start += 1;
  const trimmed = magnitude.subarray(start);
  return (trimmed[0] ?? 0) & 0x80 ? tlv(0x02, new Uint8Array([0]), trimmed) : tlv(0x02, trimmed);
}
