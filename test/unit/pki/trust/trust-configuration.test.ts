import { join } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../../../src/config/load.ts';
import { isDomainError } from '../../../../src/domain/errors.ts';
import { CertificateCache } from '../../../../src/pki/certificates/certificate-cache.ts';
import { createTrustLayer, revocationSettings } from '../../../../src/pki/trust/trust-layer.ts';
import { loadTrustList } from '../../../../src/pki/trust/trust-list.ts';
import { entry } from './dev-pki-fixture.ts';

// Trust configuration: production trusts the government root (config/trust/rootcag2.crt), dev the dev root.

const repo = join(import.meta.dirname, '../../../..');
const config = loadConfig({ configDir: join(repo, 'config'), env: {} });

describe('pki trust: trust configuration (config pki section)', () => {
  it('defaults: 1 hour freshness, INDETERMINATE when revocation is unavailable, the government URLs', () => {
    expect(config.pki.revocation).to.deep.include({ freshnessSeconds: 3600, whenUnavailable: 'indeterminate' });
    expect(config.pki.tsa.url).to.equal('http://tsa.ca.gov.vn');
    expect(config.pki.ocsp.url).to.equal('http://ocsp.ca.gov.vn');
    expect(revocationSettings(config.pki).freshnessMs).to.equal(3_600_000);
  });

  it('production trust list: the government root RootCA chuyên dùng Chính phủ G2', () => {
    const list = loadTrustList(new CertificateCache(), config.pki.trust, repo);
    expect(list.anchors.map((a) => a.subject)).to.deep.equal(['CN=RootCA chuyên dùng Chính phủ G2, O=Ban Cơ yếu Chính phủ, C=VN']);
    const root = list.anchors[0]!;
    expect([root.notBefore.toISOString(), root.notAfter.toISOString()]).to.deep.equal(['2018-08-22T07:36:39.000Z', '2048-08-14T07:36:39.000Z']);
    expect(root.basicConstraints?.ca).to.equal(true);
    expect(root.keyUsage?.has('keyCertSign')).to.equal(true);
    expect(root.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(4096);
    expect(root.isSelfIssued).to.equal(true);
    expect(root.unknownCriticalExtensions).to.deep.equal([]);
    expect(root.x509.verify(root.publicKey)).to.equal(true);
    const layer = createTrustLayer({ ...config.pki, devMode: false }, { baseDir: repo });
    expect(layer.trustList.anchors[0]?.subject).to.contain('RootCA chuyên dùng Chính phủ G2');
    expect(revocationSettings({ ...config.pki, devMode: false }).ocsp.url).to.equal('http://ocsp.ca.gov.vn');
  });

  it('dev trust list: the dev root as anchor, the dev issuing CA as allowed intermediate', () => {
    const layer = createTrustLayer({ ...config.pki, devMode: true }, { baseDir: repo });
    expect(layer.trustList.anchors.map((a) => a.sha256)).to.deep.equal([entry('root').sha256]);
    expect(layer.trustList.intermediates.map((a) => a.sha256)).to.deep.equal([entry('issuing-ca').sha256]);
    expect(revocationSettings({ ...config.pki, devMode: true }).ocsp.url).to.equal(null); // the AIA of the dev certificates
  });

  it('a missing or empty trust file is a configuration error naming the file', () => {
    let error: unknown;
    try { loadTrustList(new CertificateCache(), { anchors: ['config/trust/nope.crt'], intermediates: [] }, repo); } catch (e) { error = e; }
    expect(isDomainError(error, 'config.invalid')).to.equal(true);
    expect((error as { details: { message: string }[] }).details[0]?.message).to.contain('nope.crt');
  });

  it('the schema refuses an unknown revocation behaviour', () => {
    let error: unknown;
    try { loadConfig({ configDir: join(repo, 'config'), env: { EDOC_CONFIG: join(import.meta.dirname, 'bad-pki-config.json') } }); } catch (e) { error = e; }
    expect(isDomainError(error, 'config.invalid')).to.equal(true);
    expect((error as { details: { field?: string }[] }).details.map((d) => d.field)).to.include('pki.revocation.whenUnavailable');
  });
});
