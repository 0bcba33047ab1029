import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';
import { CertificateCache } from '../certificates/certificate-cache.ts';
import { readDevManifest } from '../dev/dev-manifest.ts';
import type { DevTrustServices } from '../dev/dev-trust-services.ts';
import { InProcessTrustTransport } from '../dev/in-process-transport.ts';
import { X509PathValidator } from '../path/path-validator.ts';
import { RevocationChecker, type RevocationSettings } from '../revocation/revocation-checker.ts';
import { CmsTimeStampTokenVerifier } from '../timestamp/timestamp-token-verifier.ts';
import { HttpTimeStampAuthorityClient } from '../timestamp/tsa-client.ts';
import type { CertificatePathValidator, TimeStampAuthorityClient, TimeStampTokenVerifier } from '../trust-services.ts';
import { FetchHttpTransport, type HttpTransport } from './http-transport.ts';
import { loadTrustList, type TrustList } from './trust-list.ts';

// Composition of the trust layer from the `pki` configuration section (the node's app.ts, the CLI and the
// benchmarks call this; nothing is built at import time). In dev mode the trust list is the dev root and
// issuing CA of certs-dev/, the TSA and OCSP are the dev services (in-process when `devServices` is given).

export type PkiSettings = Config['pki'];

export interface TrustLayer {
  readonly cache: CertificateCache;
  readonly trustList: TrustList;
  readonly revocation: RevocationChecker;
  readonly paths: CertificatePathValidator;
  readonly tsa: TimeStampAuthorityClient;
  readonly timestamps: TimeStampTokenVerifier;
}

export interface TrustLayerOptions {
  /** Directory the relative paths of the settings are resolved against (default: the working directory). */
  readonly baseDir?: string;
  readonly transport?: HttpTransport;
  /** Dev services to call in-process instead of over HTTP (dev mode). */
  readonly devServices?: DevTrustServices;
  /** Replaces the configured trust list (e.g. `verify --trust`). */
  readonly trustList?: TrustList;
  readonly cache?: CertificateCache;
  readonly clock?: () => Date;
}

export function revocationSettings(settings: PkiSettings): RevocationSettings {
  return {
    freshnessMs: settings.revocation.freshnessSeconds * 1000,
    clockSkewMs: settings.revocation.clockSkewSeconds * 1000,
    ocsp: { ...settings.ocsp, url: settings.devMode ? null : settings.ocsp.url },
    crl: settings.crl,
  };
}

export function createTrustLayer(settings: PkiSettings, options: TrustLayerOptions = {}): TrustLayer {
  const baseDir = options.baseDir ?? process.cwd();
  const cache = options.cache ?? new CertificateCache();
  let trustList = options.trustList;
  if (!trustList && settings.devMode) {
    const manifest = readDevManifest(join(baseDir, settings.dev.dir));
    const inDev = (files: readonly string[]): string[] => files.map((f) => join(settings.dev.dir, f));
    trustList = loadTrustList(cache, { anchors: inDev(manifest.trust.anchors), intermediates: inDev(manifest.trust.intermediates), onlyListedIntermediates: settings.trust.onlyListedIntermediates }, baseDir);
  }
  trustList ??= loadTrustList(cache, settings.trust, baseDir);

  const network = options.transport ?? new FetchHttpTransport();
  const transport = options.devServices ? new InProcessTrustTransport(settings.dev.servicesUrl, options.devServices, network) : network;
  const revocation = new RevocationChecker(revocationSettings(settings), transport, options.clock, cache);
  const paths = new X509PathValidator(trustList, cache, revocation, { whenRevocationUnavailable: settings.revocation.whenUnavailable });
  const tsaUrl = settings.devMode ? `${settings.dev.servicesUrl}/tsa` : settings.tsa.url;
  return {
    cache,
    trustList,
    revocation,
    paths,
    tsa: new HttpTimeStampAuthorityClient(tsaUrl, settings.tsa, transport),
    timestamps: new CmsTimeStampTokenVerifier(paths, cache),
  };
}
