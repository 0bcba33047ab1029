// pdfsig (poppler, NSS) with the dev root trusted and the dev OCSP/CRL services served where the dev
// certificates' AIA/CDP point (127.0.0.1:8790), so that pdfsig checks certificates as well as signatures.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { devPassphrase } from '../../src/pki/dev/dev-manifest.ts';
import { startDevTrustServer } from '../../src/pki/dev/dev-trust-server.ts';

const devDir = resolve(import.meta.dirname, '../../certs-dev');

export async function pdfsigWithDevTrust(pdfPath: string): Promise<{ ok: boolean; out: string }> {
  const nss = mkdtempSync(join(tmpdir(), 'edoc-nss-'));
  spawnSync('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
  spawnSync('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'dev-root', '-t', 'CT,C,C', '-i', join(devDir, 'ca/root.crt.pem')]);
  const server = await startDevTrustServer({ dir: devDir, passphrase: devPassphrase(), port: 8790 });
  try {
    // Asynchronous: the trust server answers NSS's OCSP requests from this very process.
    return await new Promise((done, fail) => {
      const child = spawn('pdfsig', ['-nssdir', `sql:${nss}`, pdfPath]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('error', fail);
      child.on('close', (code) => done({ ok: code === 0, out }));
    });
  } finally {
    await server.close();
  }
}
