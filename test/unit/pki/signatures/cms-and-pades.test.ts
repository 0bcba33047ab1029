// Detached CMS and PAdES with a throwaway openssl PKI and fake trust services: the DER we build (checked
// by pkijs as an independent parser), format refusals, time-stamps, incremental updates, xref streams.
import { execFileSync } from 'node:child_process';
import { createHash, webcrypto } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import * as asn1js from 'asn1js';
import { expect } from 'chai';
import * as pkijs from 'pkijs';
import { signDetachedCms } from '../../../../src/pki/cms/signed-data-builder.ts';
import { parseSignedData } from '../../../../src/pki/cms/signed-data-parser.ts';
import { keyObjectCredentials } from '../../../../src/pki/cms/signer.ts';
import { appendPadesSignature } from '../../../../src/pki/pades/incremental-signer.ts';
import { findPdfSignatures } from '../../../../src/pki/pades/pdf-signatures.ts';
import { detectForm } from '../../../../src/pki/verify/form-detection.ts';
import { SignatureVerifier } from '../../../../src/pki/verify/signature-verifier.ts';
import { FakePathValidator, FakeTimeStampVerifier, opensslTsa } from './support/fakes.ts';
import { samplePdf } from './support/sample-pdf.ts';
import { createThrowawayPki, type ThrowawayPki } from './support/throwaway-pki.ts';

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

/** The sample PDF rewritten with a compressed cross-reference stream (PDF 1.5, ISO 32000-1 §7.5.8). */
function xrefStreamPdf(): Buffer {
  const classic = samplePdf().toString('latin1');
  const xrefAt = classic.indexOf('xref\n');
  const body = classic.slice(0, xrefAt);
  const offsets = [...body.matchAll(/(\d+) 0 obj\n/g)].map((m) => [Number(m[1]), m.index as number] as const);
  const n = offsets.length + 2; // objects 1..7, the xref stream is 8
  const rows = Buffer.alloc(n * 5);
  rows.writeUInt8(0, 0);
  for (const [num, off] of offsets) { rows.writeUInt8(1, num * 5); rows.writeUInt32BE(off, num * 5 + 1); }
  rows.writeUInt8(1, (n - 1) * 5); rows.writeUInt32BE(body.length, (n - 1) * 5 + 1);
  const data = deflateSync(rows);
  const head = `${n - 1} 0 obj\n<< /Type /XRef /Size ${n} /W [1 4 0] /Root 1 0 R /Filter /FlateDecode /Length ${data.length} >>\nstream\n`;
  return Buffer.concat([Buffer.from(body + head, 'latin1'), data, Buffer.from(`\nendstream\nendobj\nstartxref\n${body.length}\n%%EOF\n`, 'latin1')]);
}

