// The signed directory of agencies (issue 5 item 2): only the pinned directory key's signature over the
// exact body is accepted; a newer version replaces an older one; the node fails closed once it expires.
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { DirectoryBody, SignedDirectory } from '../../../src/domain/directory.ts';
import { DomainError } from '../../../src/domain/errors.ts';
import { DirectoryHolder, signDirectory, verifyDirectory } from '../../../src/services/directory-service.ts';
import { derOf, devDirectory, organisationCert, organisationKey } from '../../integration/exchange/support/exchange-network.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const trust = () => ({ signerCertificate: derOf(`${ROOT}certs-dev/directory/directory.crt.pem`), issuers: [derOf(`${ROOT}certs-dev/ca/issuing-ca.crt.pem`)] });
const NOW = new Date('2026-11-23T03:00:00Z');
const DAY = 24 * 3600_000;
const directory = (version: number, days = 30): SignedDirectory => devDirectory({ version, validFrom: new Date(NOW.getTime() - DAY), validUntil: new Date(NOW.getTime() + days * DAY) });

const codeOf = (fn: () => unknown): string | undefined => {
  try { fn(); } catch (error) { return error instanceof DomainError ? `${error.code}: ${error.details[0]?.message}` : String(error); }
  return undefined;
};

describe('directory of agencies', () => {
  it('verifies a directory signed with the dev directory key and maps certificates to organ ids', () => {
    const installed = verifyDirectory(directory(1), trust(), NOW);
    expect(installed.body.version).to.equal(1);
    expect(installed.body.agencies.map((a) => a.organId)).to.include.members(['000.00.00.G22', '000.00.00.H53', '000.21.32.H53']);
    const g22 = installed.body.agencies.find((a) => a.organId === '000.00.00.G22');
    expect(g22?.level).to.equal('central');
    const sha = (der: Buffer) => createHash('sha256').update(der).digest('hex');
    expect(installed.organIdByCertificate.get(sha(organisationCert('000.00.32.H53')))).to.equal('000.00.32.H53');
  });

  it('refuses a changed body, another signer and a malformed document', () => {
    const signed = directory(2);
    const changed = { ...signed, body: signed.body.replace('Văn phòng Chính phủ', 'Văn phòng Chính phủ giả') };
    expect(codeOf(() => verifyDirectory(changed, trust(), NOW))).to.match(/^axis\.directory_invalid: .*body was changed/);
    // Signed by an agency key (trusted CA, but not the pinned directory certificate).
    const body = JSON.parse(signed.body) as DirectoryBody;
    const byAgency = signDirectory(body, organisationKey('000.00.00.G22'), organisationCert('000.00.00.G22'));
    expect(codeOf(() => verifyDirectory(byAgency, trust(), NOW))).to.match(/other than the trusted directory certificate/);
    // Right certificate, wrong key.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wrongKey = signDirectory(body, privateKey, derOf(`${ROOT}certs-dev/directory/directory.crt.pem`));
    expect(codeOf(() => verifyDirectory(wrongKey, trust(), NOW))).to.match(/signature does not verify/);
    expect(codeOf(() => verifyDirectory({ body: '{}' }, trust(), NOW))).to.match(/^axis\.directory_invalid: not a signed directory/);
  });

  it('refuses a body that is not a directory even when properly signed', () => {
    const key = createPrivateKey({ key: readFileSync(`${ROOT}certs-dev/directory/directory.key.pem`), format: 'pem', passphrase: 'edoc-dev-1234' });
    expect(() => signDirectory({ version: 0 } as unknown as DirectoryBody, key, trust().signerCertificate)).to.throw();
  });

  it('installs only newer versions and fails closed after validUntil, warning before', () => {
    const holder = new DirectoryHolder(trust(), 3 * DAY);
    expect(codeOf(() => holder.requireValid(NOW))).to.equal('axis.directory_expired: no directory installed');
    expect(holder.install(directory(3, 2), NOW).installed).to.equal(true);
    expect(holder.install(directory(2), NOW).installed).to.equal(false);
    expect(holder.directory?.body.version).to.equal(3);
    expect(holder.health(NOW).status).to.equal('expiring');
    expect(holder.requireValid(NOW).body.version).to.equal(3);
    const later = new Date(NOW.getTime() + 2 * DAY + 1000);
    expect(holder.health(later).status).to.equal('expired');
    expect(codeOf(() => holder.requireValid(later))).to.equal('axis.directory_expired: directory expired');
    expect(holder.install(directory(4, 30), NOW).installed).to.equal(true);
    expect(holder.health(NOW).status).to.equal('ok');
  });
});
