import { expect } from 'chai';
import type { CertificatePurpose, PathValidationInput } from '../../../../src/pki/trust-services.ts';
import type { Indication, SubIndication } from '../../../../src/domain/validation-report.ts';
import { cert, entry, harness } from './dev-pki-fixture.ts';

// RFC 5280 path validation with revocation over the committed dev PKI, as a table (fixture → verdict).

const t = (iso: string): Date => new Date(iso);
const at = t('2026-06-01T00:00:00Z'); // after bad:revoked's revocation (2026-03-01), inside the long-lived validity

interface Case {
  readonly name: string;
  readonly signer: string;
  readonly purpose?: CertificatePurpose;
  readonly at?: Date;
  readonly intermediates?: boolean;
  readonly candidates?: readonly string[];
  readonly expected: readonly [Indication, SubIndication?];
}

const cases: readonly Case[] = [
  { name: 'agency certificate', signer: 'org:000.00.00.G22', purpose: 'organisation-signing', expected: ['TOTAL_PASSED'] },
  { name: 'leader certificate', signer: 'person:lanhdao@000.00.13.H53', expected: ['TOTAL_PASSED'] },
  { name: 'TSA certificate for time-stamping', signer: 'tsa', purpose: 'timestamping', expected: ['TOTAL_PASSED'] },
  { name: 'OCSP responder certificate for OCSP signing', signer: 'ocsp', purpose: 'ocsp-signing', expected: ['TOTAL_PASSED'] },
  { name: 'expired', signer: 'bad:expired', expected: ['INDETERMINATE', 'EXPIRED'] },
  { name: 'not yet valid', signer: 'bad:not-yet-valid', expected: ['TOTAL_FAILED', 'NOT_YET_VALID'] },
  { name: 'issued by an untrusted root', signer: 'bad:untrusted', candidates: ['bad:untrusted-root'], expected: ['INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND'] },
  { name: 'missing intermediate', signer: 'org:000.00.00.G10', intermediates: false, expected: ['INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND'] },
  { name: 'intermediate carried by the signature', signer: 'org:000.00.00.G10', intermediates: false, candidates: ['issuing-ca'], expected: ['TOTAL_PASSED'] },
  { name: 'wrong key usage', signer: 'bad:wrong-key-usage', expected: ['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE'] },
  { name: 'agency certificate used as a TSA', signer: 'org:000.00.00.G22', purpose: 'timestamping', expected: ['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE'] },
  { name: 'TSA certificate used to sign a document', signer: 'tsa', purpose: 'organisation-signing', expected: ['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE'] },
  { name: 'CA certificate as signer', signer: 'issuing-ca', expected: ['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE'] },
  { name: 'revoked before the time', signer: 'bad:revoked', expected: ['TOTAL_FAILED', 'REVOKED'] },
  { name: 'revoked after the time', signer: 'bad:revoked', at: t('2025-06-01T00:00:00Z'), expected: ['TOTAL_PASSED'] },
  { name: 'before the CA existed', signer: 'org:000.00.00.G22', at: t('2023-06-01T00:00:00Z'), expected: ['TOTAL_FAILED', 'NOT_YET_VALID'] },
];

