import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { demoNetwork, demoUsername } from '../../../../src/domain/demo-network.ts';
import { oid } from '../../../../src/pki/certificates/oids.ts';
import { parseCertificate } from '../../../../src/pki/certificates/parsed-certificate.ts';
import { pemBlocks } from '../../../../src/pki/certificates/pem.ts';
import { readDevManifest } from '../../../../src/pki/dev/dev-manifest.ts';
import { devDir } from './dev-pki-fixture.ts';

// The committed certs-dev/ has the shape tests and the demo seeding rely on (docs/pki-trust.md).

const manifest = readDevManifest(devDir);
const parsed = (id: string): ReturnType<typeof parseCertificate> => {
  const e = manifest.entries.find((x) => x.id === id);
  if (!e) throw new Error(`no ${id}`);
  return parseCertificate(pemBlocks(readFileSync(join(devDir, e.files.certificate), 'utf8'), 'CERTIFICATE')[0] as Uint8Array);
};

describe('pki trust: dev PKI shape (certs-dev/manifest.json)', () => {
  it('lists every file it holds, each existing, with its role', () => {
    expect(manifest.files.length).to.equal(70);
    for (const f of manifest.files) expect(existsSync(join(devDir, f.path)), f.path).to.equal(true);
    expect(new Set(manifest.files.map((f) => f.role))).to.deep.equal(new Set(['certificate', 'encrypted-private-key', 'pkcs12', 'ca-chain', 'crl', 'manifest']));
  });

  it('root and issuing CA in the image of the government hierarchy, marked DEV', () => {
    const root = parsed('root');
    expect(root.subject).to.equal('CN=DEV RootCA chuyên dùng Chính phủ G2, O=Ban Cơ yếu Chính phủ, C=VN');
    expect(root.isSelfIssued).to.equal(true);
    expect(root.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(4096);
    const ca = parsed('issuing-ca');
    expect(ca.basicConstraints).to.deep.equal({ ca: true, pathLength: 0 });
    expect([...(ca.keyUsage ?? [])].sort()).to.deep.equal(['cRLSign', 'keyCertSign']);
  });

  it('an organisational certificate per demo agency: CN=name, O=parent body, L=province, C=VN, organ id in UID', () => {
    for (const agency of demoNetwork) {
      const c = parsed(`org:${agency.organId}`);
      expect(c.subject).to.equal(`CN=${agency.name}, UID=${agency.organId}, O=${agency.parentBody}, L=${agency.province}, C=VN`);
      expect(c.organId).to.equal(agency.organId);
      expect([...(c.keyUsage ?? [])].sort()).to.deep.equal(['digitalSignature', 'nonRepudiation']);
      expect(c.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);
      expect(c.ocspUrls).to.deep.equal([manifest.services.ocsp]);
      expect(manifest.entries.find((e) => e.id === `org:${agency.organId}`)?.username).to.equal(demoUsername('van_thu', agency.organId));
    }
  });

  it('a personal certificate per demo leader: CN=full name, OU=unit, O=agency, C=VN, digitalSignature + nonRepudiation', () => {
    for (const agency of demoNetwork) {
      for (const leader of agency.people.filter((p) => p.role === 'lanh_dao')) {
        const username = demoUsername('lanh_dao', agency.organId);
        const c = parsed(`person:${username}`);
        const unit = agency.units.find((u) => u.code === leader.unitCode);
        expect(c.subject).to.equal(`CN=${leader.fullName}, OU=${unit?.name}, O=${agency.name}, C=VN`);
        expect([...(c.keyUsage ?? [])].sort()).to.deep.equal(['digitalSignature', 'nonRepudiation']);
        const e = manifest.entries.find((x) => x.id === `person:${username}`);
        expect(e?.organId).to.equal(agency.organId);
        expect(e?.files.pkcs12).to.equal(`agencies/${agency.organId}/lanhdao.p12`);
      }
    }
  });

  it('TSA with a critical EKU timeStamping only; OCSP responder with the right OCSPSigning OID and ocsp-nocheck', () => {
    const tsa = parsed('tsa');
    expect(tsa.extendedKeyUsage).to.deep.equal([oid.kpTimeStamping]);
    expect(tsa.extendedKeyUsageCritical).to.equal(true);
    const ocsp = parsed('ocsp');
    expect(ocsp.extendedKeyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.9']);
    expect(ocsp.ocspNoCheck).to.equal(true);
  });

  it('the deliberately bad certificates', () => {
    expect(parsed('bad:expired').notAfter.toISOString()).to.equal('2024-12-31T23:59:59.000Z');
    expect(parsed('bad:not-yet-valid').notBefore.toISOString()).to.equal('2045-01-01T00:00:00.000Z');
    expect([...(parsed('bad:wrong-key-usage').keyUsage ?? [])]).to.deep.equal(['keyEncipherment']);
    expect(parsed('bad:untrusted').issuer).to.equal(parsed('bad:untrusted-root').subject);
    const revoked = manifest.entries.find((e) => e.id === 'bad:revoked');
    expect([revoked?.revokedAt, revoked?.revocationReason]).to.deep.equal(['2026-03-01T00:00:00.000Z', 'keyCompromise']);
  });

  it('long-lived: every good certificate stays valid until at least 2045', () => {
    for (const e of manifest.entries.filter((x) => ['root-ca', 'issuing-ca', 'tsa', 'ocsp-responder', 'directory-signer', 'organisation', 'personal'].includes(x.role))) {
      expect(new Date(e.notAfter).getUTCFullYear(), e.id).to.be.greaterThanOrEqual(2045);
    }
  });

  it('private keys only encrypted: every key file is an EncryptedPrivateKeyInfo PEM', () => {
    for (const f of manifest.files.filter((x) => x.role === 'encrypted-private-key')) {
      const text = readFileSync(join(devDir, f.path), 'utf8');
      expect(text.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----'), f.path).to.equal(true);
    }
  });
});
