// The strict base64 of attachments (src/edxml/base64-stream.ts): canonical text goes the fast way (decoded,
// encoded again, compared), everything else byte by byte — and both accept and refuse the same texts,
// whatever the pieces the text arrives in.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { DomainError } from '../../../src/domain/errors.ts';
import { Base64StreamDecoder } from '../../../src/edxml/base64-stream.ts';

/** Decodes `text` fed in pieces of `size` bytes; the error's message when refused. */
function decode(text: string, size: number): Buffer | string {
  const decoder = new Base64StreamDecoder('Attachment[1]');
  const bytes = Buffer.from(text, 'latin1');
  const out: Uint8Array[] = [];
  try {
    for (let at = 0; at < bytes.length; at += size) out.push(decoder.push(bytes.subarray(at, at + size)));
    decoder.end();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    expect(error.code).to.equal('edxml.attachment_invalid');
    return error.details[0]?.message ?? '';
  }
  return Buffer.concat(out);
}

const SIZES = [1, 3, 4, 5, 7, 64, 1000, 100_000];

describe('strict streaming base64', () => {
  for (const length of [0, 1, 2, 3, 50_001]) {
    it(`decodes canonical base64 of ${length} bytes exactly, in pieces of any size`, () => {
      const bytes = randomBytes(length);
      for (const size of SIZES) expect(decode(bytes.toString('base64'), size), `pieces of ${size}`).to.deep.equal(bytes);
    });
  }

  it('accepts XML white space between characters (line-broken base64)', () => {
    const bytes = randomBytes(3000);
    const text = bytes.toString('base64').replace(/(.{76})/g, '$1\r\n').replace(/^/, '\n  ');
    for (const size of SIZES) expect(decode(`${text}\n`, size), `pieces of ${size}`).to.deep.equal(bytes);
  });

  it('accepts non-zero trailing bits as before (QR== is A), by the byte check', () => {
    for (const size of SIZES) expect(decode('QUFBQR==', size)).to.deep.equal(Buffer.from('AAAA'));
  });

  const refused: [string, string, RegExp][] = [
    ['a character outside the alphabet', `${randomBytes(3000).toString('base64')}$${randomBytes(30).toString('base64')}`, /outside the base64 alphabet \(byte 0x24\)/],
    ['a byte over 0x7f', `${randomBytes(300).toString('base64')}\u00e9AAA`, /outside the base64 alphabet \(byte 0xe9\)/],
    ['data after the padding', `${randomBytes(301).toString('base64')}QUFB`, /data after the = padding/],
    ['three = at the end', 'QUFBQQ===', /more than two =/],
    ['a length that is not a multiple of 4', `${randomBytes(300).toString('base64')}QUF`, /not a multiple of 4/],
    ['a URL-safe alphabet', Buffer.from([0xfb, 0xff, 0xbf]).toString('base64url'), /outside the base64 alphabet/],
  ];
  for (const [what, text, message] of refused) {
    it(`refuses ${what}, in pieces of any size`, () => {
      for (const size of SIZES) expect(decode(text, size), `pieces of ${size}`).to.be.a('string').and.match(message);
    });
  }
});
