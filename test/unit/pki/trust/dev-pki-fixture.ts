import { join } from 'node:path';
import { CertificateCache } from '../../../../src/pki/certificates/certificate-cache.ts';
import { DevCertificateAuthority } from '../../../../src/pki/dev/dev-certificate-authority.ts';
import { devPassphrase, manifestEntry, readDevManifest } from '../../../../src/pki/dev/dev-manifest.ts';
import { createDevTrustServices, type DevTrustServices } from '../../../../src/pki/dev/dev-trust-services.ts';
import { InProcessTrustTransport } from '../../../../src/pki/dev/in-process-transport.ts';
import { devServicesBaseUrl } from '../../../../src/pki/dev/dev-pki-plan.ts';
import { X509PathValidator } from '../../../../src/pki/path/path-validator.ts';
import { RevocationChecker, type RevocationSettings } from '../../../../src/pki/revocation/revocation-checker.ts';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../../../src/pki/trust/http-transport.ts';
import { trustListFromDer } from '../../../../src/pki/trust/trust-list.ts';

// The committed certs-dev/ as a test fixture: the dev CA, in-process dev services with a settable clock,
// and a validator wired to them through a transport that counts (and can cut) requests.

export const devDir = join(import.meta.dirname, '../../../../certs-dev');

export class CountingTransport implements HttpTransport {
  requests: HttpRequest[] = [];
  reachable = true;
  constructor(private readonly inner: HttpTransport) {}
  async send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    if (!this.reachable) throw new Error('connect ECONNREFUSED (test: service down)');
    return this.inner.send(request);
  }
}

let authority: DevCertificateAuthority | undefined;

export function devAuthority(): DevCertificateAuthority {
  authority ??= DevCertificateAuthority.load(devDir, devPassphrase());
  return authority;
}

export const cert = (id: string): Uint8Array => devAuthority().certificate(id);
export const entry = (id: string): ReturnType<typeof manifestEntry> => manifestEntry(readDevManifest(devDir), id);

export const testRevocationSettings: RevocationSettings = {
  freshnessMs: 3_600_000,
  clockSkewMs: 300_000,
  ocsp: { url: null, useAia: true, timeoutMs: 2_000, retries: 0, retryDelayMs: 0 },
  crl: { fetchDistributionPoints: false, timeoutMs: 2_000, retries: 0, retryDelayMs: 0 },
};

export interface Harness {
  readonly services: DevTrustServices;
  readonly transport: CountingTransport;
  readonly validator: X509PathValidator;
  readonly revocation: RevocationChecker;
  readonly cache: CertificateCache;
  /** The dev services' clock (defaults to the real time). */
  clock: Date | undefined;
}

export function harness(options: { intermediates?: boolean; settings?: Partial<RevocationSettings>; whenUnavailable?: 'indeterminate' | 'failed' } = {}): Harness {
  const state: { clock: Date | undefined } = { clock: undefined };
  const services = createDevTrustServices({ dir: devDir, passphrase: devPassphrase(), authority: devAuthority(), clock: () => state.clock ?? new Date() });
  const transport = new CountingTransport(new InProcessTrustTransport(devServicesBaseUrl, services));
  const cache = new CertificateCache();
  const trust = trustListFromDer(cache, [cert('root')], options.intermediates === false ? [] : [cert('issuing-ca')]);
  const revocation = new RevocationChecker({ ...testRevocationSettings, ...options.settings }, transport, undefined, cache);
  const validator = new X509PathValidator(trust, cache, revocation, { whenRevocationUnavailable: options.whenUnavailable ?? 'indeterminate' });
  return Object.assign(state, { services, transport, validator, revocation, cache }) as Harness;
}
