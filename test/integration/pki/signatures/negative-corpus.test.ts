// The negative corpus of issue 3 as a table: each case builds its fixture with the dev PKI (certs-dev/)
// and states the expected ETSI EN 319 102-1 indication / sub-indication; the real trust layer judges.
// Also the long-term case: signed and time-stamped while valid, re-verified after expiry from the stored
// evidence alone (no network).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { SignatureValidationReport } from '../../../../src/domain/validation-report.ts';
import { signDetachedCms } from '../../../../src/pki/cms/signed-data-builder.ts';
import type { SigningCredentials } from '../../../../src/pki/cms/signer.ts';
import { appendPadesSignature } from '../../../../src/pki/pades/incremental-signer.ts';
import type { TimeStampAuthorityClient } from '../../../../src/pki/trust-services.ts';
import { listedOrganisationDirectory } from '../../../../src/pki/verify/organisation-directory.ts';
import { SignatureVerifier } from '../../../../src/pki/verify/signature-verifier.ts';
import type { VerificationContext } from '../../../../src/pki/verify/signature-assessment.ts';
import { devPassphrase } from '../../../../src/pki/dev/dev-manifest.ts';
import { signEnvelope } from '../../../../src/pki/xmldsig/envelope-signer.ts';
import { samplePdf } from '../../../unit/pki/signatures/support/sample-pdf.ts';
import { devCredentials, devTrustLayer, repoDir } from './support/dev-trust.ts';
import { vendorFixturesDir } from '../../../support/shared.ts';

type Fixture = { form: 'envelope'; bytes: Buffer } | { form: 'cms'; bytes: Buffer; content: Buffer } | { form: 'pdf'; bytes: Buffer };
interface Case {
  readonly name: string;
  readonly fixture: () => Promise<Fixture>;
  readonly expected: readonly [SignatureValidationReport['indication'], SignatureValidationReport['subIndication']?];
  readonly context?: () => Partial<VerificationContext> & { rootOnly?: boolean };
}

const unsigned = readFileSync(join(repoDir, 'test/fixtures/pki/envelope-g22.edxml'));
const vendor = (name: string): Buffer => readFileSync(join(vendorFixturesDir, name));
const attachment = Buffer.from('Báo cáo kèm theo (tệp đính kèm riêng)\n'.repeat(64));
const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

const tsaAt = (iso: string): TimeStampAuthorityClient => devTrustLayer({ clock: () => new Date(iso) }).tsa;
const tsaNow = (): TimeStampAuthorityClient => devTrustLayer().tsa;
const cms = async (credentials: SigningCredentials, tsa?: TimeStampAuthorityClient, content = attachment): Promise<Fixture> =>
  ({ form: 'cms', bytes: await signDetachedCms({ contentSha256: sha256(content), credentials, signingTime: new Date(), ...(tsa ? { tsa } : {}) }), content: attachment });
const envelope = async (credentials: SigningCredentials, edit: (xml: string) => string = (x) => x): Promise<Fixture> =>
  ({ form: 'envelope', bytes: Buffer.from(edit((await signEnvelope(unsigned, credentials)).toString('utf8')), 'utf8') });
/** An envelope signed by xmlsec1 with the given algorithms (to produce legacy signatures we never make). */
function xmlsecSigned(signatureMethod: string, digestMethod: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'edoc-legacy-'));
  const template = unsigned.toString('utf8').replace('</edXML:TraceHeaderList>', `</edXML:TraceHeaderList><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>`
    + `<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="${signatureMethod}"/><Reference URI=""><Transforms>`
    + '<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>'
    + `<DigestMethod Algorithm="${digestMethod}"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>`);
  writeFileSync(join(dir, 't.edxml'), template);
  const org = devCredentials('org:000.00.00.G22');
  execFileSync('xmlsec1', ['--sign', '--pwd', devPassphrase(), '--privkey-pem', `${org.keyPath},${org.certPath}`, '--output', join(dir, 's.edxml'), join(dir, 't.edxml')], { stdio: 'pipe' });
  return readFileSync(join(dir, 's.edxml'));
}

/** Wrong key: the G22 certificate, but the signature made with the G10 key. */
const wrongKey = (): SigningCredentials => ({ ...devCredentials('org:000.00.00.G22'), sign: devCredentials('org:000.00.00.G10').sign });

