// The real trust layer over the development PKI (certs-dev/, `npm run certs:dev`), with the dev OCSP/TSA
// called in-process and an optional fixed clock (time-stamps and revocation at a chosen time).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../../../../src/config/load.ts';
import { CertificateCache } from '../../../../../src/pki/certificates/certificate-cache.ts';
import { derObjects } from '../../../../../src/pki/certificates/pem.ts';
import { keyObjectCredentials, type SigningCredentials } from '../../../../../src/pki/cms/signer.ts';
import { devPassphrase, manifestEntry, readDevManifest } from '../../../../../src/pki/dev/dev-manifest.ts';
import { createDevTrustServices } from '../../../../../src/pki/dev/dev-trust-services.ts';
import { loadSigningKey } from '../../../../../src/pki/keys/signing-key.ts';
import { createTrustLayer, type TrustLayer } from '../../../../../src/pki/trust/trust-layer.ts';
import { trustListFromDer } from '../../../../../src/pki/trust/trust-list.ts';
import type { HttpTransport } from '../../../../../src/pki/trust/http-transport.ts';

export const repoDir = resolve(import.meta.dirname, '../../../../..');
export const devDir = join(repoDir, 'certs-dev');
export const devFile = (path: string): string => join(devDir, path);
export const devRootPem = devFile('ca/root.crt.pem');
export const issuingCaPem = devFile('ca/issuing-ca.crt.pem');

/** A transport that never reaches anything: revocation must come from stored evidence or given CRLs. */
export const offline: HttpTransport = { async send() { throw new Error("offline (test)"); } };

export function devTrustLayer(options: { clock?: () => Date; rootOnly?: boolean; offline?: boolean } = {}): TrustLayer {
  const config = loadConfig({ configDir: join(repoDir, 'config'), env: { ...process.env, NODE_ENV: 'test' } });
  const cache = new CertificateCache();
  const devServices = createDevTrustServices({ dir: devDir, passphrase: devPassphrase(), ...(options.clock ? { clock: options.clock } : {}) });
  const noRetries = { retries: 0, retryDelayMs: 0 };
  const pki = options.offline ? { ...config.pki, ocsp: { ...config.pki.ocsp, ...noRetries }, crl: { ...config.pki.crl, ...noRetries }, tsa: { ...config.pki.tsa, ...noRetries } } : config.pki;
  return createTrustLayer({ ...pki, devMode: true }, {
    baseDir: repoDir, cache,
    ...(options.offline ? { transport: offline } : { devServices }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.rootOnly ? { trustList: trustListFromDer(cache, derObjects(readFileSync(devRootPem), 'CERTIFICATE')) } : {}),
  });
}

/** Signing credentials of a dev PKI entity (e.g. `org:000.00.00.G22`, `person:lanhdao@000.00.00.G22`, `bad:revoked`). */
export function devCredentials(id: string, options: { withChain?: boolean } = {}): SigningCredentials & { keyPath: string; certPath: string } {
  const entry = manifestEntry(readDevManifest(devDir), id);
  const material = loadSigningKey({ key: readFileSync(devFile(entry.files.key)), passphrase: devPassphrase(), certificate: readFileSync(devFile(entry.files.certificate)) });
  const chain = options.withChain === false ? [] : derObjects(readFileSync(issuingCaPem), 'CERTIFICATE');
  return { ...keyObjectCredentials(material.privateKey, material.certificate, chain), keyPath: devFile(entry.files.key), certPath: devFile(entry.files.certificate) };
}
