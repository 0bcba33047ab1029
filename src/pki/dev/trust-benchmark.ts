import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { CertificateCache } from '../certificates/certificate-cache.ts';
import { X509PathValidator } from '../path/path-validator.ts';
import { RevocationChecker } from '../revocation/revocation-checker.ts';
import { CmsTimeStampTokenVerifier } from '../timestamp/timestamp-token-verifier.ts';
import { HttpTimeStampAuthorityClient } from '../timestamp/tsa-client.ts';
import { trustListFromDer } from '../trust/trust-list.ts';
import { DevCertificateAuthority } from './dev-certificate-authority.ts';
import { devServicesBaseUrl } from './dev-pki-plan.ts';
import { createDevTrustServices } from './dev-trust-services.ts';
import { InProcessTrustTransport } from './in-process-transport.ts';

// `edoc-node pki bench`: the trust layer's cost next to the raw RSA-2048 sign rate measured in the same
// run (compare ratios, never absolute figures across runs: STACK.md). Dev PKI, dev services in-process.

export interface TrustBenchmark {
  readonly bench: 'pki-trust';
  readonly rawRsaSignPerSecond: number;
  readonly cachedPathValidationPerSecond: number;
  readonly cachedTimestampVerifyPerSecond: number;
  readonly coldPathValidationPerSecond: number;
  readonly devTsaStampPerSecond: number;
}

async function rate(fn: () => unknown, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) { await fn(); n += 1; }
  return Math.round(n / ((performance.now() - start) / 1000));
}

export async function benchmarkTrustLayer(options: { dir: string; passphrase: string; millis?: number }): Promise<TrustBenchmark> {
  const ms = options.millis ?? 1500;
  const authority = DevCertificateAuthority.load(options.dir, options.passphrase);
  const services = createDevTrustServices({ dir: options.dir, passphrase: options.passphrase, authority });
  const transport = new InProcessTrustTransport(devServicesBaseUrl, services);
  const settings = { freshnessMs: 3_600_000, clockSkewMs: 300_000, ocsp: { url: null, useAia: true, timeoutMs: 5000, retries: 0, retryDelayMs: 0 }, crl: { fetchDistributionPoints: false, timeoutMs: 5000, retries: 0, retryDelayMs: 0 } };
  const build = (): { validator: X509PathValidator; cache: CertificateCache } => {
    const cache = new CertificateCache();
    const validator = new X509PathValidator(trustListFromDer(cache, [authority.certificate('root')], [authority.certificate('issuing-ca')]), cache, new RevocationChecker(settings, transport, undefined, cache));
    return { validator, cache };
  };
  const signer = authority.certificate('org:000.00.00.G22');
  const at = new Date();
  const input = { signer, candidates: [authority.certificate('issuing-ca')], at, purpose: 'organisation-signing' as const };

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.alloc(5 * 1024, 0x61);
  const rawRsaSignPerSecond = await rate(() => sign('sha256', data, privateKey), ms);

  const warm = build();
  const first = await warm.validator.validate(input);
  if (first.indication !== 'TOTAL_PASSED') throw new Error(`benchmark setup: ${first.message}`);
  const cachedPathValidationPerSecond = await rate(() => warm.validator.validate({ ...input, signer: new Uint8Array(signer) }), ms);
  // Cold: a new validator each time (parse, chain signatures, two OCSP round trips in-process).
  const coldPathValidationPerSecond = await rate(() => build().validator.validate(input), ms);

  const client = new HttpTimeStampAuthorityClient(`${devServicesBaseUrl}/tsa`, { timeoutMs: 5000, retries: 0, retryDelayMs: 0 }, transport);
  const imprint = new Uint8Array(createHash('sha256').update(data).digest());
  const devTsaStampPerSecond = await rate(() => client.stamp(imprint), ms);
  const token = await client.stamp(imprint);
  const verifier = new CmsTimeStampTokenVerifier(warm.validator, warm.cache);
  const checked = await verifier.verify(token, imprint);
  if (checked.indication !== 'TOTAL_PASSED') throw new Error(`benchmark setup: ${checked.message}`);
  const cachedTimestampVerifyPerSecond = await rate(() => verifier.verify(token, imprint), ms);
  return { bench: 'pki-trust', rawRsaSignPerSecond, cachedPathValidationPerSecond, cachedTimestampVerifyPerSecond, coldPathValidationPerSecond, devTsaStampPerSecond };
}
