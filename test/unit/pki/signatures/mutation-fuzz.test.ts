// Property tests on hostile input: random byte changes to signed envelopes, CMS and PDFs always give a
// report (never an exception), and a change inside what a CMS or PDF signature covers never passes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { signDetachedCms } from '../../../../src/pki/cms/signed-data-builder.ts';
import { keyObjectCredentials } from '../../../../src/pki/cms/signer.ts';
import { appendPadesSignature } from '../../../../src/pki/pades/incremental-signer.ts';
import { findPdfSignatures } from '../../../../src/pki/pades/pdf-signatures.ts';
import { SignatureVerifier } from '../../../../src/pki/verify/signature-verifier.ts';
import { signEnvelope } from '../../../../src/pki/xmldsig/envelope-signer.ts';
import { FakePathValidator, FakeTimeStampVerifier } from './support/fakes.ts';
import { samplePdf } from './support/sample-pdf.ts';
import { createThrowawayPki } from './support/throwaway-pki.ts';

const mutate = (bytes: Buffer, at: number, value: number): Buffer => {
  const copy = Buffer.from(bytes);
  copy[at] = value === copy[at] ? (value + 1) & 0xff : value;
  return copy;
};

describe('signatures under random byte changes', function () {
  this.timeout(60_000);
  const pki = createThrowawayPki();
  const credentials = keyObjectCredentials(pki.org.key, pki.org.der, [pki.ca.der]);
  const verifier = new SignatureVerifier({ pathValidator: new FakePathValidator({ anchors: [pki.root.der] }), timeStampVerifier: new FakeTimeStampVerifier() });

  it('a mutated envelope always yields a report; a mutated byte of text content never passes', async () => {
    const signed = await signEnvelope(readFileSync(join(import.meta.dirname, '../../../fixtures/pki/envelope-g22.edxml')), credentials);
    expect((await verifier.verifyEnvelope(signed)).indication).to.equal('TOTAL_PASSED');
    const subject = signed.indexOf('V/v kết nối');
    await fc.assert(fc.asyncProperty(fc.nat({ max: signed.length - 1 }), fc.integer({ min: 0, max: 255 }), async (at, value) => {
      const report = await verifier.verifyEnvelope(mutate(signed, at, value));
      expect(report.indication).to.be.oneOf(['TOTAL_PASSED', 'TOTAL_FAILED', 'INDETERMINATE']);
    }), { numRuns: 150 });
    await fc.assert(fc.asyncProperty(fc.integer({ min: subject, max: subject + 10 }), fc.integer({ min: 0x20, max: 0x7e }), async (at, value) => {
      expect((await verifier.verifyEnvelope(mutate(signed, at, value))).indication).to.not.equal('TOTAL_PASSED');
    }), { numRuns: 40 });
  });

  it('a mutated CMS or content never passes and never throws', async () => {
    const content = Buffer.from('nội dung tệp đính kèm\n'.repeat(20));
    const cms = await signDetachedCms({ contentSha256: createHash('sha256').update(content).digest(), credentials, signingTime: new Date() });
    await fc.assert(fc.asyncProperty(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 255 }), async (inCms, pos, value) => {
      const report = inCms
        ? await verifier.verifyDetachedCms(mutate(cms, pos % cms.length, value), content)
        : await verifier.verifyDetachedCms(cms, mutate(content, pos % content.length, value));
      // A change in the certificate set outside the signer's certificate (the CA copy) may still pass.
      if (report.indication === 'TOTAL_PASSED') expect(inCms).to.equal(true);
    }), { numRuns: 150 });
  });

  it('a change inside the byte range of a PAdES signature never passes; any change never throws', async () => {
    const pdf = await appendPadesSignature(samplePdf(), { credentials });
    const [a, b, c, d] = findPdfSignatures(pdf)[0]?.byteRange ?? [0, 0, 0, 0];
    const covered = fc.oneof(fc.integer({ min: a, max: a + b - 1 }), fc.integer({ min: c, max: c + d - 1 }));
    await fc.assert(fc.asyncProperty(covered, fc.integer({ min: 0, max: 255 }), async (at, value) => {
      const reports = await verifier.verifyPdf(mutate(pdf, at, value));
      expect(reports.every((r) => r.indication !== 'TOTAL_PASSED')).to.equal(true);
    }), { numRuns: 150 });
  });
});
