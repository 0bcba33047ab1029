import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DomainError } from '../../domain/errors.ts';
import type { CertificateCache } from '../certificates/certificate-cache.ts';
import { derObjects } from '../certificates/pem.ts';
import type { ParsedCertificate } from '../certificates/parsed-certificate.ts';

/**
 * The deployment's trust list: the anchors a path must end at, and the intermediates the node may use
 * to build a path when a signature does not carry them (an allowed intermediate is not an anchor: it is
 * itself validated up to an anchor). Production: the government root (config/trust/rootcag2.crt); dev:
 * the dev root and issuing CA (certs-dev/ca).
 */
export interface TrustList {
  readonly anchors: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
  /** When true, a path may use no CA certificate but the anchors and the listed intermediates (those carried by a signature are ignored). */
  readonly onlyListedIntermediates?: boolean;
}

export function trustListFromDer(cache: CertificateCache, anchors: readonly Uint8Array[], intermediates: readonly Uint8Array[] = [], onlyListedIntermediates = false): TrustList {
  return { anchors: anchors.map((d) => cache.get(d)), intermediates: intermediates.map((d) => cache.get(d)), ...(onlyListedIntermediates ? { onlyListedIntermediates } : {}) };
}

/** Reads PEM or DER certificate files (paths relative to `baseDir`). */
export function loadTrustList(cache: CertificateCache, files: { anchors: readonly string[]; intermediates: readonly string[]; onlyListedIntermediates?: boolean }, baseDir = process.cwd()): TrustList {
  const read = (file: string): Uint8Array[] => {
    try {
      const certs = derObjects(new Uint8Array(readFileSync(resolve(baseDir, file))), 'CERTIFICATE');
      if (certs.length === 0) throw new Error('no certificate in the file');
      return certs;
    } catch (cause) {
      throw new DomainError('config.invalid', { cause, details: [{ field: 'pki.trust', message: `${file}: ${(cause as Error).message}` }] });
    }
  };
  const list = trustListFromDer(cache, files.anchors.flatMap(read), files.intermediates.flatMap(read), files.onlyListedIntermediates === true);
  if (list.anchors.length === 0) throw new DomainError('config.invalid', { details: [{ field: 'pki.trust.anchors', message: 'at least one trust anchor is needed' }] });
  return list;
}
