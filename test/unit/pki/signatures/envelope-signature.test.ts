// edXML envelope signing and verification with a throwaway openssl PKI and fake trust services:
// placement, profile, organisation binding, cross-checks with xml-crypto in both directions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { expect } from 'chai';
import { SignedXml } from 'xml-crypto';
import { keyObjectCredentials } from '../../../../src/pki/cms/signer.ts';
import { listedOrganisationDirectory } from '../../../../src/pki/verify/organisation-directory.ts';
import { SignatureVerifier } from '../../../../src/pki/verify/signature-verifier.ts';
import { EnvelopeSigningError, signEnvelope } from '../../../../src/pki/xmldsig/envelope-signer.ts';
import { FakePathValidator, FakeTimeStampVerifier } from './support/fakes.ts';
import { envelopeSetup } from './support/envelope-setup.ts';
import { vendorFixturesDir } from '../../../support/shared.ts';

const fixture = readFileSync(join(import.meta.dirname, '../../../fixtures/pki/envelope-g22.edxml'));
const status = readFileSync(join(vendorFixturesDir, 'status', 'status_acceptance_03.edxml'));

describe('edXML envelope signature (XML-DSig profile)', function () {
  this.timeout(30_000);
  const t = envelopeSetup();

  it('places the Signature right after TraceHeaderList, without touching anything else', async () => {
    const signed = (await signEnvelope(fixture, t.org())).toString('utf8');
    expect(signed).to.match(/<\/edXML:TraceHeaderList><Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#"><SignedInfo>/);
    expect(signed.replace(/<Signature [\s\S]*<\/Signature>/, '')).to.equal(fixture.toString('utf8'));
    expect(signed.match(/<X509Certificate>/g)).to.have.length(2);
  });

  it('signs a status message (no TraceHeaderList) after MessageHeader, and it verifies', async () => {
    const signed = await signEnvelope(status, t.org());
    expect(signed.toString('utf8')).to.match(/<\/edXML:MessageHeader><Signature /);
    const report = await t.verifier.verifyEnvelope(signed);
    expect(report.indication).to.equal('TOTAL_PASSED');
  });

  it('verifies, with the sending agency read from the signed header and the organisation check "not_checked" without a directory', async () => {
    const report = await t.verifier.verifyEnvelope(await signEnvelope(fixture, t.org()));
    expect(report.form).to.equal('XML-DSig');
    expect(report.indication).to.equal('TOTAL_PASSED');
    expect(report.organisationCheck).to.deep.equal({ status: 'not_checked', expectedOrganId: '000.00.00.G22', certificateOrganId: '000.00.00.G22' });
    expect(report.signer?.organId).to.equal('000.00.00.G22');
    expect(report.messageVi).to.equal('Chữ ký số hợp lệ.');
  });

  it('matches the organisation through a directory that pins the certificate', async () => {
    const sha = (await import('node:crypto')).createHash('sha256').update(t.pki.org.der).digest('hex');
    const v = new SignatureVerifier({ pathValidator: new FakePathValidator({ anchors: [t.pki.root.der] }), timeStampVerifier: new FakeTimeStampVerifier(), directory: listedOrganisationDirectory([{ organId: '000.00.00.G22', certificateSha256: [sha] }]) });
    const report = await v.verifyEnvelope(await signEnvelope(fixture, t.org()));
    expect(report.organisationCheck?.status).to.equal('matched');
    const other = await v.verifyEnvelope(await signEnvelope(fixture, keyObjectCredentials(t.pki.otherOrg.key, t.pki.otherOrg.der, [t.pki.ca.der])));
    expect([other.indication, other.subIndication, other.organisationCheck?.status]).to.deep.equal(['TOTAL_FAILED', 'SIG_CONSTRAINTS_FAILURE', 'mismatched']);
  });

  it('warns when the envelope was signed with a personal certificate (no organ id)', async () => {
    const report = await t.verifier.verifyEnvelope(await signEnvelope(fixture, keyObjectCredentials(t.pki.person.key, t.pki.person.der, [t.pki.ca.der])));
    expect(report.warnings).to.include('the signer certificate carries no organ id: not an organisational (agency) certificate');
    expect((await t.verifier.verifyEnvelope(await signEnvelope(fixture, t.org()))).warnings).to.deep.equal([]);
  });

  it('accepts a plain Uint8Array package', async () => {
    const signed = await signEnvelope(new Uint8Array(fixture), t.org());
    expect((await t.verifier.verifyEnvelope(new Uint8Array(signed))).indication).to.equal('TOTAL_PASSED');
  });

  it('refuses to sign a package that already carries a Signature', async () => {
    const signed = await signEnvelope(fixture, t.org());
    let error: unknown;
    try { await signEnvelope(signed, t.org()); } catch (e) { error = e; }
    expect(error).to.be.instanceOf(EnvelopeSigningError);
  });

  it('signs with an ECDSA P-256 key (r||s signature value) and verifies', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // A self-issued certificate is enough for the cryptographic check; the fake path validator trusts it.
    const { execFileSync } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(t.pki.dir, 'ec.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    execFileSync('openssl', ['req', '-new', '-x509', '-key', 'ec.key', '-subj', '/CN=EC test/UID=000.00.00.G22', '-days', '30', '-out', 'ec.pem'], { cwd: t.pki.dir, stdio: 'pipe' });
    const cert = new X509Certificate(readFileSync(join(t.pki.dir, 'ec.pem'))).raw;
    const v = new SignatureVerifier({ pathValidator: new FakePathValidator({ anchors: [cert] }), timeStampVerifier: new FakeTimeStampVerifier() });
    const signed = await signEnvelope(fixture, keyObjectCredentials(privateKey, cert));
    expect(signed.toString()).to.include('ecdsa-sha256');
    expect((await v.verifyEnvelope(signed)).indication).to.equal('TOTAL_PASSED');
  });

  it('xml-crypto verifies our signature (cross-check)', async () => {
    const signed = (await signEnvelope(fixture, t.org())).toString('utf8');
    const doc = new DOMParser().parseFromString(signed, 'text/xml');
    const sigNode = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0];
    const sx = new SignedXml({ publicCert: t.pki.org.x509.toString(), getCertFromKeyInfo: () => null });
    sx.loadSignature(sigNode as unknown as Node);
    expect(sx.checkSignature(signed)).to.equal(true);
  });

  it('we verify an xml-crypto-signed envelope (cross-check)', async () => {
    const sx = new SignedXml({ privateKey: t.pki.org.key.export({ type: 'pkcs8', format: 'pem' }), publicCert: t.pki.org.x509.toString(), canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#', signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256' });
    sx.addReference({ xpath: '/*', uri: '', isEmptyUri: true, transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
    sx.computeSignature(fixture.toString('utf8'), { location: { reference: "//*[local-name()='TraceHeaderList']", action: 'after' } });
    const report = await t.verifier.verifyEnvelope(Buffer.from(sx.getSignedXml(), 'utf8'));
    expect(report.message).to.equal('the signature is valid');
  });

  it('a signer certificate that is not in KeyInfo is NO_SIGNING_CERTIFICATE_FOUND', async () => {
    const signed = (await signEnvelope(fixture, t.org())).toString('utf8').replace(/<KeyInfo>[\s\S]*<\/KeyInfo>/, '<KeyInfo><KeyName>x</KeyName></KeyInfo>');
    const report = await t.verifier.verifyEnvelope(Buffer.from(signed));
    expect([report.indication, report.subIndication]).to.deep.equal(['INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND']);
  });

  it('two Signatures, an inclusive c14n, a second Reference or extra transforms are format failures', async () => {
    const signed = (await signEnvelope(fixture, t.org())).toString('utf8');
    const sig = /<Signature [\s\S]*<\/Signature>/.exec(signed)?.[0] as string;
    const variants = [
      signed.replace('</edXML:edXMLBody>', `${sig}</edXML:edXMLBody>`),
      signed.replace('<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">', '<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315">'),
      signed.replace('</Reference>', '</Reference><Reference URI=""></Reference>'),
      signed.replace('</Transforms>', '<Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"></Transform></Transforms>'),
      signed.replace('rsa-sha256', 'rsa-sha1'),
    ];
    for (const v of variants) {
      const report = await t.verifier.verifyEnvelope(Buffer.from(v));
      expect([report.indication, report.subIndication], report.message).to.deep.equal(['TOTAL_FAILED', 'FORMAT_FAILURE']);
    }
  });
});