const cases: readonly Case[] = [
  { name: 'valid envelope (agency G22)', fixture: () => envelope(devCredentials('org:000.00.00.G22')), expected: ['TOTAL_PASSED'] },
  { name: 'valid detached CMS with time-stamp', fixture: () => cms(devCredentials('org:000.00.00.G22'), tsaNow()), expected: ['TOTAL_PASSED'] },
  { name: 'tampered content: envelope subject changed', fixture: () => envelope(devCredentials('org:000.00.00.G22'), (x) => x.replace('V/v kết nối', 'V/v hủy kết nối')), expected: ['TOTAL_FAILED', 'HASH_FAILURE'] },
  { name: 'tampered content: attachment of a CMS', fixture: async () => ({ ...(await cms(devCredentials('org:000.00.00.G22'))), content: Buffer.concat([attachment, Buffer.from('!')]) } as Fixture), expected: ['TOTAL_FAILED', 'HASH_FAILURE'] },
  {
    name: 'tampered content: a byte of a signed PDF revision',
    fixture: async () => {
      const pdf = await appendPadesSignature(samplePdf(), { credentials: devCredentials('org:000.00.00.G22') });
      const at = pdf.indexOf('Cong van so 01');
      pdf[at] = 0x44; // 'C' → 'D'
      return { form: 'pdf', bytes: pdf };
    },
    expected: ['TOTAL_FAILED', 'HASH_FAILURE'],
  },
  {
    name: 'tampered signed attribute (signing-time) in a CMS',
    fixture: async () => {
      const f = await cms(devCredentials('org:000.00.00.G22')) as Extract<Fixture, { form: 'cms' }>;
      const oid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05]); // signingTime
      const at = f.bytes.indexOf(oid) + oid.length + 4; // SET, UTCTime header → first digit of the year
      f.bytes[at + 1] = f.bytes[at + 1] === 0x39 ? 0x38 : (f.bytes[at + 1] as number) + 1;
      return f;
    },
    expected: ['TOTAL_FAILED', 'SIG_CRYPTO_FAILURE'],
  },
  { name: 'wrong key: envelope signed by another key than the KeyInfo certificate', fixture: () => envelope(wrongKey()), expected: ['TOTAL_FAILED', 'SIG_CRYPTO_FAILURE'] },
  { name: 'wrong key: CMS', fixture: () => cms(wrongKey()), expected: ['TOTAL_FAILED', 'SIG_CRYPTO_FAILURE'] },
  { name: 'revoked before the signing time (time-stamp after 2026-03-01)', fixture: () => cms(devCredentials('bad:revoked'), tsaNow()), expected: ['TOTAL_FAILED', 'REVOKED'] },
  { name: 'revoked after the signing time (time-stamp 2026-02-01)', fixture: () => cms(devCredentials('bad:revoked'), tsaAt('2026-02-01T08:00:00Z')), expected: ['TOTAL_PASSED'] },
  { name: 'expired signer certificate', fixture: () => cms(devCredentials('bad:expired'), tsaNow()), expected: ['INDETERMINATE', 'EXPIRED'] },
  { name: 'not yet valid signer certificate', fixture: () => cms(devCredentials('bad:not-yet-valid')), expected: ['TOTAL_FAILED', 'NOT_YET_VALID'] },
  { name: 'untrusted root', fixture: () => envelope(devCredentials('bad:untrusted', { withChain: false })), expected: ['INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND'] },
  { name: 'missing intermediate (not in the signature, not in the trust list)', fixture: () => cms(devCredentials('org:000.00.00.G22', { withChain: false })), expected: ['INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND'], context: () => ({ rootOnly: true }) },
  { name: 'wrong key usage', fixture: () => cms(devCredentials('bad:wrong-key-usage')), expected: ['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE'] },
  {
    name: 'time-stamp over other data',
    fixture: async () => {
      const other = await signDetachedCms({ contentSha256: sha256(Buffer.from('other')), credentials: devCredentials('org:000.00.00.G22'), signingTime: null, tsa: tsaNow() });
      const { parseSignedData } = await import('../../../../src/pki/cms/signed-data-parser.ts');
      const foreignToken = parseSignedData(other).timeStampToken as Uint8Array;
      const replay: TimeStampAuthorityClient = { stamp: async () => foreignToken };
      return cms(devCredentials('org:000.00.00.G22'), replay);
    },
    expected: ['TOTAL_FAILED', 'HASH_FAILURE'],
  },
  {
    name: 'wrapping: a second, unsigned copy of the header',
    fixture: () => envelope(devCredentials('org:000.00.00.G22'), (x) => x.replace('<edXML:edXMLBody>', '<edXML:edXMLHeader><edXML:MessageHeader><edXML:From><edXML:OrganId>000.00.00.H53</edXML:OrganId></edXML:From></edXML:MessageHeader></edXML:edXMLHeader><edXML:edXMLBody>')),
    expected: ['TOTAL_FAILED', 'FORMAT_FAILURE'],
  },
  { name: 'wrapping: a Reference to an Id instead of the whole document', fixture: () => envelope(devCredentials('org:000.00.00.G22'), (x) => x.replace('<Reference URI="">', '<Reference URI="#hdr">')), expected: ['TOTAL_FAILED', 'FORMAT_FAILURE'] },
  {
    name: "wrapping: the Signature moved into an attacker's element",
    fixture: () => envelope(devCredentials('org:000.00.00.G22'), (x) => {
      const sig = /<Signature xmlns="http:\/\/www.w3.org\/2000\/09\/xmldsig#">[\s\S]*<\/Signature>/.exec(x)?.[0] ?? '';
      return x.replace(sig, '').replace('</edXML:edXMLBody>', `<edXML:Wrapper>${sig}</edXML:Wrapper></edXML:edXMLBody>`);
    }),
    expected: ['TOTAL_FAILED', 'FORMAT_FAILURE'],
  },
  { name: 'ds:Object carrying unsigned payload', fixture: () => envelope(devCredentials('org:000.00.00.G22'), (x) => x.replace('</KeyInfo>', '</KeyInfo><Object><edXML:From>x</edXML:From></Object>')), expected: ['TOTAL_FAILED', 'FORMAT_FAILURE'] },
  { name: 'DOCTYPE (entity expansion) refused', fixture: () => envelope(devCredentials('org:000.00.00.G22'), (x) => x.replace('<edXML ', '<!DOCTYPE edXML [<!ENTITY a "aaaa">]><edXML ')), expected: ['TOTAL_FAILED', 'FORMAT_FAILURE'] },
  {
    name: 'signer organisation is not the sending agency (directory given)',
    fixture: () => envelope(devCredentials('org:000.00.00.H53')),
    expected: ['TOTAL_FAILED', 'SIG_CONSTRAINTS_FAILURE'],
    context: () => ({ directory: listedOrganisationDirectory([{ organId: '000.00.00.G22' }, { organId: '000.00.00.H53' }]) }),
  },
  {
    name: 'legacy RSA-SHA1 envelope signature (properly namespaced, made by xmlsec1)',
    fixture: async () => ({ form: 'envelope', bytes: xmlsecSigned('http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1') }),
    expected: ['TOTAL_FAILED', 'FORMAT_FAILURE'],
  },
  {
    name: 'dummy certificate in KeyInfo (vendor test packages)',
    fixture: () => envelope(devCredentials('org:000.00.00.G22'), (x) => x.replace(/<X509Certificate>[^<]*<\/X509Certificate>/, `<X509Certificate>${Buffer.from('dummy certificate!').toString('base64')}</X509Certificate>`)),
    expected: ['INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND'],
  },
  { name: 'vendor package: Signature without the XML-DSig namespace', fixture: async () => ({ form: 'envelope', bytes: vendor('01_edoc_new.edxml') }), expected: ['TOTAL_FAILED', 'FORMAT_FAILURE'] },
  { name: 'vendor package: legacy inner package (RSA-SHA1, unbound prefix)', fixture: async () => ({ form: 'envelope', bytes: vendor('05_inner_signed_edxml_from_01_attachment.edxml') }), expected: ['TOTAL_FAILED', 'FORMAT_FAILURE'] },
  { name: 'vendor status message without a signature', fixture: async () => ({ form: 'envelope', bytes: vendor('status/status_inbox_01.edxml') }), expected: ['TOTAL_FAILED', 'FORMAT_FAILURE'] },
];