describe('detached CMS and PAdES', function () {
  this.timeout(30_000);
  let pki: ThrowawayPki;
  let verifier: SignatureVerifier;
  const content = Buffer.from('Tệp đính kèm: danh sách đơn vị nhận\n'.repeat(30));
  before(() => {
    pki = createThrowawayPki();
    pkijs.setEngine('node', new pkijs.CryptoEngine({ crypto: webcrypto as unknown as Crypto }));
    verifier = new SignatureVerifier({ pathValidator: new FakePathValidator({ anchors: [pki.root.der] }), timeStampVerifier: new FakeTimeStampVerifier() });
  });
  const org = () => keyObjectCredentials(pki.org.key, pki.org.der, [pki.ca.der]);

  it('our CMS carries the CAdES signed attributes in DER order and verifies in pkijs', async () => {
    const cms = await signDetachedCms({ contentSha256: sha256(content), credentials: org(), signingTime: new Date('2026-11-23T02:15:00Z') });
    const info = new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(cms)).result });
    const sd = new pkijs.SignedData({ schema: info.content });
    const types = sd.signerInfos[0]?.signedAttrs?.attributes.map((a) => a.type);
    expect(types).to.have.members(['1.2.840.113549.1.9.3', '1.2.840.113549.1.9.4', '1.2.840.113549.1.9.16.2.47', '1.2.840.113549.1.9.5']);
    expect(await sd.verify({ signer: 0, data: new Uint8Array(content).buffer, checkChain: false })).to.equal(true);
    const parts = parseSignedData(cms);
    expect(parts.signingTime?.toISOString()).to.equal('2026-11-23T02:15:00.000Z');
    expect(parts.essCertId?.hash).to.deep.equal(new Uint8Array(sha256(pki.org.der)));
  });

  it('a CMS with a signature time-stamp (openssl ts -reply) is judged at the time-stamp time', async () => {
    const tsa = opensslTsa(pki);
    const cms = await signDetachedCms({ contentSha256: sha256(content), credentials: org(), signingTime: new Date(), tsa });
    const validator = new FakePathValidator({ anchors: [pki.root.der] });
    const v = new SignatureVerifier({ pathValidator: validator, timeStampVerifier: new FakeTimeStampVerifier(), validationTime: new Date(Date.now() + 86_400_000) });
    const report = await v.verifyDetachedCms(cms, content);
    expect(report.indication).to.equal('TOTAL_PASSED');
    expect(report.evidence.timestamps).to.have.length(1);
    expect(report.bestSignatureTime).to.equal(report.evidence.timestamps[0]?.genTime);
    expect(validator.calls.at(-1)?.at.toISOString()).to.equal(report.bestSignatureTime);
  });

  it('the content can be hashed as a stream (function form) with the algorithm the signer chose', async () => {
    const cms = await signDetachedCms({ contentSha256: sha256(content), credentials: org(), signingTime: null });
    const asked: string[] = [];
    const report = await verifier.verifyDetachedCms(cms, async (alg) => { asked.push(alg); return createHash(alg).update(content).digest(); });
    expect(report.indication).to.equal('TOTAL_PASSED');
    expect(asked).to.deep.equal(['sha256']);
  });

  it('refuses SHA-1, embedded content, garbage and several signers as FORMAT_FAILURE', async () => {
    writeFileSync(join(pki.dir, 'c.bin'), content);
    const sign = (extra: string[]): Buffer => execFileSync('openssl', ['cms', '-sign', '-binary', '-in', 'c.bin', '-signer', pki.org.certPath, '-inkey', pki.org.keyPath, '-outform', 'DER', ...extra], { cwd: pki.dir });
    const sha1 = sign(['-md', 'sha1']);
    const embedded = sign(['-nodetach']);
    execFileSync('openssl', ['cms', '-sign', '-binary', '-in', 'c.bin', '-signer', pki.org.certPath, '-inkey', pki.org.keyPath, '-signer', pki.otherOrg.certPath, '-inkey', pki.otherOrg.keyPath, '-outform', 'DER', '-out', 'two.p7s'], { cwd: pki.dir });
    for (const bad of [sha1, embedded, Buffer.from('not a cms at all'), readFileSync(join(pki.dir, 'two.p7s'))]) {
      const report = await verifier.verifyDetachedCms(bad, content);
      expect([report.indication, report.subIndication], report.message).to.deep.equal(['TOTAL_FAILED', 'FORMAT_FAILURE']);
    }
  });

  it('two incremental PAdES signatures: the first revision is kept byte for byte, both verify', async () => {
    const original = samplePdf();
    const one = await appendPadesSignature(original, { credentials: keyObjectCredentials(pki.person.key, pki.person.der, [pki.ca.der]) });
    const two = await appendPadesSignature(one, { credentials: org() });
    expect(one.subarray(0, original.length).equals(original)).to.equal(true);
    expect(two.subarray(0, one.length).equals(one)).to.equal(true);
    const sigs = findPdfSignatures(two);
    expect(sigs.map((s) => [s.fieldName, s.subFilter, s.coversWholeFile])).to.deep.equal([['Signature1', 'ETSI.CAdES.detached', false], ['Signature2', 'ETSI.CAdES.detached', true]]);
    expect(sigs[0]?.byteRange[2] as number + (sigs[0]?.byteRange[3] as number)).to.equal(one.length);
    const reports = await verifier.verifyPdf(two);
    expect(reports.map((r) => [r.form, r.indication])).to.deep.equal([['PAdES', 'TOTAL_PASSED'], ['PAdES', 'TOTAL_PASSED']]);
    expect(reports[0]?.warnings.join(' ')).to.match(/incremental updates were appended after this signature/);
    // PAdES baseline: no signing-time attribute in the CMS (the time is the dictionary's /M).
    expect(parseSignedData(sigs[1]?.cms as Buffer).signingTime).to.equal(undefined);
  });

  it('signs and verifies a PDF whose cross-reference is a compressed stream', async () => {
    const pdf = xrefStreamPdf();
    const signed = await appendPadesSignature(pdf, { credentials: org() });
    const reports = await verifier.verifyPdf(signed);
    expect(reports.map((r) => r.indication)).to.deep.equal(['TOTAL_PASSED']);
  });

  it('an unsigned PDF, a damaged PDF and an altered byte range are format or hash failures', async () => {
    expect((await verifier.verifyPdf(samplePdf()))[0]?.subIndication).to.equal('FORMAT_FAILURE');
    expect((await verifier.verifyPdf(Buffer.from('%PDF-1.7\ngarbage')))[0]?.subIndication).to.equal('FORMAT_FAILURE');
    const signed = await appendPadesSignature(samplePdf(), { credentials: org() });
    const text = signed.toString('latin1');
    const m = /\/ByteRange \[0 (\d+) (\d+) (\d+)\s*\]/.exec(text) as RegExpExecArray;
    const last = m[3] as string;
    const shrunk = Buffer.from(text.replace(m[0], m[0].replace(` ${last}`, ` ${Number(last) - 10}`.padEnd(last.length + 1, ' ').slice(0, last.length + 1))), 'latin1');
    const report = (await verifier.verifyPdf(shrunk))[0];
    expect([report?.indication, report?.subIndication]).to.deep.equal(['TOTAL_FAILED', 'FORMAT_FAILURE']);
  });

  it('accepts plain Uint8Arrays (not Buffers) everywhere, e.g. attachments decoded by fflate', async () => {
    const plain = (b: Buffer): Uint8Array => new Uint8Array(b);
    const pdf = await appendPadesSignature(plain(samplePdf()), { credentials: org() });
    expect((await verifier.verifyPdf(plain(pdf))).map((r) => r.indication)).to.deep.equal(['TOTAL_PASSED']);
    const cms = await signDetachedCms({ contentSha256: sha256(content), credentials: org(), signingTime: null });
    expect((await verifier.verifyDetachedCms(plain(cms), plain(content))).indication).to.equal('TOTAL_PASSED');
  });

  it('detects the form of a file: PDF, XML, CMS in DER and PEM', async () => {
    const cms = await signDetachedCms({ contentSha256: sha256(content), credentials: org(), signingTime: null });
    const pem = `-----BEGIN PKCS7-----\n${cms.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PKCS7-----\n`;
    expect(detectForm(samplePdf()).form).to.equal('pdf');
    expect(detectForm(Buffer.from('\uFEFF<?xml version="1.0"?><edXML/>')).form).to.equal('xml');
    expect(detectForm(cms)).to.deep.equal({ form: 'cms', der: cms });
    expect((detectForm(Buffer.from(pem)) as { der: Buffer }).der.equals(cms)).to.equal(true);
    expect(detectForm(Buffer.from('hello')).form).to.equal('unknown');
  });
});
