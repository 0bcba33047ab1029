// Every vendor sample package (DOMAIN.md §3: legacy or broken envelope signatures) gets a verification
// result with a clear message, never an exception (issue 3 item 6).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { SignatureVerifier } from '../../../../src/pki/verify/signature-verifier.ts';
import type { CertificatePathValidator, TimeStampTokenVerifier } from '../../../../src/pki/trust-services.ts';
import { vendorFixturesDir } from '../../../support/shared.ts';

const root = vendorFixturesDir;
const files = [
  ...readdirSync(root).filter((f) => f.endsWith('.edxml')),
  ...readdirSync(join(root, 'status')).filter((f) => f.endsWith('.edxml')).map((f) => `status/${f}`),
];

// These packages never reach path validation: a validator that is called is a test failure.
const unreachable = { async validate() { throw new Error('path validation reached'); } } as CertificatePathValidator;
const noTimestamps = { async verify() { throw new Error('time-stamp verification reached'); } } as TimeStampTokenVerifier;

describe('vendor edXML packages get a verification result', () => {
  const verifier = new SignatureVerifier({ pathValidator: unreachable, timeStampVerifier: noTimestamps });
  const expected: Record<string, RegExp> = {
    '01_edoc_new.edxml': /lacks the XML-DSig namespace/,
    '02_edoc_update.edxml': /lacks the XML-DSig namespace|not well-formed/,
    '03_edoc_replacement.edxml': /lacks the XML-DSig namespace|not well-formed/,
    '04_edoc_revocation.edxml': /lacks the XML-DSig namespace|not well-formed/,
    '05_inner_signed_edxml_from_01_attachment.edxml': /unbound prefix xlink/,
  };
  it('covers all the fixtures', () => { expect(files.length).to.be.greaterThan(10); });
  for (const file of files) {
    it(file, async () => {
      const report = await verifier.verifyEnvelope(readFileSync(join(root, file)));
      expect([report.form, report.indication, report.subIndication]).to.deep.equal(['XML-DSig', 'TOTAL_FAILED', 'FORMAT_FAILURE']);
      expect(report.message).to.match(expected[file] ?? /carries no XML-DSig Signature/);
      expect(report.messageVi).to.equal('Chữ ký số không hợp lệ: chữ ký sai định dạng cho phép.');
    });
  }
});
