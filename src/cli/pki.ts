import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { isDomainError } from '../domain/errors.ts';
import { CertificateCache } from '../pki/certificates/certificate-cache.ts';
import { derObjects } from '../pki/certificates/pem.ts';
import { createDevTrustServices } from '../pki/dev/dev-trust-services.ts';
import type { CertificatePurpose } from '../pki/trust-services.ts';
import { createTrustLayer } from '../pki/trust/trust-layer.ts';
import { trustListFromDer } from '../pki/trust/trust-list.ts';
import type { CliCommand } from './command.ts';
import { parseFlags } from './command.ts';
import { generateDevPki } from '../pki/dev/generate-dev-pki.ts';
import { devPassphrase } from '../pki/dev/dev-manifest.ts';
import { startDevTrustServer } from '../pki/dev/dev-trust-server.ts';
import { benchmarkTrustLayer } from '../pki/dev/trust-benchmark.ts';

// `edoc-node pki …`: the development PKI (docs/pki-trust.md).

const generateDev: CliCommand = {
  words: ['pki', 'generate-dev'],
  summary: 'Generate the development PKI into certs-dev/ (npm run certs:dev)',
  usage: 'pki generate-dev [--out certs-dev]\n\nKeys are encrypted with $EDOC_DEV_PKI_PASSPHRASE (default: see docs/pki-trust.md).\nExit codes: 0 written, 3 bad arguments.',
  async run(args) {
    const { flags, positionals } = parseFlags(args);
    if (positionals.length > 0) { console.error(`unexpected argument: ${positionals[0]}`); return 3; }
    const outDir = resolve(flags.get('out')?.[0] ?? 'certs-dev');
    const started = Date.now();
    let manifest;
    try {
      manifest = await generateDevPki({ outDir, passphrase: devPassphrase() });
    } catch (error) {
      if (!isDomainError(error, 'request.invalid')) throw error;
      console.error(error.details.map((d) => d.message).join('; '));
      return 3;
    }
    console.log(`Đã tạo PKI phát triển: ${manifest.entries.length} chứng thư, ${manifest.crls.length} CRL, ${manifest.files.length} tệp trong ${outDir} (${Date.now() - started} ms)`);
    return 0;
  },
};