async function verify(f: Fixture, verifier: SignatureVerifier): Promise<SignatureValidationReport> {
  if (f.form === 'envelope') return verifier.verifyEnvelope(f.bytes);
  if (f.form === 'cms') return verifier.verifyDetachedCms(f.bytes, f.content);
  const reports = await verifier.verifyPdf(f.bytes);
  expect(reports).to.have.length(1);
  return reports[0] as SignatureValidationReport;
}

describe('negative corpus: fixture → expected indication / sub-indication', function () {
  this.timeout(60_000);
  for (const c of cases) {
    it(`${c.name} → ${c.expected.join(' / ')}`, async () => {
      const fixture = await c.fixture();
      const { rootOnly, ...extra } = c.context?.() ?? {};
      const layer = devTrustLayer({ ...(rootOnly ? { rootOnly } : {}) });
      const report = await verify(fixture, new SignatureVerifier({ pathValidator: layer.paths, timeStampVerifier: layer.timestamps, ...extra }));
      expect([report.indication, report.subIndication], report.message).to.deep.equal([c.expected[0], c.expected[1]]);
      expect(report.messageVi).to.be.a('string').and.not.equal('');
    });
  }
});

describe('long-term validation from stored evidence', function () {
  this.timeout(60_000);
  const after = new Date('2046-06-01T00:00:00Z'); // after the G22 certificate (and the TSA's) expired

  it('a CMS time-stamped while valid verifies after expiry from the stored evidence alone; without it, not', async () => {
    const signed = await cms(devCredentials('org:000.00.00.G22'), tsaNow()) as Extract<Fixture, { form: 'cms' }>;
    const online = devTrustLayer();
    const first = await new SignatureVerifier({ pathValidator: online.paths, timeStampVerifier: online.timestamps }).verifyDetachedCms(signed.bytes, signed.content);
    expect(first.indication).to.equal('TOTAL_PASSED');
    expect(first.evidence.revocation.length).to.be.greaterThan(0);
    const stored = JSON.parse(JSON.stringify(first)) as SignatureValidationReport; // as kept with the document

    const later = devTrustLayer({ offline: true, clock: () => after });
    const base = { pathValidator: later.paths, timeStampVerifier: later.timestamps, validationTime: after };
    const fromEvidence = await new SignatureVerifier({ ...base, storedRevocation: stored.evidence.revocation }).verifyDetachedCms(signed.bytes, signed.content);
    expect([fromEvidence.indication, fromEvidence.subIndication], fromEvidence.message).to.deep.equal(['TOTAL_PASSED', undefined]);
    expect(fromEvidence.bestSignatureTime).to.equal(first.bestSignatureTime);

    // Without evidence the TSA's revocation cannot be had either: the time-stamp is not usable as proof of
    // time, so the signature is judged at the validation time, after expiry.
    const noEvidence = await new SignatureVerifier(base).verifyDetachedCms(signed.bytes, signed.content);
    expect([noEvidence.indication, noEvidence.subIndication]).to.deep.equal(['INDETERMINATE', 'EXPIRED']);
    expect(noEvidence.warnings.join(' ')).to.match(/time-stamp could not be validated/);
  });

  it('without a time-stamp the same check after expiry is INDETERMINATE / EXPIRED', async () => {
    const signed = await cms(devCredentials('org:000.00.00.G22')) as Extract<Fixture, { form: 'cms' }>;
    const later = devTrustLayer({ offline: true, clock: () => after });
    const report = await new SignatureVerifier({ pathValidator: later.paths, timeStampVerifier: later.timestamps, validationTime: after }).verifyDetachedCms(signed.bytes, signed.content);
    expect([report.indication, report.subIndication]).to.deep.equal(['INDETERMINATE', 'EXPIRED']);
  });

  it('offline, a CRL given by the caller (verify --crl) provides the revocation status', async () => {
    const { createDevTrustServices } = await import('../../../../src/pki/dev/dev-trust-services.ts');
    const { devDir } = await import('./support/dev-trust.ts');
    const services = createDevTrustServices({ dir: devDir, passphrase: devPassphrase() });
    const crls = [(await services.crl('issuing-ca.crl')).body, (await services.crl('root.crl')).body]; // leaf and CA
    const signed = await cms(devCredentials('org:000.00.00.G22')) as Extract<Fixture, { form: 'cms' }>;
    const offline = devTrustLayer({ offline: true });
    const base = { pathValidator: offline.paths, timeStampVerifier: offline.timestamps };
    const withCrl = await new SignatureVerifier({ ...base, extraCrls: crls }).verifyDetachedCms(signed.bytes, signed.content);
    expect(withCrl.indication, withCrl.message).to.equal('TOTAL_PASSED');
    expect(withCrl.evidence.revocation.some((r) => r.kind === 'CRL')).to.equal(true);
    const without = await new SignatureVerifier(base).verifyDetachedCms(signed.bytes, signed.content);
    expect([without.indication, without.subIndication]).to.deep.equal(['INDETERMINATE', 'TRY_LATER']);
  });

  it('a stale revocation answer beyond the freshness limit gives INDETERMINATE / TRY_LATER', async () => {
    const signed = await cms(devCredentials('org:000.00.00.G10')) as Extract<Fixture, { form: 'cms' }>;
    const online = devTrustLayer();
    const first = await new SignatureVerifier({ pathValidator: online.paths, timeStampVerifier: online.timestamps }).verifyDetachedCms(signed.bytes, signed.content);
    expect(first.indication).to.equal('TOTAL_PASSED');
    const twoHoursLater = new Date(Date.now() + 2 * 3_600_000);
    const later = devTrustLayer({ offline: true, clock: () => twoHoursLater });
    const report = await new SignatureVerifier({ pathValidator: later.paths, timeStampVerifier: later.timestamps, validationTime: twoHoursLater, storedRevocation: first.evidence.revocation })
      .verifyDetachedCms(signed.bytes, signed.content);
    expect([report.indication, report.subIndication]).to.deep.equal(['INDETERMINATE', 'TRY_LATER']);
  });
});
