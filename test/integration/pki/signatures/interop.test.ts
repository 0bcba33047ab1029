// Interoperability, both directions (issue 3 "Tests that must exist"): our envelope ↔ xmlsec1, our CMS ↔
// openssl cms, our time-stamp tokens ↔ openssl ts, our PAdES → pdfsig. Dev PKI (certs-dev/) and the real
// trust layer (path validation, OCSP, TSA in-process).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { signDetachedCms } from '../../../../src/pki/cms/signed-data-builder.ts';
import { parseSignedData } from '../../../../src/pki/cms/signed-data-parser.ts';
import { devPassphrase } from '../../../../src/pki/dev/dev-manifest.ts';
import { appendPadesSignature } from '../../../../src/pki/pades/incremental-signer.ts';
import type { TrustLayer } from '../../../../src/pki/trust/trust-layer.ts';
import { SignatureVerifier } from '../../../../src/pki/verify/signature-verifier.ts';
import { signEnvelope, signEnvelopeSkeleton } from '../../../../src/pki/xmldsig/envelope-signer.ts';
import { buildDocumentPackageSkeleton } from '../../../../src/edxml/package-builder.ts';
import { samplePackage } from '../../../unit/edxml/sample-package.ts';
import { samplePdf } from '../../../unit/pki/signatures/support/sample-pdf.ts';
import { pdfsigWithDevTrust } from '../../../support/pdfsig.ts';
import { devCredentials, devFile, devRootPem, devTrustLayer, issuingCaPem, repoDir } from './support/dev-trust.ts';

/** Runs a tool; `out` is stdout and stderr together (xmlsec1 and openssl report success on stderr). */
const run = (cmd: string, args: string[]): { ok: boolean; out: string } => {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: r.status === 0, out: `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}` };
};