const serve: CliCommand = {
  words: ['pki', 'serve'],
  summary: 'Serve the dev OCSP (RFC 6960), TSA (RFC 3161) and CRLs on 127.0.0.1',
  usage: 'pki serve [--port 8790] [--dir certs-dev]\n\nRoutes: POST /ocsp, POST /tsa, GET /ocsp/<base64>, GET /crl/<ca>.crl. Stops on SIGINT/SIGTERM.\nExit codes: 0 stopped, 3 bad arguments.',
  async run(args) {
    const { flags } = parseFlags(args);
    const port = Number(flags.get('port')?.[0] ?? 8790);
    if (!Number.isInteger(port) || port < 0 || port > 65535) { console.error('--port must be 0..65535'); return 3; }
    const server = await startDevTrustServer({ dir: resolve(flags.get('dir')?.[0] ?? 'certs-dev'), passphrase: devPassphrase(), port });
    console.log(`Dịch vụ tin cậy phát triển (OCSP, TSA, CRL) đang chạy tại ${server.url}`);
    await new Promise<void>((done) => {
      const stop = (): void => { void server.close().then(done); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

const purposes: readonly CertificatePurpose[] = ['personal-signing', 'organisation-signing', 'timestamping', 'ocsp-signing'];
const exitCodes = { TOTAL_PASSED: 0, TOTAL_FAILED: 1, INDETERMINATE: 2 } as const;
const verdictVi = { TOTAL_PASSED: 'HỢP LỆ', TOTAL_FAILED: 'KHÔNG HỢP LỆ', INDETERMINATE: 'CHƯA XÁC ĐỊNH' } as const;

const checkCertificate: CliCommand = {
  words: ['pki', 'check-cert'],
  summary: 'Validate a certificate path with revocation (RFC 5280, OCSP/CRL) at a time',
  usage: 'pki check-cert <cert.pem|der> [--chain <pem>...] [--purpose personal-signing|organisation-signing|timestamping|ocsp-signing]\n'
    + '      [--at <ISO time>] [--crl <file>...] [--trust <pem>...] [--json]\n\n'
    + 'Trust list and OCSP/CRL/TSA settings come from config/ (pki section); --trust replaces the anchors.\n'
    + 'Exit codes: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 input error.',
  async run(args) {
    try {
      const { flags, positionals } = parseFlags(args, ['json']);
      const file = positionals[0];
      if (!file || positionals.length > 1) { console.error('one certificate file is needed'); return 3; }
      const purpose = (flags.get('purpose')?.[0] ?? 'personal-signing') as CertificatePurpose;
      if (!purposes.includes(purpose)) { console.error(`--purpose must be one of ${purposes.join(', ')}`); return 3; }
      const at = flags.has('at') ? new Date(flags.get('at')?.[0] ?? '') : new Date();
      if (Number.isNaN(at.getTime())) { console.error('--at must be an ISO 8601 time'); return 3; }
      const read = (path: string, label: 'CERTIFICATE' | 'X509 CRL'): Uint8Array[] => derObjects(new Uint8Array(readFileSync(path)), label);
      const [signer, ...carried] = read(file, 'CERTIFICATE');
      if (!signer) { console.error(`${file}: no certificate`); return 3; }
      const candidates = [...carried, ...(flags.get('chain') ?? []).flatMap((f) => read(f, 'CERTIFICATE'))];
      const extraCrls = (flags.get('crl') ?? []).flatMap((f) => read(f, 'X509 CRL'));
      const anchors = (flags.get('trust') ?? []).flatMap((f) => read(f, 'CERTIFICATE'));

      const baseDir = process.cwd();
      const config = loadConfig({ configDir: join(baseDir, 'config'), env: process.env });
      const cache = new CertificateCache();
      const devDir = resolve(baseDir, config.pki.dev.dir);
      const devServices = config.pki.devMode && existsSync(join(devDir, 'manifest.json')) ? createDevTrustServices({ dir: devDir, passphrase: devPassphrase() }) : undefined;
      const layer = createTrustLayer(config.pki, { baseDir, cache, ...(devServices ? { devServices } : {}), ...(anchors.length > 0 ? { trustList: trustListFromDer(cache, anchors) } : {}) });
      const result = await layer.paths.validate({ signer, candidates, at, purpose, extraCrls });
      if (flags.has('json')) {
        console.log(JSON.stringify({ ...result, chain: result.chain.map((c) => Buffer.from(c).toString('base64')) }, null, 2));
      } else {
        console.log(`${verdictVi[result.indication]} (${result.indication}${result.subIndication ? `/${result.subIndication}` : ''}): ${result.signer.subject}`);
        console.log(`  ${result.message}`);
        for (const r of result.revocation) console.log(`  ${r.kind} ${r.status}${r.revokedAt ? ` (thu hồi ${r.revokedAt})` : ''}, ${r.producedAt}`);
        for (const w of result.warnings) console.log(`  cảnh báo: ${w}`);
      }
      return exitCodes[result.indication];
    } catch (error) {
      console.error(isDomainError(error) ? `${error.messageVi} ${error.message} ${error.details.map((d) => `${d.field ?? ''}: ${d.message}`).join('; ')}` : (error as Error).message);
      return 3;
    }
  },
};

const bench: CliCommand = {
  words: ['pki', 'bench'],
  summary: 'Measure the trust layer (cached path validation, time-stamps) beside the raw RSA sign rate',
  usage: 'pki bench [--dir certs-dev] [--millis 1500]\n\nPrints one line per figure and a final JSON line. Exit codes: 0 done, 3 bad arguments.',
  async run(args) {
    const { flags } = parseFlags(args);
    const millis = Number(flags.get('millis')?.[0] ?? 1500);
    if (!Number.isInteger(millis) || millis <= 0) { console.error('--millis must be a positive integer'); return 3; }
    const result = await benchmarkTrustLayer({ dir: resolve(flags.get('dir')?.[0] ?? 'certs-dev'), passphrase: devPassphrase(), millis });
    const ratio = (n: number): string => `${(n / result.rawRsaSignPerSecond).toFixed(1)}× raw RSA sign`;
    console.log(`raw RSA-2048 sign (node:crypto):     ${result.rawRsaSignPerSecond}/s`);
    console.log(`path validation, cached:             ${result.cachedPathValidationPerSecond}/s (${ratio(result.cachedPathValidationPerSecond)})`);
    console.log(`time-stamp token verify, cached:     ${result.cachedTimestampVerifyPerSecond}/s (${ratio(result.cachedTimestampVerifyPerSecond)})`);
    console.log(`path validation, cold (2 OCSP):      ${result.coldPathValidationPerSecond}/s`);
    console.log(`dev TSA stamp (client + responder):  ${result.devTsaStampPerSecond}/s`);
    console.log(JSON.stringify(result));
    return 0;
  },
};

export const pkiCommands: readonly CliCommand[] = [generateDev, serve, checkCertificate, bench];
