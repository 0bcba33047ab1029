// Signing a package from its skeleton (the sender's path: the attachments' base64 spliced into the digest
// and the output slice by slice, never the whole package in memory) gives exactly the bytes of signing
// the joined package, for attachments of every size around the base64 slice and the 3-byte groups.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { buildDocumentPackage, buildDocumentPackageSkeleton } from '../../../../src/edxml/package-builder.ts';
import { compressionFor, deflateAhead } from '../../../../src/edxml/single-file-zip.ts';
import type { OutgoingAttachment } from '../../../../src/edxml/model.ts';
import { EnvelopeSigningError, signEnvelope, signEnvelopeSkeleton } from '../../../../src/pki/xmldsig/envelope-signer.ts';
import { samplePackage } from '../../edxml/sample-package.ts';
import { envelopeSetup } from './support/envelope-setup.ts';

const SLICE = 48 * 1024;

describe('edXML envelope signed from a package skeleton', function () {
  this.timeout(30_000);
  const t = envelopeSetup();
  const attachment = (size: number, i: number, transferEncoding: 'zip' | 'raw' = 'raw'): OutgoingAttachment =>
    ({ contentId: `a${i}`, name: `tep-${i}.bin`, contentType: 'application/octet-stream', content: randomBytes(size), transferEncoding });

  const cases: Array<[string, OutgoingAttachment[]]> = [
    ['no attachment (a recall)', []],
    ...[1, 2, 3, SLICE - 1, SLICE, SLICE + 1, 3 * SLICE + 2, 100_000].map((size): [string, OutgoingAttachment[]] => [`one raw attachment of ${size} bytes`, [attachment(size, 1)]]),
    ['a zipped PDF-like attachment and a raw one', [attachment(150_000, 1, 'zip'), attachment(7, 2)]],
    ['eleven attachments (marker n1e is no prefix of n10e)', Array.from({ length: 11 }, (_, i) => attachment(10 + i, i + 1))],
  ];
  for (const [name, attachments] of cases) {
    it(`${name}: the same bytes as signing the joined package, and its size`, async () => {
      const pkg = samplePackage({ attachments });
      const signed = await signEnvelopeSkeleton(buildDocumentPackageSkeleton(pkg), t.org());
      const joined = await signEnvelope(buildDocumentPackage(pkg), t.org());
      const sliced = Buffer.concat([...signed.slices()]);
      expect(sliced.length).to.equal(signed.size);
      expect(Buffer.compare(sliced, joined)).to.equal(0);
      expect(Buffer.compare(Buffer.concat([...signed.slices()]), joined), 'slices made again').to.equal(0);
    });
  }

  it('a file read at random as it is encoded (a 50 MB scan from the blob store): the same bytes, read only while signing and writing', async () => {
    const scan = randomBytes(3 * 1024 * 1024 + 7); // incompressible: stored in the ZIP; not a multiple of the 1 MB reads or of 3
    const letter = Buffer.from('Công văn số 12/UBND-VP. '.repeat(40_000), 'utf8'); // compresses: read whole to be deflated
    let read = 0;
    const file = (content: Buffer) => ({ byteLength: content.length, readSync: (offset: number, length: number) => { read += length; return content.subarray(offset, offset + length); } });
    const inMemory = samplePackage({ attachments: [{ contentId: 'a1', name: 'scan.pdf', content: scan }, { contentId: 'a2', name: 'letter.txt', content: letter }] });
    const fromFiles = samplePackage({ attachments: [{ contentId: 'a1', name: 'scan.pdf', content: file(scan) }, { contentId: 'a2', name: 'letter.txt', content: file(letter) }] });
    const skeleton = buildDocumentPackageSkeleton(fromFiles);
    const atBuild = read;
    expect(atBuild).to.be.below(2 * (scan.length + letter.length)).and.above(scan.length); // samples and the CRC pass, the letter read once to deflate
    const signed = await signEnvelopeSkeleton(skeleton, t.org());
    expect(read - atBuild).to.equal(scan.length); // the digest: the scan's base64 made from reads
    const sliced = Buffer.concat([...signed.slices()]);
    expect(read - atBuild).to.equal(2 * scan.length); // and the output: read again, never held
    expect(Buffer.compare(sliced, await signEnvelope(buildDocumentPackage(inMemory), t.org()))).to.equal(0);
  });

  it('files that compress, deflated ahead as a stream (the sender\'s path over 1 MB): the same bytes, each file read once in 1 MB pieces, not again', async () => {
    const letter = Buffer.from('Công văn số 12/UBND-VP về việc báo cáo số liệu. '.repeat(60_000), 'utf8'); // ~3 MB of text: deflate
    const signedPdf = randomBytes(2 * 1024 * 1024 + 5); // random streams with zero-filled runs (signature placeholders): deflated block by block
    for (let at = 0; at < signedPdf.length; at += 256 * 1024) signedPdf.fill(0, at, Math.min(at + 80 * 1024, signedPdf.length));
    expect([compressionFor(letter), compressionFor(signedPdf)]).to.deep.equal(['deflate', 'blocks']);
    const reads: number[] = [];
    const file = (content: Buffer) => ({ byteLength: content.length, readSync: (offset: number, length: number) => { reads.push(length); return content.subarray(offset, offset + length); } });
    const aheadOf = async (content: Buffer) => {
      const ahead = deflateAhead(file(content));
      if (!ahead) throw new Error('expected to compress');
      const parts: Uint8Array[] = [];
      for await (const chunk of ahead.chunks) parts.push(chunk);
      const deflated = Buffer.concat(parts);
      return { ...file(content), zip: { crc32: ahead.crc32(), deflated: { byteLength: deflated.length, readSync: (offset: number, length: number) => deflated.subarray(offset, offset + length) } } };
    };
    const contents = [await aheadOf(letter), await aheadOf(signedPdf)];
    expect(Math.max(...reads)).to.equal(1024 * 1024); // never whole
    expect(reads.reduce((a, b) => a + b, 0)).to.equal(letter.length + signedPdf.length + 2 * 32 * 512); // once each, plus 32 samples of 512 bytes
    reads.length = 0;
    const names = ['bao-cao.txt', 'van-ban-ky-so.pdf'];
    const fromFiles = samplePackage({ attachments: contents.map((content, i) => ({ contentId: `a${i}`, name: names[i] as string, content })) });
    const inMemory = samplePackage({ attachments: [letter, signedPdf].map((content, i) => ({ contentId: `a${i}`, name: names[i] as string, content })) });
    const sliced = Buffer.concat([...(await signEnvelopeSkeleton(buildDocumentPackageSkeleton(fromFiles), t.org())).slices()]);
    expect(reads).to.deep.equal([]); // the files themselves are not read again: the deflated data is
    expect(Buffer.compare(sliced, await signEnvelope(buildDocumentPackage(inMemory), t.org()))).to.equal(0);
    expect(() => deflateAhead(file(letter))?.crc32()).to.throw(/read to the end/);
  });

  it('verifies (TOTAL_PASSED), and a changed byte of an attachment breaks the digest', async () => {
    const signed = Buffer.concat([...(await signEnvelopeSkeleton(buildDocumentPackageSkeleton(samplePackage({ attachments: [attachment(60_000, 1)] })), t.org())).slices()]);
    expect((await t.verifier.verifyEnvelope(signed)).indication).to.equal('TOTAL_PASSED');
    const body = signed.indexOf('<edXML:ContentTransferEncoded');
    const tampered = Buffer.from(signed);
    const at = tampered.indexOf('>', body) + 1000;
    tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41; // another base64 letter
    expect((await t.verifier.verifyEnvelope(tampered)).indication).to.equal('TOTAL_FAILED');
  });

  it('refuses a skeleton whose marker is missing or repeated (e.g. copied into user text)', async () => {
    const skeleton = buildDocumentPackageSkeleton(samplePackage({ attachments: [attachment(10, 1)] }));
    const marker = skeleton.attachments[0]!.marker;
    const repeated = { ...skeleton, skeleton: Buffer.from(skeleton.skeleton.toString('utf8').replace('</edXML:Subject>', `${marker}</edXML:Subject>`), 'utf8') };
    let error: unknown;
    try { await signEnvelopeSkeleton(repeated, t.org()); } catch (e) { error = e; }
    expect(error).to.be.instanceOf(EnvelopeSigningError);
    const missing = { ...skeleton, skeleton: Buffer.from(skeleton.skeleton.toString('utf8').replace(marker, ''), 'utf8') };
    error = undefined;
    try { await signEnvelopeSkeleton(missing, t.org()); } catch (e) { error = e; }
    expect(error).to.be.instanceOf(EnvelopeSigningError);
  });
});