describe('signature interop with the standard tools (dev PKI)', function () {
  this.timeout(60_000);
  let dir: string;
  let layer: TrustLayer;
  let verifier: SignatureVerifier;
  const unsigned = readFileSync(join(repoDir, 'test/fixtures/pki/envelope-g22.edxml'));
  const caFile = (): string => {
    const f = join(dir, 'cafile.pem');
    writeFileSync(f, Buffer.concat([readFileSync(devRootPem), readFileSync(issuingCaPem)]));
    return f;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'edoc-interop-'));
    layer = devTrustLayer();
    verifier = new SignatureVerifier({ pathValidator: layer.paths, timeStampVerifier: layer.timestamps });
  });

  it('our edXML envelope verifies with xmlsec1 --verify --trusted-pem <dev root>', async () => {
    const signed = await signEnvelope(unsigned, devCredentials('org:000.00.00.G22'));
    writeFileSync(join(dir, 'ours.edxml'), signed);
    const result = run('xmlsec1', ['--verify', '--trusted-pem', devRootPem, join(dir, 'ours.edxml')]);
    expect(result.out).to.match(/^OK$/m);
    expect(result.ok).to.equal(true);
    const report = await verifier.verifyEnvelope(signed);
    expect(report.indication).to.equal('TOTAL_PASSED');
    expect(report.signer?.organId).to.equal('000.00.00.G22');
    expect(report.evidence.revocation.length).to.be.greaterThan(0);
  });

  it('a package the sender signs from its skeleton (zipped PDF of 300 KB, never whole in memory) verifies with xmlsec1', async () => {
    const pkg = samplePackage({ attachments: [{ contentId: 'a1', name: 'van-ban.pdf', contentType: 'application/pdf', content: samplePdf({ text: 'Skeleton', padTo: 300_000 }) }] });
    const signed = await signEnvelopeSkeleton(buildDocumentPackageSkeleton(pkg), devCredentials('org:000.00.00.G22'));
    writeFileSync(join(dir, 'skeleton.edxml'), Buffer.concat([...signed.slices()]));
    const result = run('xmlsec1', ['--verify', '--trusted-pem', devRootPem, join(dir, 'skeleton.edxml')]);
    expect(result.out).to.match(/^OK$/m);
    expect(result.ok).to.equal(true);
  });

  it('our c14n matches libxml2 on namespace corner cases (xmlns="" subtree, prefixed attributes)', async () => {
    const tricky = unsigned.toString('utf8').replace('<edXML:edXMLBody>', '<edXML:edXMLBody><b xmlns=""><c/><x:y xmlns:x="urn:x" x:k="1" a="&amp;&#9;"/></b>');
    writeFileSync(join(dir, 'tricky.edxml'), await signEnvelope(Buffer.from(tricky), devCredentials('org:000.00.00.G22')));
    const result = run('xmlsec1', ['--verify', '--trusted-pem', devRootPem, join(dir, 'tricky.edxml')]);
    expect(result.out).to.match(/^OK$/m);
  });

  it('an xmlsec1-signed envelope with a ds:-prefixed Signature verifies with us', async () => {
    const template = unsigned.toString('utf8').replace('</edXML:TraceHeaderList>', '</edXML:TraceHeaderList><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
      + '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
      + '<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
      + '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>');
    writeFileSync(join(dir, 'ds-template.edxml'), template);
    const org = devCredentials('org:000.00.00.G22');
    const signedBy = run('xmlsec1', ['--sign', '--pwd', devPassphrase(), '--privkey-pem', `${org.keyPath},${org.certPath}`, '--output', join(dir, 'ds.edxml'), join(dir, 'ds-template.edxml')]);
    expect(signedBy.ok, signedBy.out).to.equal(true);
    const report = await verifier.verifyEnvelope(readFileSync(join(dir, 'ds.edxml')));
    expect(report.indication, report.message).to.equal('TOTAL_PASSED');
  });

  it('an xmlsec1-signed envelope verifies with us', async () => {
    const template = unsigned.toString('utf8').replace('</edXML:TraceHeaderList>', '</edXML:TraceHeaderList><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
      + '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
      + '<Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>'
      + '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>');
    writeFileSync(join(dir, 'template.edxml'), template);
    const org = devCredentials('org:000.00.00.G22');
    const signedBy = run('xmlsec1', ['--sign', '--pwd', devPassphrase(), '--privkey-pem', `${org.keyPath},${org.certPath}`, '--output', join(dir, 'xmlsec.edxml'), join(dir, 'template.edxml')]);
    expect(signedBy.ok, signedBy.out).to.equal(true);
    const report = await verifier.verifyEnvelope(readFileSync(join(dir, 'xmlsec.edxml')));
    expect(report.message).to.equal('the signature is valid');
    expect(report.indication).to.equal('TOTAL_PASSED');
  });

  it('our detached CMS (with a signature time-stamp) verifies with openssl cms -verify -binary', async () => {
    const content = Buffer.from('Phụ lục kèm theo công văn 01/VPCP-TTĐT\n'.repeat(200));
    writeFileSync(join(dir, 'attachment.txt'), content);
    const cms = await signDetachedCms({ contentSha256: createHash('sha256').update(content).digest(), credentials: devCredentials('org:000.00.00.G22'), signingTime: new Date(), tsa: layer.tsa });
    writeFileSync(join(dir, 'attachment.p7s'), cms);
    const result = run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'attachment.p7s'), '-content', join(dir, 'attachment.txt'), '-CAfile', caFile(), '-purpose', 'any', '-out', '/dev/null']);
    expect(result.out).to.match(/Verification successful/);
    const report = await verifier.verifyDetachedCms(cms, content);
    expect(report.indication).to.equal('TOTAL_PASSED');
    expect(report.evidence.timestamps).to.have.length(1);

    // …and the time-stamp token inside it verifies with openssl ts -verify over the signature value.
    const parts = parseSignedData(cms);
    writeFileSync(join(dir, 'token.der'), parts.timeStampToken as Uint8Array);
    const imprint = createHash('sha256').update(parts.signature).digest('hex');
    const ts = run('openssl', ['ts', '-verify', '-digest', imprint, '-token_in', '-in', join(dir, 'token.der'), '-CAfile', caFile(), '-untrusted', devFile('services/tsa.crt.pem')]);
    expect(ts.out).to.match(/Verification: OK/);
  });

  it('an openssl cms -sign -cades output verifies with us, and a tampered content does not', async () => {
    const content = Buffer.from('tệp đính kèm ký bằng openssl\n'.repeat(50));
    writeFileSync(join(dir, 'other.txt'), content);
    const org = devCredentials('org:000.00.00.G22');
    const signed = run('openssl', ['cms', '-sign', '-binary', '-cades', '-md', 'sha256', '-in', join(dir, 'other.txt'), '-signer', org.certPath, '-inkey', org.keyPath,
      '-passin', `pass:${devPassphrase()}`, '-certfile', issuingCaPem, '-outform', 'DER', '-out', join(dir, 'other.p7s')]);
    expect(signed.ok, signed.out).to.equal(true);
    const cms = readFileSync(join(dir, 'other.p7s'));
    expect((await verifier.verifyDetachedCms(cms, content)).indication).to.equal('TOTAL_PASSED');
    const tampered = await verifier.verifyDetachedCms(cms, Buffer.concat([content, Buffer.from('x')]));
    expect([tampered.indication, tampered.subIndication]).to.deep.equal(['TOTAL_FAILED', 'HASH_FAILURE']);
  });

  it('a time-stamp token from openssl ts -reply is accepted inside our CMS', async () => {
    const tsaConf = join(dir, 'tsa.cnf');
    writeFileSync(join(dir, 'tsaserial'), '01\n');
    writeFileSync(tsaConf, ['[tsa]', 'default_tsa=t', '[t]', `serial=${join(dir, 'tsaserial')}`, `signer_cert=${devFile('services/tsa.crt.pem')}`, `certs=${issuingCaPem}`,
      `signer_key=${devFile('services/tsa.key.pem')}`, 'signer_digest=sha256', 'default_policy=1.2.3.4.1', 'digests=sha256', 'ess_cert_id_alg=sha256', ''].join('\n'));
    const opensslTsa = {
      async stamp(imprint: Uint8Array): Promise<Uint8Array> {
        const q = run('openssl', ['ts', '-query', '-digest', Buffer.from(imprint).toString('hex'), '-sha256', '-cert', '-out', join(dir, 'q.tsq')]);
        expect(q.ok, q.out).to.equal(true);
        const r = run('openssl', ['ts', '-reply', '-config', tsaConf, '-passin', `pass:${devPassphrase()}`, '-queryfile', join(dir, 'q.tsq'), '-token_out', '-out', join(dir, 'o.tst')]);
        expect(r.ok, r.out).to.equal(true);
        return readFileSync(join(dir, 'o.tst'));
      },
    };
    const content = Buffer.from('stamped by openssl');
    const cms = await signDetachedCms({ contentSha256: createHash('sha256').update(content).digest(), credentials: devCredentials('org:000.00.00.G10'), signingTime: new Date(), tsa: opensslTsa });
    const report = await verifier.verifyDetachedCms(cms, content);
    expect(report.indication).to.equal('TOTAL_PASSED');
    expect(report.evidence.timestamps[0]?.tsa.subject).to.match(/TSA|Time/i);
  });

  it('a leader signature then the agency signature (two incremental PAdES updates) are both valid for pdfsig', async () => {
    const leader = await appendPadesSignature(samplePdf(), { credentials: devCredentials('person:lanhdao@000.00.00.G22'), tsa: layer.tsa });
    const both = await appendPadesSignature(leader, { credentials: devCredentials('org:000.00.00.G22'), tsa: layer.tsa });
    expect(both.subarray(0, leader.length).equals(leader)).to.equal(true); // the first revision is untouched
    writeFileSync(join(dir, 'signed.pdf'), both);
    const result = await pdfsigWithDevTrust(join(dir, 'signed.pdf'));
    expect(result.ok, result.out).to.equal(true);
    expect(result.out.match(/Signature Validation: Signature is Valid\./g)).to.have.length(2);
    expect(result.out.match(/Certificate Validation: Certificate is Trusted\./g), result.out).to.have.length(2);
    expect(result.out).to.match(/Signature #1:[\s\S]*Not total document signed[\s\S]*Signature #2:/);
    expect(result.out).to.match(/Signature #2:[\s\S]*Total document signed/);
    expect(result.out).to.match(/ETSI\.CAdES\.detached/);
    const reports = await verifier.verifyPdf(both);
    expect(reports.map((r) => r.indication)).to.deep.equal(['TOTAL_PASSED', 'TOTAL_PASSED']);
    expect(reports.map((r) => r.evidence.timestamps.length)).to.deep.equal([1, 1]);
    expect(reports[0]?.signer?.subject).to.match(/OU=/);
    expect(reports[1]?.signer?.organId).to.equal('000.00.00.G22');
  });
});
