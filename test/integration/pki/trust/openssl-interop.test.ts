import { execFile } from 'node:child_process';
import { createHash, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import * as pkijs from 'pkijs';
import { CertificateCache } from '../../../../src/pki/certificates/certificate-cache.ts';
import { derObjects } from '../../../../src/pki/certificates/pem.ts';
import { devPassphrase } from '../../../../src/pki/dev/dev-manifest.ts';
import { startDevTrustServer, type DevTrustServer } from '../../../../src/pki/dev/dev-trust-server.ts';
import { X509PathValidator } from '../../../../src/pki/path/path-validator.ts';
import { verifyOcspResponse } from '../../../../src/pki/revocation/ocsp.ts';
import { RevocationChecker } from '../../../../src/pki/revocation/revocation-checker.ts';
import { CmsTimeStampTokenVerifier } from '../../../../src/pki/timestamp/timestamp-token-verifier.ts';
import { HttpTimeStampAuthorityClient } from '../../../../src/pki/timestamp/tsa-client.ts';
import { FetchHttpTransport } from '../../../../src/pki/trust/http-transport.ts';
import { trustListFromDer } from '../../../../src/pki/trust/trust-list.ts';
import { cert, devAuthority, devDir, entry, testRevocationSettings } from '../../../unit/pki/trust/dev-pki-fixture.ts';

// Interoperability with OpenSSL (issue 3 "Tests that must exist"): `openssl ocsp` against our OCSP
// responder, `openssl ts -verify` on our tokens, tokens from `openssl ts -reply` accepted by our verifier,
// `openssl crl` on our CRLs; and our HTTP clients against the dev server over real sockets.

const dev = (path: string): string => join(devDir, path);
// Asynchronous: the responder runs in this process, so a blocking exec would deadlock it.
function run(args: readonly string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => resolve({ ok: !error, out: `${stdout}\n${stderr}` }));
  });
}
const openssl = async (args: readonly string[]): Promise<string> => {
  const { ok, out } = await run(args);
  if (!ok) throw new Error(`openssl ${args.join(' ')} failed:\n${out}`);
  return out;
};
const opensslAll = async (args: readonly string[]): Promise<string> => {
  const { ok, out } = await run(args);
  return ok ? out : `${out}\nFAILED`;
};

