// A large package verified as a stream (skeleton + base64 runs read again, xmldsig/base64-runs.ts) gives
// exactly the verdict of verifying it whole — valid, tampered in a run, tampered in the header — and the
// split is refused (null: read it whole) wherever it could not be equivalent.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { buildDocumentPackage } from '../../../../src/edxml/package-builder.ts';
import type { OutgoingAttachment } from '../../../../src/edxml/model.ts';
import { splitBase64Runs } from '../../../../src/pki/xmldsig/base64-runs.ts';
import { checkEnvelopeSignature, checkSplitEnvelopeSignature } from '../../../../src/pki/xmldsig/envelope-verifier.ts';
import { signEnvelope } from '../../../../src/pki/xmldsig/envelope-signer.ts';
import { samplePackage } from '../../edxml/sample-package.ts';
import { envelopeSetup } from './support/envelope-setup.ts';

/** The bytes as a stream of `size`-byte chunks, afresh on each call. */
const streamOf = (bytes: Buffer, size: number) => async function* (): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
};

describe('edXML envelope verified as a stream (large packages)', function () {
  this.timeout(60_000);
  const t = envelopeSetup();
  const attachment = (size: number, i: number, transferEncoding: 'zip' | 'raw' = 'raw'): OutgoingAttachment =>
    ({ contentId: `a${i}`, name: `tep-${i}.bin`, contentType: 'application/octet-stream', content: randomBytes(size), transferEncoding });
  const signed = async (attachments: OutgoingAttachment[], edit: (xml: string) => string = (x) => x) =>
    signEnvelope(Buffer.from(edit(buildDocumentPackage(samplePackage({ attachments })).toString('utf8')), 'utf8'), t.org());
  const keyOf = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey; // never used when the split is refused

  const same = async (bytes: Buffer, chunk: number): Promise<void> => {
    const whole = await t.verifier.verifyEnvelope(bytes);
    const streamed = await t.verifier.verifyEnvelopeStream(streamOf(bytes, chunk));
    expect(streamed, 'the split applies').to.not.equal(null);
    expect([streamed?.indication, streamed?.subIndication, streamed?.signer?.organId]).to.deep.equal([whole.indication, whole.subIndication, whole.signer?.organId]);
  };

  for (const [name, attachments] of [
    ['one raw attachment of 200 KB', [attachment(200_000, 1)]],
    ['a zipped attachment of 1 MB, a raw one of 100 KB and a small one (stays in the skeleton)', [attachment(1_000_000, 1, 'zip'), attachment(100_000, 2), attachment(100, 3)]],
  ] as Array<[string, OutgoingAttachment[]]>) {
    for (const chunk of [1, 4099, 65_536, 1 << 20]) {
      if (chunk === 1 && attachments.length > 1) continue; // byte by byte: once is enough
      it(`${name}, read in chunks of ${chunk} bytes: the verdict of the whole package (TOTAL_PASSED)`, async () => {
        const bytes = await signed(attachments);
        expect((await t.verifier.verifyEnvelope(bytes)).indication).to.equal('TOTAL_PASSED');
        await same(bytes, chunk);
      });
    }
  }

  it('a byte changed inside a run, or in the header, fails as the whole package does (HASH_FAILURE)', async () => {
    const bytes = await signed([attachment(300_000, 1)]);
    const inRun = Buffer.from(bytes);
    const at = inRun.indexOf('<edXML:ContentTransferEncoded') + 200_000;
    inRun[at] = inRun[at] === 0x41 ? 0x42 : 0x41;
    const inHeader = Buffer.from(bytes.toString('utf8').replace('<edXML:Subject>', '<edXML:Subject>X'), 'utf8');
    for (const tampered of [inRun, inHeader]) {
      expect((await t.verifier.verifyEnvelope(tampered)).subIndication).to.equal('HASH_FAILURE');
      await same(tampered, 65_536);
    }
  });

  it('checks the same digest and SignatureValue as the whole-package check, with runs down to 4 KB', async () => {
    const bytes = await signed([attachment(4096, 1), attachment(3072, 2), attachment(30_000, 3)]);
    const split = await splitBase64Runs(streamOf(bytes, 1000), 4096);
    expect(split?.runs.length).to.equal(3);
    expect(split!.skeleton.length).to.be.lessThan(bytes.length - 40_000);
    const keyOfCert = (c: Buffer) => t.verifier.certificateKey(c).key;
    expect(await checkSplitEnvelopeSignature(split!, streamOf(bytes, 1000), keyOfCert)).to.deep.equal(checkEnvelopeSignature(bytes, keyOfCert));
  });

  it('refuses to split (null: read it whole) a run inside a comment, a run that does not end at "<", a package ending in a run', async () => {
    const run = randomBytes(60_000).toString('base64'); // 80 KB of base64
    const inComment = await signed([], (x) => x.replace('</edXML:edXMLHeader>', `</edXML:edXMLHeader><!-- >${run}< -->`));
    expect((await t.verifier.verifyEnvelope(inComment)).indication).to.equal('TOTAL_PASSED'); // a valid package…
    expect(await t.verifier.verifyEnvelopeStream(streamOf(inComment, 65_536))).to.equal(null); // …read whole instead
    const wrapped = Buffer.from(buildDocumentPackage(samplePackage({ attachments: [] })).toString('utf8').replace(/<edXML:Subject>[^<]*</, `<edXML:Subject>${run}\n${run}<`), 'utf8'); // line-wrapped base64 (vendor style)
    expect(await splitBase64Runs(streamOf(wrapped, 65_536))).to.equal(null);
    expect(await splitBase64Runs(streamOf(Buffer.from(`<a>${run}`), 4096))).to.equal(null);
    expect(await checkSplitEnvelopeSignature({ skeleton: Buffer.from('<a>'), runs: [] }, streamOf(Buffer.alloc(0), 1), keyOf)).to.equal(null);
  });
});
