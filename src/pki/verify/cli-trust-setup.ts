// The trust layer as the CLI uses it: the node's configuration (config/), with `--trust` replacing the
// trust list; in development mode the dev OCSP/TSA/CRL services of certs-dev/ are called in-process, so
// `edoc-node sign|verify` work without `edoc-node pki serve` running.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { CertificateCache } from '../certificates/certificate-cache.ts';
import { devPassphrase } from '../dev/dev-manifest.ts';
import { createDevTrustServices } from '../dev/dev-trust-services.ts';
import { createTrustLayer, type TrustLayer } from '../trust/trust-layer.ts';
import { trustListFromDer } from '../trust/trust-list.ts';

export function cliTrustLayer(options: { trustAnchors?: readonly Uint8Array[]; clock?: () => Date } = {}): TrustLayer {
  const baseDir = process.cwd();
  const config = loadConfig({ configDir: join(baseDir, 'config'), env: process.env });
  const cache = new CertificateCache();
  const devDir = resolve(baseDir, config.pki.dev.dir);
  const devServices = config.pki.devMode && existsSync(join(devDir, 'manifest.json'))
    ? createDevTrustServices({ dir: devDir, passphrase: devPassphrase(), ...(options.clock ? { clock: options.clock } : {}) })
    : undefined;
  return createTrustLayer(config.pki, {
    baseDir, cache,
    ...(devServices ? { devServices } : {}),
    ...(options.trustAnchors && options.trustAnchors.length > 0 ? { trustList: trustListFromDer(cache, options.trustAnchors) } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
