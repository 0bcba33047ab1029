// Strict streaming base64 (RFC 4648 §4) for AttachmentEncoded/ContentTransferEncoded. Node's decoder
// silently skips characters outside the alphabet, so the bytes are checked here first, with a lookup
// table: only the alphabet, XML white space between characters, and `=` padding at the very end.
// What every encoder writes — canonical base64, no white space — is checked faster: decoded natively, then
// encoded again and compared (equal only when the text was exactly that); anything else (white space, a
// stray character, `=` before the end, non-zero trailing bits) takes the byte-by-byte check, so what is
// accepted and refused is the same either way. 140 KB: ~0.4 ms by the bytes, ~0.1 ms by the round trip.
import { DomainError } from '../domain/errors.ts';

/**
 * Pieces up to this size take the fast path (the parser slices a package held whole into 48 KB): its
 * strings stay below V8's 128 KB large-object size, whose fresh pages cost more here than the byte check.
 */
const FAST_PIECE_BYTES = 64 * 1024;

const ALPHABET = 1;
const SPACE = 2;
const PAD = 3;

function classTable(): Uint8Array {
  const table = new Uint8Array(256); // 0: not allowed
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') table[c.charCodeAt(0)] = ALPHABET;
  for (const c of ' \t\r\n') table[c.charCodeAt(0)] = SPACE;
  table['='.charCodeAt(0)] = PAD;
  return table;
}

export class Base64StreamDecoder {
  private readonly table = classTable();
  private carry = '';
  private pads = 0;
  /** False once a piece was not canonical (line-broken base64, say): the rest is checked by the bytes, not tried twice. */
  private canonical = true;

  constructor(private readonly field: string) {}

  /** Decodes what can be decoded of these bytes; keeps up to 3 characters for the next piece. */
  push(bytes: Uint8Array): Uint8Array {
    if (this.canonical && this.pads === 0 && bytes.length <= FAST_PIECE_BYTES) {
      const decoded = this.decodeCanonical(bytes);
      if (decoded) return decoded;
      this.canonical = false;
    }
    return this.decodeChecked(bytes);
  }

  /** The fast path: canonical base64 decoded natively and proven by encoding it again; null if it is not that. */
  private decodeCanonical(bytes: Uint8Array): Uint8Array | null {
    const all = this.carry + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    const usable = all.length - (all.length % 4);
    const carry = all.slice(usable);
    for (let i = 0; i < carry.length; i += 1) if (this.table[carry.charCodeAt(i)] !== ALPHABET) return null;
    if (usable === 0) {
      this.carry = carry;
      return new Uint8Array(0);
    }
    const text = all.slice(0, usable);
    const pads = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
    if (pads > 0 && carry.length > 0) return null; // data after the padding: refused by the byte check
    const decoded = Buffer.from(text, 'base64');
    if (decoded.toString('base64') !== text) return null;
    this.carry = carry;
    this.pads = pads;
    return decoded;
  }

  /** The byte-by-byte check, then the decoding. */
  private decodeChecked(bytes: Uint8Array): Uint8Array {
    const table = this.table;
    let spaces = 0;
    let pads = this.pads;
    for (let i = 0; i < bytes.length; i += 1) {
      const kind = table[bytes[i] as number];
      if (kind === ALPHABET) {
        if (pads > 0) this.fail('data after the = padding');
      } else if (kind === SPACE) {
        spaces += 1;
      } else if (kind === PAD) {
        pads += 1;
        if (pads > 2) this.fail('more than two = at the end');
      } else {
        this.fail(`a character outside the base64 alphabet (byte 0x${(bytes[i] as number).toString(16)})`);
      }
    }
    this.pads = pads;
    let clean = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (spaces > 0) {
      const compact = Buffer.allocUnsafe(bytes.length - spaces);
      let j = 0;
      for (let i = 0; i < bytes.length; i += 1) if (table[bytes[i] as number] !== SPACE) compact[j++] = bytes[i] as number;
      clean = compact;
    }
    if (clean.length === 0) return new Uint8Array(0);
    const all = this.carry + clean.toString('latin1');
    const usable = all.length - (all.length % 4);
    this.carry = all.slice(usable);
    return usable === 0 ? new Uint8Array(0) : Buffer.from(all.slice(0, usable), 'base64');
  }

  /** Checks that nothing is left over: the encoded length was a multiple of 4 (padding included). */
  end(): void {
    if (this.carry.length !== 0) this.fail('the encoded length is not a multiple of 4');
  }

  private fail(why: string): never {
    throw new DomainError('edxml.attachment_invalid', { details: [{ field: this.field, message: `invalid base64: ${why}` }] });
  }
}
