import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { expect } from 'chai';
import { issueCertificate, type CertificateProfile, type IssuerKeys } from '../../../../src/pki/dev/certificate-issuer.ts';
import { cert, devAuthority, harness } from './dev-pki-fixture.ts';

// RFC 5280 §6.1.4 constraints on certificates made for the occasion under the dev root and issuing CA.

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const der = (c: pkijs.Certificate): Uint8Array => new Uint8Array(c.toSchema().toBER(false));
/** A positive serial in minimal DER (a random first octet 0x00 or ≥ 0x80 would make an invalid or negative INTEGER). */
const serial = (): Uint8Array => { const b = randomBytes(12); b[0] = (b[0]! & 0x7f) | 0x01; return new Uint8Array(b); };
const profile = (cn: string, extra: Partial<CertificateProfile> = {}): CertificateProfile => ({
  subject: [['CN', cn], ['O', 'Kiểm thử'], ['C', 'VN']], serial: serial(), publicKey,
  notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2040-01-01T00:00:00Z'),
  keyUsage: ['digitalSignature', 'nonRepudiation'], ...extra,
});
const root = (): IssuerKeys => ({ certificate: devAuthority().root.pkijs, privateKey: devAuthority().root.privateKey });
const issuing = (): IssuerKeys => ({ certificate: devAuthority().issuingCa.pkijs, privateKey: devAuthority().issuingCa.privateKey });
const at = new Date('2026-06-01T00:00:00Z');

async function verdict(signer: Uint8Array, candidates: Uint8Array[]): Promise<[string, string | undefined, string]> {
  const r = await harness().validator.validate({ signer, candidates, at, purpose: 'personal-signing' });
  return [r.indication, r.subIndication, r.message];
}

describe('pki trust: path constraints (RFC 5280 §6.1.4)', () => {
  it('path length: a CA under the issuing CA (pathLen 0) cannot issue → CHAIN_CONSTRAINTS_FAILURE', async () => {
    const sub = issueCertificate(profile('Sub CA', { ca: {}, keyUsage: ['keyCertSign', 'cRLSign'] }), issuing());
    const leaf = issueCertificate(profile('Leaf under sub CA'), { certificate: sub, privateKey });
    const [indication, sub2, message] = await verdict(der(leaf), [der(sub)]);
    expect([indication, sub2]).to.deep.equal(['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE']);
    expect(message).to.contain('path length');
  });

  it('a CA certificate without keyCertSign cannot issue → CHAIN_CONSTRAINTS_FAILURE', async () => {
    const ca = issueCertificate(profile('CA without keyCertSign', { ca: {}, keyUsage: ['cRLSign'] }), root());
    const leaf = issueCertificate(profile('Leaf'), { certificate: ca, privateKey });
    const [indication, sub, message] = await verdict(der(leaf), [der(ca)]);
    expect([indication, sub]).to.deep.equal(['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE']);
    expect(message).to.contain('keyUsage');
  });

  it('an end-entity certificate cannot act as a CA → CHAIN_CONSTRAINTS_FAILURE', async () => {
    const notCa = issueCertificate(profile('Not a CA'), issuing());
    const leaf = issueCertificate(profile('Issued by an end entity'), { certificate: notCa, privateKey });
    const [indication, sub, message] = await verdict(der(leaf), [der(notCa)]);
    expect([indication, sub]).to.deep.equal(['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE']);
    expect(message).to.contain('not a CA');
  });

  it('an unknown critical extension → CHAIN_CONSTRAINTS_FAILURE; the same extension non-critical is ignored', async () => {
    const ext = (critical: boolean): pkijs.Extension => new pkijs.Extension({ extnID: '1.3.6.1.4.1.99999.7', critical, extnValue: new asn1js.Null().toBER(false) });
    const critical = issueCertificate(profile('Critical unknown', { extraExtensions: [ext(true)] }), issuing());
    const [indication, sub] = await verdict(der(critical), []);
    expect([indication, sub]).to.deep.equal(['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE']);
    const nonCritical = issueCertificate(profile('Non-critical unknown', { extraExtensions: [ext(false)] }), issuing());
    const [indication2, sub2] = await verdict(der(nonCritical), []);
    expect([indication2, sub2]).to.deep.equal(['INDETERMINATE', 'TRY_LATER']); // passes the constraints; has no AIA/CDP to check revocation
  });

  it('a certificate with the issuing CA name but signed by another key → NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const forgedIssuer = issueCertificate(profile('forged', { ca: {}, keyUsage: ['keyCertSign'] }), root());
    forgedIssuer.subject = devAuthority().issuingCa.pkijs.subject; // same name, other key
    const leaf = issueCertificate(profile('Leaf with a forged issuer'), { certificate: forgedIssuer, privateKey });
    const [indication, sub] = await verdict(der(leaf), [cert('issuing-ca')]);
    expect([indication, sub]).to.deep.equal(['INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND']);
  });

  it('onlyListedIntermediates: a CA carried by the signature but not in the trust list is not used', async () => {
    const { trustListFromDer } = await import('../../../../src/pki/trust/trust-list.ts');
    const { X509PathValidator } = await import('../../../../src/pki/path/path-validator.ts');
    const h = harness();
    const otherCa = issueCertificate(profile('Another CA under the root', { ca: { pathLength: 0 }, keyUsage: ['keyCertSign', 'cRLSign'] }), root());
    const leaf = issueCertificate(profile('Leaf of another CA'), { certificate: otherCa, privateKey });
    const strict = new X509PathValidator(trustListFromDer(h.cache, [cert('root')], [cert('issuing-ca')], true), h.cache, h.revocation);
    const result = await strict.validate({ signer: der(leaf), candidates: [der(otherCa)], at, purpose: 'personal-signing' });
    expect(result.subIndication).to.equal('NO_CERTIFICATE_CHAIN_FOUND');
    const listed = await strict.validate({ signer: cert('person:lanhdao@000.00.00.G22'), candidates: [], at, purpose: 'personal-signing' });
    expect(listed.indication).to.equal('TOTAL_PASSED');
    const open = await verdict(der(leaf), [der(otherCa)]);
    expect(open[1]).to.equal('TRY_LATER'); // without the restriction the path is built (then no revocation source for this test CA)
  });
});
