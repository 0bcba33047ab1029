// The ZIP entry decoder of received attachments (src/edxml/zip-entry-inflate.ts): a small entry with a
// declared size is inflated whole by Node's zlib, anything else streams through fflate — and what comes
// out is the same, byte for byte, as fflate's own decoder gives, also for broken and lying entries.
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { expect } from 'chai';
import { UnzipInflate } from 'fflate';
import { HELD_ENTRY_BYTES, ZipEntryInflate } from '../../../src/edxml/zip-entry-inflate.ts';

interface Decoded { readonly bytes: Buffer; readonly calls: number; readonly error: string | null }

/** Feeds `deflated` in pieces of `piece` bytes (then an empty final piece, as fflate's Unzip does). */
function run(decoder: { ondata: unknown; push(chunk: Uint8Array, final: boolean): void }, deflated: Buffer, piece: number): Decoded {
  const out: Uint8Array[] = [];
  let calls = 0;
  let error: string | null = null;
  decoder.ondata = (err: Error | null, data: Uint8Array | null) => {
    calls += 1;
    if (err) error = err.message; else out.push(data as Uint8Array);
  };
  for (let at = 0; at < deflated.length; at += piece) decoder.push(deflated.subarray(at, at + piece), false);
  decoder.push(new Uint8Array(0), true);
  return { bytes: Buffer.concat(out), calls, error };
}

const mixed = (size: number): Buffer => Buffer.concat([randomBytes(size / 2), Buffer.alloc(size / 2, 0x30)]);

describe('ZIP entry decoder (native for small declared entries)', () => {
  it('inflates a declared entry of everyday size at once, natively: one piece of output, the same bytes', () => {
    const file = mixed(130_000);
    const deflated = deflateRawSync(file);
    for (const piece of [1000, 48_000, deflated.length]) {
      const got = run(new ZipEntryInflate('a.pdf', deflated.length, file.length), deflated, piece);
      expect(got.error).to.equal(null);
      expect(got.calls, 'one call with the whole file').to.equal(1);
      expect(got.bytes.equals(file), `pieces of ${piece}`).to.equal(true);
    }
  });

  it('streams an entry of undeclared size, or over the held limit, as fflate does', () => {
    const file = mixed(300_000);
    const deflated = deflateRawSync(file);
    for (const decoder of [new ZipEntryInflate('a.bin'), new ZipEntryInflate('a.bin', deflated.length, HELD_ENTRY_BYTES + 1)]) {
      const got = run(decoder, deflated, 16_000);
      expect(got.error).to.equal(null);
      expect(got.calls, 'several pieces of output').to.be.greaterThan(1);
      expect(got.bytes.equals(file)).to.equal(true);
    }
  });

  it('an entry inflating to more than it declares (a bomb lying about its size) streams on: the same output as fflate\'s decoder', () => {
    const file = Buffer.alloc(2_000_000, 0);
    const deflated = deflateRawSync(file);
    const got = run(new ZipEntryInflate('bomb.bin', deflated.length, 1000), deflated, 256);
    const reference = run(new UnzipInflate(), deflated, 256);
    expect(got.error).to.equal(null);
    expect(reference.calls).to.be.greaterThan(1);
    expect(got.calls, 'streamed piece by piece, as fflate\'s decoder does').to.be.at.least(reference.calls - 1); // its last piece carries the end
    expect(got.bytes.equals(reference.bytes)).to.equal(true);
    expect(got.bytes.length).to.equal(file.length);
  });

  it('an entry bringing more compressed bytes than a held entry may have streams from its first piece', () => {
    const file = randomBytes(HELD_ENTRY_BYTES + 100_000); // stored blocks: more compressed bytes than HELD_ENTRY_BYTES
    const deflated = deflateRawSync(file, { level: 0 });
    const got = run(new ZipEntryInflate('lie.bin', deflated.length, 1000), deflated, 1024 * 1024);
    expect(got.error).to.equal(null);
    expect(got.calls, 'output before the last piece').to.be.greaterThan(1);
    expect(got.bytes.equals(file)).to.equal(true);
  });

  it('an entry inflating to fewer bytes than it declares is taken, as by fflate\'s decoder', () => {
    const file = randomBytes(5000);
    const got = run(new ZipEntryInflate('a.bin', 0, 9000), deflateRawSync(file), 1000);
    expect(got.error).to.equal(null);
    expect(got.bytes.equals(file)).to.equal(true);
  });

  it('reports corrupt DEFLATE data as an error, held or streamed', () => {
    const corrupt = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x12, 0x34]);
    for (const decoder of [new ZipEntryInflate('a.bin', corrupt.length, 1000), new ZipEntryInflate('a.bin')]) {
      const got = run(decoder, corrupt, 3);
      expect(got.error, 'an error reported').to.be.a('string');
    }
  });
});
