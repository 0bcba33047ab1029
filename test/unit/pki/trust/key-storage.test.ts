import { generateKeyPairSync, sign, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { isDomainError } from '../../../../src/domain/errors.ts';
import { devPassphrase } from '../../../../src/pki/dev/dev-manifest.ts';
import { exportForCustody, importPkcs12, loadSigningKey } from '../../../../src/pki/keys/signing-key.ts';
import { cert, devDir, entry } from './dev-pki-fixture.ts';

// Key storage: encrypted PKCS#8 PEM and PKCS#12 → KeyObject + certificate + chain.

const file = (path: string): Uint8Array => new Uint8Array(readFileSync(join(devDir, path)));
const pass = devPassphrase();

describe('pki trust: key storage (encrypted PKCS#8, PKCS#12)', () => {
  it('opens a leader PKCS#12: key, own certificate, chain issuing CA → root; the key signs for the certificate', () => {
    const leader = entry('person:lanhdao@000.00.00.G22');
    const material = loadSigningKey({ key: file(leader.files.pkcs12!), passphrase: pass });
    expect(new X509Certificate(material.certificate).fingerprint256.replace(/:/g, '').toLowerCase()).to.equal(leader.sha256);
    expect(material.chain.map((c) => Buffer.from(c).toString('base64'))).to.deep.equal([cert('issuing-ca'), cert('root')].map((c) => Buffer.from(c).toString('base64')));
    const signature = sign('sha256', Buffer.from('dữ liệu'), material.privateKey);
    expect(verify('sha256', Buffer.from('dữ liệu'), new X509Certificate(material.certificate).publicKey, signature)).to.equal(true);
  });

  it('opens an encrypted PKCS#8 PEM with its certificate and chain', () => {
    const org = entry('org:000.00.13.H53');
    const material = loadSigningKey({ key: file(org.files.key), passphrase: pass, certificate: file(org.files.certificate), chain: [file('ca/chain.pem')] });
    expect(material.chain).to.have.length(2);
    expect(material.privateKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);
  });

  it('refuses a wrong passphrase (PKCS#12 and PKCS#8) with pki.invalid_key', () => {
    const leader = entry('person:lanhdao@000.00.00.G10');
    for (const key of [file(leader.files.pkcs12!), file(leader.files.key)]) {
      let error: unknown;
      try { loadSigningKey({ key, passphrase: 'sai-mat-khau', certificate: file(leader.files.certificate) }); } catch (e) { error = e; }
      expect(isDomainError(error, 'pki.invalid_key')).to.equal(true);
    }
  });

  it('refuses a key that does not match the certificate', () => {
    let error: unknown;
    try { loadSigningKey({ key: file(entry('org:000.00.00.G22').files.key), passphrase: pass, certificate: file(entry('org:000.00.00.G10').files.certificate) }); } catch (e) { error = e; }
    expect(isDomainError(error, 'pki.invalid_key')).to.equal(true);
  });

  it('refuses a plain PEM key unless explicitly allowed (tests only)', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const plain = new TextEncoder().encode(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    let error: unknown;
    try { loadSigningKey({ key: plain, passphrase: '' , certificate: file(entry('tsa').files.certificate) }); } catch (e) { error = e; }
    expect(isDomainError(error, 'pki.invalid_key')).to.equal(true);
    expect((error as { details: { message: string }[] }).details[0]?.message).to.contain('encrypted');
  });

  it('exports for custody under a PIN and re-imports the PKCS#12 (rotation keeps the same certificate)', () => {
    const leader = entry('person:lanhdao@000.00.32.H53');
    const material = importPkcs12(file(leader.files.pkcs12!), pass);
    const custody = exportForCustody(material, '135790');
    expect(custody.encryptedPrivateKeyPem).to.match(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const again = importPkcs12(custody.pkcs12, '135790');
    expect(Buffer.from(again.certificate).equals(material.certificate)).to.equal(true);
    expect(again.chain).to.have.length(2);
    const fromPem = loadSigningKey({ key: new TextEncoder().encode(custody.encryptedPrivateKeyPem), passphrase: '135790', certificate: new TextEncoder().encode(custody.certificatePem) });
    expect(fromPem.privateKey.equals(material.privateKey)).to.equal(true);
  });
});
