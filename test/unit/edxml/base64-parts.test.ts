// The package assembler writes each attachment's base64 straight into the package buffer, part by part:
// whatever the part boundaries (a ZIP's headers are 30, 46 and 22 bytes), the text must be exactly the
// base64 of the joined bytes.
import { expect } from 'chai';
import fc from 'fast-check';
import { writeBase64 } from '../../../src/edxml/xml-writer.ts';

const encode = (parts: readonly Uint8Array[]): string => {
  const expectedLength = Math.ceil(parts.reduce((n, p) => n + p.byteLength, 0) / 3) * 4;
  const out = Buffer.alloc(expectedLength + 4, 0x2a);
  const end = writeBase64(out, 2, parts);
  expect(end).to.equal(2 + expectedLength);
  expect(out.subarray(0, 2).toString('latin1') + out.subarray(end).toString('latin1')).to.equal('****'); // nothing written outside
  return out.subarray(2, end).toString('latin1');
};

describe('writeBase64 (attachment base64 written into the package buffer)', () => {
  it('equals the base64 of the joined parts for any split, including empty and 1- or 2-byte parts', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 8 }), (parts) => {
      expect(encode(parts)).to.equal(Buffer.concat(parts).toString('base64'));
    }), { numRuns: 500 });
  });

  it('handles a part larger than one write slice (3 MB), not a multiple of 3, after a 1-byte part', () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x41).fill(0x7f, 1000, 2000);
    const parts = [Buffer.from([1]), big, Buffer.from([2, 3])];
    expect(encode(parts)).to.equal(Buffer.concat(parts).toString('base64'));
  });
});
