import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parseCrl } from '../../../../src/pki/revocation/crl.ts';
import { generateDevPki } from '../../../../src/pki/dev/generate-dev-pki.ts';
import { readDevManifest } from '../../../../src/pki/dev/dev-manifest.ts';
import { loadSigningKey } from '../../../../src/pki/keys/signing-key.ts';
import { devDir } from '../../../unit/pki/trust/dev-pki-fixture.ts';

// `npm run certs:dev` regenerates a PKI of the same shape as the committed certs-dev/ (new keys and
// serials, same names, roles, files and dates), which openssl accepts.

const run = promisify(execFile);

describe('pki trust: dev PKI generator (pki generate-dev)', function () {
  this.timeout(60_000);
  let out: string;
  before(() => { out = mkdtempSync(join(tmpdir(), 'edoc-certs-dev-')); });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('writes the same shape as the committed set, with keys under the given passphrase', async () => {
    const now = new Date('2026-11-01T00:00:00Z');
    const manifest = await generateDevPki({ outDir: join(out, 'certs-dev'), passphrase: 'mật-khẩu-thử', now });
    const committed = readDevManifest(devDir);
    const shape = (m: typeof manifest): unknown[] => m.entries.map((e) => [e.id, e.role, e.subject, e.issuer, e.notBefore, e.notAfter, e.files, e.organId, e.username, e.revokedAt]);
    expect(shape(manifest)).to.deep.equal(shape(committed));
    expect(manifest.files.map((f) => [f.path, f.role])).to.deep.equal(committed.files.map((f) => [f.path, f.role]));
    expect(readDevManifest(join(out, 'certs-dev')).generatedAt).to.equal(now.toISOString());
    for (const f of manifest.files) expect(existsSync(join(out, 'certs-dev', f.path)), f.path).to.equal(true);
    expect(manifest.entries.map((e) => e.serialNumber)).to.not.include.members(committed.entries.map((e) => e.serialNumber));

    const dir = join(out, 'certs-dev');
    const leader = manifest.entries.find((e) => e.id === 'person:lanhdao@000.00.00.H53');
    const material = loadSigningKey({ key: readFileSync(join(dir, leader!.files.pkcs12!)), passphrase: 'mật-khẩu-thử' });
    expect(material.chain).to.have.length(2);

    const { stdout } = await run('openssl', ['verify', '-CAfile', join(dir, 'ca/root.crt.pem'), '-untrusted', join(dir, 'ca/issuing-ca.crt.pem'), join(dir, leader!.files.certificate), join(dir, 'services/tsa.crt.pem')]);
    expect(stdout.match(/: OK/g)).to.have.length(2);
    const crl = parseCrl(readFileSync(join(dir, 'crl/issuing-ca.crl')));
    expect(crl.thisUpdate.toISOString()).to.equal(now.toISOString());
    expect([...crl.revoked.keys()]).to.deep.equal([manifest.entries.find((e) => e.id === 'bad:revoked')!.serialNumber]);
  });

  it('refuses to replace a non-empty directory that is not a dev PKI', async () => {
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const dir = join(out, 'precious');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    const error = await generateDevPki({ outDir: dir, passphrase: 'x' }).then(() => undefined, (e: unknown) => e);
    expect((error as { code?: string }).code).to.equal('request.invalid');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).to.equal('keep me');
  });
});