describe('pki trust: certificate path validation (RFC 5280, ETSI EN 319 102-1 sub-indications)', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.expected.join('/')}`, async () => {
      const h = harness({ intermediates: c.intermediates ?? true });
      const input: PathValidationInput = {
        signer: cert(c.signer), candidates: (c.candidates ?? []).map(cert), at: c.at ?? at, purpose: c.purpose ?? 'personal-signing',
      };
      const result = await h.validator.validate(input);
      expect([result.indication, result.subIndication].filter(Boolean), result.message).to.deep.equal([...c.expected]);
      expect(result.signer.sha256).to.equal(entry(c.signer).sha256);
      if (c.expected[0] === 'TOTAL_PASSED') {
        expect(result.chain.length).to.be.greaterThanOrEqual(2);
        expect(Buffer.from(result.chain[result.chain.length - 1] as Uint8Array).equals(cert('root'))).to.equal(true);
      }
    });
  }

  it('reports the revocation evidence it used, re-checkable later (OCSP for the leaf and the issuing CA)', async () => {
    const h = harness();
    const result = await h.validator.validate({ signer: cert('org:000.00.00.G22'), candidates: [], at: new Date(), purpose: 'organisation-signing' });
    expect(result.indication).to.equal('TOTAL_PASSED');
    expect(result.revocation.map((r) => [r.kind, r.status, r.certificateSha256])).to.deep.equal([
      ['OCSP', 'good', entry('org:000.00.00.G22').sha256],
      ['OCSP', 'good', entry('issuing-ca').sha256],
    ]);
    expect(Buffer.from(result.revocation[0]?.der ?? '', 'base64')[0]).to.equal(0x30);
  });

  it('revoked after the time: passes with a warning naming the later revocation', async () => {
    const h = harness();
    const result = await h.validator.validate({ signer: cert('bad:revoked'), candidates: [], at: t('2025-06-01T00:00:00Z'), purpose: 'personal-signing' });
    expect(result.indication).to.equal('TOTAL_PASSED');
    expect(result.revocation[0]?.status).to.equal('revoked');
    expect(result.revocation[0]?.revokedAt).to.equal('2026-03-01T00:00:00.000Z');
    expect(result.warnings.join(' ')).to.contain('revoked later, at 2026-03-01');
  });

  it('OCSP unreachable and no other source → INDETERMINATE/TRY_LATER, never passed', async () => {
    const h = harness();
    h.transport.reachable = false;
    const result = await h.validator.validate({ signer: cert('org:000.00.00.G22'), candidates: [], at, purpose: 'organisation-signing' });
    expect([result.indication, result.subIndication]).to.deep.equal(['INDETERMINATE', 'TRY_LATER']);
    expect(result.warnings.join(' ')).to.contain('ECONNREFUSED');
  });

  it('configured to fail when revocation is unavailable → TOTAL_FAILED/TRY_LATER', async () => {
    const h = harness({ whenUnavailable: 'failed' });
    h.transport.reachable = false;
    const result = await h.validator.validate({ signer: cert('org:000.00.00.G22'), candidates: [], at, purpose: 'organisation-signing' });
    expect([result.indication, result.subIndication]).to.deep.equal(['TOTAL_FAILED', 'TRY_LATER']);
  });

  it('stored OCSP evidence within the freshness limit suffices without any network (long-term validation)', async () => {
    const online = harness();
    online.clock = new Date(at.getTime() + 10 * 60_000);
    const first = await online.validator.validate({ signer: cert('person:lanhdao@000.00.00.G22'), candidates: [], at, purpose: 'personal-signing' });
    expect(first.indication).to.equal('TOTAL_PASSED');

    const offline = harness();
    offline.transport.reachable = false;
    const again = await offline.validator.validate({ signer: cert('person:lanhdao@000.00.00.G22'), candidates: [], at, purpose: 'personal-signing', storedRevocation: first.revocation });
    expect(again.indication, again.message).to.equal('TOTAL_PASSED');
    expect(offline.transport.requests).to.have.length(0);
  });

  it('stale OCSP answer beyond the freshness limit → TRY_LATER when nothing fresher can be had', async () => {
    const online = harness();
    online.clock = new Date(at.getTime() - 2 * 3_600_000); // answered 2 h before the time to prove
    const stale = await online.validator.validate({ signer: cert('person:lanhdao@000.00.00.G22'), candidates: [], at: online.clock, purpose: 'personal-signing' });
    expect(stale.indication).to.equal('TOTAL_PASSED');

    const offline = harness();
    offline.transport.reachable = false;
    const result = await offline.validator.validate({ signer: cert('person:lanhdao@000.00.00.G22'), candidates: [], at, purpose: 'personal-signing', storedRevocation: stale.revocation });
    expect([result.indication, result.subIndication]).to.deep.equal(['INDETERMINATE', 'TRY_LATER']);
    expect(result.warnings.join(' ')).to.contain('stale');
  });

  it('tampered stored evidence is not trusted (signature re-checked)', async () => {
    const online = harness();
    const first = await online.validator.validate({ signer: cert('org:000.00.00.G22'), candidates: [], at: new Date(), purpose: 'organisation-signing' });
    const der = Buffer.from(first.revocation[0]?.der ?? '', 'base64');
    const producedAt = der.toString('latin1').search(/\x18[\x0f-\x13]20\d\d/); // GeneralizedTime producedAt, inside tbsResponseData
    expect(producedAt).to.be.greaterThan(0);
    der[producedAt + 15] = (der[producedAt + 15] ?? 0x30) === 0x30 ? 0x31 : 0x30; // change the last digit of the seconds
    const forged = [{ ...first.revocation[0]!, der: der.toString('base64') }, first.revocation[1]!];
    const offline = harness();
    offline.transport.reachable = false;
    const result = await offline.validator.validate({ signer: cert('org:000.00.00.G22'), candidates: [], at: new Date(), purpose: 'organisation-signing', storedRevocation: forged });
    expect([result.indication, result.subIndication]).to.deep.equal(['INDETERMINATE', 'TRY_LATER']);
    expect(result.warnings.join(' ')).to.contain('signature does not verify');
  });

  it('a CRL given by the caller is used first: revoked before the time → REVOKED with CRL evidence', async () => {
    const h = harness();
    h.transport.reachable = false;
    const crl = await h.services.authority.crl('issuing-ca', new Date(at.getTime() + 60_000));
    const rootCrl = await h.services.authority.crl('root', new Date(at.getTime() + 60_000));
    const result = await h.validator.validate({ signer: cert('bad:revoked'), candidates: [], at, purpose: 'personal-signing', extraCrls: [crl, rootCrl] });
    expect([result.indication, result.subIndication]).to.deep.equal(['TOTAL_FAILED', 'REVOKED']);
    expect(result.revocation.map((r) => [r.kind, r.status])).to.deep.equal([['CRL', 'revoked']]);
    const good = await h.validator.validate({ signer: cert('org:000.00.00.H53'), candidates: [], at, purpose: 'organisation-signing', extraCrls: [crl, rootCrl] });
    expect(good.indication).to.equal('TOTAL_PASSED');
    expect(good.revocation.map((r) => r.kind)).to.deep.equal(['CRL', 'CRL']);
  });

  it('a CRL signed by another CA is not accepted', async () => {
    const h = harness();
    h.transport.reachable = false;
    const rootCrl = await h.services.authority.crl('root', new Date(at.getTime() + 60_000)); // names the root as issuer: not about the leaf
    const result = await h.validator.validate({ signer: cert('org:000.00.00.H53'), candidates: [], at, purpose: 'organisation-signing', extraCrls: [rootCrl] });
    expect(result.subIndication).to.equal('TRY_LATER');
  });

  it('caches parsed chains and revocation answers: a second validation makes no request', async () => {
    const h = harness();
    const now = new Date();
    await h.validator.validate({ signer: cert('org:000.00.32.H53'), candidates: [], at: now, purpose: 'organisation-signing' });
    const requests = h.transport.requests.length;
    expect(requests).to.equal(2); // leaf + issuing CA
    const second = await h.validator.validate({ signer: cert('org:000.00.32.H53'), candidates: [], at: now, purpose: 'organisation-signing' });
    expect(second.indication).to.equal('TOTAL_PASSED');
    expect(h.transport.requests.length).to.equal(requests);
  });

  it('a certificate revoked in the CA after a cached good answer is caught once the answer is stale', async () => {
    const h = harness();
    const first = new Date(Date.now() - 3 * 3_600_000);
    h.clock = first;
    expect((await h.validator.validate({ signer: cert('org:000.21.32.H53'), candidates: [], at: first, purpose: 'organisation-signing' })).indication).to.equal('TOTAL_PASSED');
    h.clock = undefined; // the CA now answers with the real time
    const later = new Date();
    const result = await h.validator.validate({ signer: cert('org:000.21.32.H53'), candidates: [], at: later, purpose: 'organisation-signing' });
    expect(result.indication).to.equal('TOTAL_PASSED');
    expect(h.transport.requests.length).to.equal(4); // the 3-hour-old answers were not reused for `later`
  });

  it('CRL distribution points: fetched once per CA, verified, then served from the cache for sibling certificates', async () => {
    const h = harness({ settings: { crl: { fetchDistributionPoints: true, timeoutMs: 2_000, retries: 0, retryDelayMs: 0 } } });
    const now = new Date();
    const first = await h.validator.validate({ signer: cert('org:000.00.00.G10'), candidates: [], at: now, purpose: 'organisation-signing' });
    expect(first.indication).to.equal('TOTAL_PASSED');
    expect(first.revocation.map((r) => r.kind)).to.deep.equal(['CRL', 'CRL']);
    expect(h.transport.requests.map((r) => `${r.method} ${r.url.replace(/^http:\/\/[^/]+/, '')}`)).to.deep.equal(['GET /crl/issuing-ca.crl', 'GET /crl/root.crl']);
    const sibling = await h.validator.validate({ signer: cert('bad:revoked'), candidates: [], at: now, purpose: 'personal-signing' });
    expect([sibling.indication, sibling.subIndication]).to.deep.equal(['TOTAL_FAILED', 'REVOKED']);
    expect(h.transport.requests).to.have.length(2);
  });

  it('revoked, no proof of existence: claimed signing time before the revocation → INDETERMINATE/REVOKED_NO_POE, after it → REVOKED', async () => {
    const h = harness();
    const base = { signer: cert('bad:revoked'), candidates: [], at, purpose: 'personal-signing' as const, atIsProofOfExistence: false };
    const before = await h.validator.validate({ ...base, claimedSigningTime: t('2026-02-01T00:00:00Z') });
    expect([before.indication, before.subIndication]).to.deep.equal(['INDETERMINATE', 'REVOKED_NO_POE']);
    const after = await h.validator.validate({ ...base, claimedSigningTime: t('2026-04-01T00:00:00Z') });
    expect([after.indication, after.subIndication]).to.deep.equal(['TOTAL_FAILED', 'REVOKED']);
  });

  it('an answer issued after the certificate expired proves nothing: expired certificate at a time inside its validity → TRY_LATER', async () => {
    const h = harness();
    const result = await h.validator.validate({ signer: cert('bad:expired'), candidates: [], at: t('2024-06-01T00:00:00Z'), purpose: 'personal-signing' });
    expect([result.indication, result.subIndication]).to.deep.equal(['INDETERMINATE', 'TRY_LATER']);
    expect(result.warnings.join(' ')).to.contain('issued after the certificate expired');
  });

  it('concurrent validations of one certificate share one OCSP request per certificate', async () => {
    const h = harness();
    const now = new Date();
    const results = await Promise.all(Array.from({ length: 8 }, () => h.validator.validate({ signer: cert('org:000.00.00.H53'), candidates: [], at: now, purpose: 'organisation-signing' })));
    expect(results.map((r) => r.indication)).to.deep.equal(Array(8).fill('TOTAL_PASSED'));
    expect(h.transport.requests).to.have.length(2);
  });

  it('long-term: a certificate checked while valid (CRL evidence kept) still validates at that time after it expired, offline', async () => {
    const signedAt = t('2024-06-01T00:00:00Z'); // bad:expired was valid through 2024
    const online = harness();
    online.transport.reachable = false;
    const crls = [online.services.authority.crl('issuing-ca', new Date(signedAt.getTime() + 60_000)), online.services.authority.crl('root', new Date(signedAt.getTime() + 60_000))];
    const first = await online.validator.validate({ signer: cert('bad:expired'), candidates: [], at: signedAt, purpose: 'personal-signing', extraCrls: await Promise.all(crls) });
    expect(first.indication, first.message).to.equal('TOTAL_PASSED');
    expect(first.revocation.map((r) => r.kind)).to.deep.equal(['CRL', 'CRL']);

    const later = harness();
    later.transport.reachable = false;
    const again = await later.validator.validate({ signer: cert('bad:expired'), candidates: [], at: signedAt, purpose: 'personal-signing', storedRevocation: first.revocation });
    expect(again.indication, again.message).to.equal('TOTAL_PASSED');
    expect(later.transport.requests).to.have.length(0);
    const now = await later.validator.validate({ signer: cert('bad:expired'), candidates: [], at: new Date(), purpose: 'personal-signing', storedRevocation: first.revocation });
    expect(now.subIndication).to.equal('EXPIRED'); // at the validation time it is expired: the caller uses the time-stamp time
  });

  it('an invalid validation time is an input error, never a pass', async () => {
    const error = await harness().validator.validate({ signer: cert('org:000.00.00.G22'), candidates: [], at: new Date('not a date'), purpose: 'organisation-signing' }).then(() => undefined, (e: unknown) => e);
    expect((error as { code?: string }).code).to.equal('request.invalid');
  });
});
