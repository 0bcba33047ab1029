// A document package kept as its parts (the outbox's form, PackageParts): the signed skeleton and the
// attachments' files make, joined again, exactly the bytes the signer gave — for every transfer the builder
// makes (a ZIP stored, deflated, deflated block by block; the file raw) — and the skeleton stays small.
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { buildDocumentPackageSkeleton } from '../../../../src/edxml/package-builder.ts';
import { packageParts } from '../../../../src/edxml/package-parts.ts';
import { compressionFor } from '../../../../src/edxml/single-file-zip.ts';
import type { OutgoingAttachment } from '../../../../src/edxml/model.ts';
import { joinSignedParts, signEnvelopeSkeleton } from '../../../../src/pki/xmldsig/envelope-signer.ts';
import { samplePackage } from '../../edxml/sample-package.ts';
import { envelopeSetup } from './support/envelope-setup.ts';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('edXML package kept as its parts', function () {
  this.timeout(30_000);
  const t = envelopeSetup();

  const letter = Buffer.from('Công văn số 12/UBND-VP về việc báo cáo số liệu. '.repeat(3_000), 'utf8');
  const signedPdf = randomBytes(300_000); // random streams beside zero-filled signature placeholders
  for (let at = 0; at < signedPdf.length; at += 64 * 1024) signedPdf.fill(0, at, Math.min(at + 20 * 1024, signedPdf.length));
  const scan = randomBytes(100_000);
  const attachment = (name: string, content: Buffer, transferEncoding?: 'raw'): OutgoingAttachment => ({ name, contentType: 'application/octet-stream', content, transferEncoding });

  it('covers the three ZIP compressions', () => {
    expect([compressionFor(letter), compressionFor(signedPdf), compressionFor(scan)]).to.deep.equal(['deflate', 'blocks', 'store']);
  });

  const cases: Array<[string, OutgoingAttachment[]]> = [
    ['a scan (stored)', [attachment('scan.pdf', scan)]],
    ['a letter (deflated), a signed PDF (block by block), its .p7s and a raw file', [
      attachment('cong-van.txt', letter), attachment('van-ban.pdf', signedPdf), attachment('van-ban.pdf.p7s', randomBytes(3_000)), attachment('ghi-chu.bin', randomBytes(10), 'raw'),
    ]],
    ['eleven small files (marker n1e is no prefix of n10e)', Array.from({ length: 11 }, (_, i) => attachment(`tep-${i}.txt`, Buffer.from(`tệp ${i} `.repeat(i + 1), 'utf8')))],
  ];
  for (const [name, attachments] of cases) {
    it(`${name}: made again from the parts (through JSON, as the outbox row keeps them), the signed bytes`, async () => {
      const pkg = samplePackage({ attachments });
      const unsigned = buildDocumentPackageSkeleton(pkg);
      const signed = await signEnvelopeSkeleton(unsigned, t.org());
      const joined = Buffer.concat([...signed.slices()]);
      const files = new Map(attachments.map((a) => [sha256(a.content as Buffer), a.content as Buffer]));
      const parts = packageParts(pkg, unsigned, signed.skeleton, attachments.map((a) => sha256(a.content as Buffer)));
      expect(parts).to.not.equal(null);
      expect(signed.skeleton.length).to.be.below(8_000 + 600 * attachments.length); // the envelope, its signature and a few lines per file, whatever their size
      const kept = { skeleton: Buffer.from(signed.skeleton), attachments: JSON.parse(JSON.stringify(parts!.attachments)) };
      const made = await joinSignedParts(kept, async (sha) => files.get(sha) as Buffer);
      expect(made.length).to.equal(signed.size);
      expect(Buffer.compare(made, joined)).to.equal(0);
    });
  }

  it('has no parts when a file is not in the blob store (read as a stream), and no bytes from a file that differs', async () => {
    const attachments = [attachment('cong-van.txt', letter), attachment('scan.pdf', scan)];
    const pkg = samplePackage({ attachments });
    const unsigned = buildDocumentPackageSkeleton(pkg);
    const signed = await signEnvelopeSkeleton(unsigned, t.org());
    expect(packageParts(pkg, unsigned, signed.skeleton, [sha256(letter), undefined])).to.equal(null);
    const parts = packageParts(pkg, unsigned, signed.skeleton, [sha256(letter), sha256(scan)]);
    const other = await joinSignedParts(parts!, async (sha) => (sha === sha256(scan) ? Buffer.concat([scan.subarray(1), Buffer.from([0])]) : letter));
    expect(Buffer.compare(other, Buffer.concat([...signed.slices()]))).to.not.equal(0); // the outbox's digest check refuses these
  });
});