describe('pki trust: interoperability with openssl (OCSP, RFC 3161, CRL) over HTTP on 127.0.0.1', function () {
  let server: DevTrustServer;
  let work: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'edoc-pki-interop-'));
    server = await startDevTrustServer({ dir: devDir, passphrase: devPassphrase(), port: 0, services: undefined });
  });
  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  const ocsp = (certPath: string, issuerPath: string): Promise<string> => opensslAll([
    'ocsp', '-issuer', dev(issuerPath), '-cert', dev(certPath), '-url', `${server.url}/ocsp`, '-CAfile', dev('ca/chain.pem'), '-timeout', '10',
  ]);

  it('openssl ocsp: a good agency certificate, verified response', async () => {
    const out = await ocsp(entry('org:000.00.00.G22').files.certificate, 'ca/issuing-ca.crt.pem');
    expect(out).to.contain('Response verify OK');
    expect(out).to.match(/organisation\.crt\.pem: good/);
  });

  it('openssl ocsp: the revoked certificate, with its revocation time and reason', async () => {
    const out = await ocsp('bad/revoked.crt.pem', 'ca/issuing-ca.crt.pem');
    expect(out).to.contain('Response verify OK');
    expect(out).to.match(/revoked\.crt\.pem: revoked/);
    expect(out).to.contain('Reason: keyCompromise');
    expect(out).to.contain('Revocation Time: Mar  1 00:00:00 2026 GMT');
  });

  it('openssl ocsp: the issuing CA, answered by the root itself', async () => {
    const out = await opensslAll(['ocsp', '-issuer', dev('ca/root.crt.pem'), '-cert', dev('ca/issuing-ca.crt.pem'), '-url', `${server.url}/ocsp`, '-CAfile', dev('ca/root.crt.pem')]);
    expect(out).to.contain('Response verify OK');
    expect(out).to.match(/issuing-ca\.crt\.pem: good/);
  });

  it('openssl ts -verify accepts our TSA tokens (request from openssl ts -query, reply from our responder)', async () => {
    const data = join(work, 'data.txt');
    writeFileSync(data, 'Quyết định số 05/QĐ-UBND\n');
    const query = join(work, 'req.tsq');
    await openssl(['ts', '-query', '-data', data, '-sha256', '-cert', '-out', query]);
    const response = await fetch(`${server.url}/tsa`, { method: 'POST', body: readFileSync(query), headers: { 'content-type': 'application/timestamp-query' } });
    expect(response.headers.get('content-type')).to.equal('application/timestamp-reply');
    const reply = join(work, 'resp.tsr');
    writeFileSync(reply, Buffer.from(await response.arrayBuffer()));
    const out = await opensslAll(['ts', '-verify', '-data', data, '-in', reply, '-CAfile', dev('ca/root.crt.pem'), '-untrusted', dev('ca/issuing-ca.crt.pem')]);
    expect(out).to.contain('Verification: OK');
    expect(await opensslAll(['ts', '-reply', '-in', reply, '-text'])).to.contain('Policy OID: 1.3.6.1.4.1.99999.1.3161');
  });

  it('openssl ts -verify accepts the token our client fetched (token form)', async () => {
    const transport = new FetchHttpTransport();
    const client = new HttpTimeStampAuthorityClient(`${server.url}/tsa`, { timeoutMs: 5000, retries: 1, retryDelayMs: 10 }, transport);
    const data = Buffer.from('tệp đính kèm');
    const token = await client.stamp(new Uint8Array(createHash('sha256').update(data).digest()));
    const tokenFile = join(work, 'token.der');
    const dataFile = join(work, 'attachment.bin');
    writeFileSync(tokenFile, token);
    writeFileSync(dataFile, data);
    const out = await opensslAll(['ts', '-verify', '-token_in', '-in', tokenFile, '-data', dataFile, '-CAfile', dev('ca/root.crt.pem'), '-untrusted', dev('ca/issuing-ca.crt.pem')]);
    expect(out).to.contain('Verification: OK');
  });

  it('tokens from openssl ts -reply (dev TSA key) are accepted by our verifier; over other data they fail', async () => {
    const conf = join(work, 'tsa.cnf');
    writeFileSync(join(work, 'serial'), '01\n');
    writeFileSync(conf, [
      '[ tsa ]', 'default_tsa = dev_tsa', '[ dev_tsa ]', `serial = ${join(work, 'serial')}`, 'crypto_device = builtin',
      `signer_cert = ${dev('services/tsa.crt.pem')}`, `certs = ${dev('ca/chain.pem')}`, `signer_key = ${dev('services/tsa.key.pem')}`,
      'signer_digest = sha256', 'default_policy = 1.3.6.1.4.1.99999.1.3161', 'digests = sha256, sha384, sha512',
      'accuracy = secs:1', 'ordering = no', 'tsa_name = yes', 'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', '',
    ].join('\n'));
    const data = join(work, 'openssl-data.txt');
    writeFileSync(data, 'Công văn 123/VPCP-KSTT');
    const query = join(work, 'openssl-req.tsq');
    await openssl(['ts', '-query', '-data', data, '-sha256', '-cert', '-out', query]);
    const reply = join(work, 'openssl-resp.tsr');
    await openssl(['ts', '-reply', '-config', conf, '-queryfile', query, '-passin', `pass:${devPassphrase()}`, '-out', reply]);
    const tokenFile = join(work, 'openssl-token.der');
    await openssl(['ts', '-reply', '-in', reply, '-token_out', '-out', tokenFile]);

    const cache = new CertificateCache();
    const checker = new RevocationChecker({ ...testRevocationSettings, ocsp: { ...testRevocationSettings.ocsp, url: `${server.url}/ocsp`, useAia: false } }, new FetchHttpTransport());
    const validator = new X509PathValidator(trustListFromDer(cache, [cert('root')], [cert('issuing-ca')]), cache, checker);
    const verifier = new CmsTimeStampTokenVerifier(validator, cache);
    const token = new Uint8Array(readFileSync(tokenFile));
    const imprint = new Uint8Array(createHash('sha256').update(readFileSync(data)).digest());
    const result = await verifier.verify(token, imprint);
    expect(result.indication, result.message).to.equal('TOTAL_PASSED');
    expect(result.evidence?.tsa.sha256).to.equal(entry('tsa').sha256);
    const other = await verifier.verify(token, new Uint8Array(createHash('sha256').update('khác').digest()));
    expect(other.subIndication).to.equal('HASH_FAILURE');
  });

  it('OCSP responses made by openssl (delegated responder, good and revoked) are accepted by our verifier', async () => {
    const key = join(work, 'ocsp-responder.key.pem'); // decrypted for openssl, in a temporary directory only (test)
    writeFileSync(key, createPrivateKey({ key: readFileSync(dev('services/ocsp.key.pem'), 'utf8'), passphrase: devPassphrase() }).export({ type: 'pkcs8', format: 'pem' }));
    const good = entry('org:000.00.00.G22');
    const revoked = entry('bad:revoked');
    const expiry = (iso: string): string => iso.replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6Z');
    const index = join(work, 'index.txt');
    writeFileSync(index, [
      ['V', expiry(good.notAfter), '', good.serialNumber.toUpperCase(), 'unknown', '/CN=x'].join('\t'),
      ['R', expiry(revoked.notAfter), `${expiry(revoked.revokedAt!)},keyCompromise`, revoked.serialNumber.toUpperCase(), 'unknown', '/CN=y'].join('\t'),
      '',
    ].join('\n'));
    const cache = new CertificateCache();
    const issuer = cache.get(cert('issuing-ca'));
    for (const [id, expected] of [['org:000.00.00.G22', 'good'], ['bad:revoked', 'revoked']] as const) {
      const request = join(work, `${id.replace(/\W/g, '_')}.req`);
      const response = join(work, `${id.replace(/\W/g, '_')}.resp`);
      await openssl(['ocsp', '-issuer', dev('ca/issuing-ca.crt.pem'), '-cert', dev(entry(id).files.certificate), '-reqout', request]);
      await openssl(['ocsp', '-index', index, '-CA', dev('ca/issuing-ca.crt.pem'), '-rsigner', dev('services/ocsp.crt.pem'), '-rkey', key, '-reqin', request, '-respout', response, '-ndays', '1']);
      const answer = verifyOcspResponse(new Uint8Array(readFileSync(response)), cache.get(cert(id)), issuer, { source: 'openssl', parse: (d) => cache.get(d) });
      expect(answer.status).to.equal(expected);
      if (expected === 'revoked') expect(answer.revokedAt?.toISOString()).to.equal('2026-03-01T00:00:00.000Z');
    }
  });

  it('a CRL made by openssl ca -gencrl is used by our validator (revoked → REVOKED, others pass)', async () => {
    const dir = join(work, 'openssl-ca');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const revoked = entry('bad:revoked');
    const utc = (iso: string): string => iso.replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6Z');
    writeFileSync(join(dir, 'index.txt'), `${['R', utc(revoked.notAfter), `${utc(revoked.revokedAt!)},keyCompromise`, revoked.serialNumber.toUpperCase(), 'unknown', '/CN=y'].join('\t')}\n`);
    writeFileSync(join(dir, 'crlnumber'), '1000\n');
    writeFileSync(join(dir, 'ca.cnf'), ['[ ca ]', 'default_ca = dev', '[ dev ]', `database = ${join(dir, 'index.txt')}`, `crlnumber = ${join(dir, 'crlnumber')}`, 'default_md = sha256', 'default_crl_hours = 2', ''].join('\n'));
    const crlPem = join(dir, 'crl.pem');
    await openssl(['ca', '-gencrl', '-config', join(dir, 'ca.cnf'), '-keyfile', dev('ca/issuing-ca.key.pem'), '-passin', `pass:${devPassphrase()}`, '-cert', dev('ca/issuing-ca.crt.pem'), '-out', crlPem]);
    const rootCrl = await (await fetch(`${server.url}/crl/root.crl`)).arrayBuffer();
    const cache = new CertificateCache();
    const offline = new RevocationChecker(testRevocationSettings, { send: async () => { throw new Error('offline (test)'); } });
    const validator = new X509PathValidator(trustListFromDer(cache, [cert('root')], [cert('issuing-ca')]), cache, offline);
    const crls = [new Uint8Array(readFileSync(crlPem)), new Uint8Array(rootCrl)].flatMap((b) => derObjects(b, 'X509 CRL'));
    const now = new Date();
    const bad = await validator.validate({ signer: cert('bad:revoked'), candidates: [], at: now, purpose: 'personal-signing', extraCrls: crls });
    expect([bad.indication, bad.subIndication]).to.deep.equal(['TOTAL_FAILED', 'REVOKED']);
    const good = await validator.validate({ signer: cert('org:000.00.32.H53'), candidates: [], at: now, purpose: 'organisation-signing', extraCrls: crls });
    expect(good.indication, good.message).to.equal('TOTAL_PASSED');
    expect(good.revocation.map((r) => r.kind)).to.deep.equal(['CRL', 'CRL']);
  });

  it('openssl crl verifies our CRLs; openssl verify -crl_check rejects the revoked certificate', async () => {
    const response = await fetch(`${server.url}/crl/issuing-ca.crl`);
    const crlFile = join(work, 'issuing-ca.crl');
    writeFileSync(crlFile, Buffer.from(await response.arrayBuffer()));
    expect(await opensslAll(['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', dev('ca/chain.pem'), '-noout'])).to.contain('verify OK');
    const pemCrl = join(work, 'issuing-ca.crl.pem');
    await openssl(['crl', '-inform', 'DER', '-in', crlFile, '-out', pemCrl]);
    const out = await opensslAll(['verify', '-CAfile', dev('ca/root.crt.pem'), '-untrusted', dev('ca/issuing-ca.crt.pem'), '-crl_check', '-CRLfile', pemCrl, dev('bad/revoked.crt.pem')]);
    expect(out).to.contain('certificate revoked');
    const pkijsCrl = pkijs.CertificateRevocationList.fromBER(readFileSync(crlFile));
    expect(pkijsCrl.revokedCertificates?.length).to.equal(1);
  });

  it('our validator over real HTTP: OCSP from the configured URL (good, revoked)', async () => {
    const cache = new CertificateCache();
    const trust = trustListFromDer(cache, [cert('root')], [cert('issuing-ca')]);
    const viaOcsp = new X509PathValidator(trust, cache, new RevocationChecker({ ...testRevocationSettings, ocsp: { ...testRevocationSettings.ocsp, url: `${server.url}/ocsp`, useAia: false } }, new FetchHttpTransport()));
    const good = await viaOcsp.validate({ signer: cert('person:lanhdao@000.00.00.G10'), candidates: [], at: new Date(), purpose: 'personal-signing' });
    expect(good.indication, good.message).to.equal('TOTAL_PASSED');
    const revoked = await viaOcsp.validate({ signer: cert('bad:revoked'), candidates: [], at: new Date(), purpose: 'personal-signing' });
    expect([revoked.indication, revoked.subIndication]).to.deep.equal(['TOTAL_FAILED', 'REVOKED']);
    expect(devAuthority().tsa.certificate.sha256).to.equal(entry('tsa').sha256);
  });

  it('OCSP responder unreachable over real HTTP → INDETERMINATE/TRY_LATER after the retries', async () => {
    const closed = await startDevTrustServer({ dir: devDir, passphrase: devPassphrase(), port: 0 });
    const url = `${closed.url}/ocsp`;
    await closed.close();
    const cache = new CertificateCache();
    const checker = new RevocationChecker({ ...testRevocationSettings, ocsp: { url, useAia: false, timeoutMs: 500, retries: 1, retryDelayMs: 10 } }, new FetchHttpTransport());
    const validator = new X509PathValidator(trustListFromDer(cache, [cert('root')], [cert('issuing-ca')]), cache, checker);
    const result = await validator.validate({ signer: cert('org:000.00.13.H53'), candidates: [], at: new Date(), purpose: 'organisation-signing' });
    expect([result.indication, result.subIndication]).to.deep.equal(['INDETERMINATE', 'TRY_LATER']);
    expect(result.warnings.join(' ')).to.contain(url);
  });
});

describe('pki trust: `edoc-node pki serve` as a process', () => {
  it('listens on 127.0.0.1, answers openssl ocsp, stops on SIGTERM', async function () {
    this.timeout(30_000);
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['bin/edoc-node.js', 'pki', 'serve', '--port', '0'], { cwd: join(devDir, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          const m = /http:\/\/127\.0\.0\.1:\d+/.exec(text);
          if (m) resolve(m[0]);
        });
        child.once('exit', (code) => reject(new Error(`pki serve exited ${code}`)));
      });
      const out = await opensslAll(['ocsp', '-issuer', dev('ca/issuing-ca.crt.pem'), '-cert', dev('bad/revoked.crt.pem'), '-url', `${url}/ocsp`, '-CAfile', dev('ca/chain.pem')]);
      expect(out).to.contain('Response verify OK');
      expect(out).to.match(/revoked\.crt\.pem: revoked/);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
