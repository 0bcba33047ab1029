import { parseCertificate, sha256Hex, type ParsedCertificate } from './parsed-certificate.ts';

/**
 * Parses each certificate once, keyed by the SHA-256 of its DER (the verification rate target of issue 3
 * needs the chain step to be cheap). Bounded: the oldest entries go first.
 */
export class CertificateCache {
  private readonly entries = new Map<string, ParsedCertificate>();

  constructor(private readonly maxEntries = 10_000) {}

  get(der: Uint8Array): ParsedCertificate {
    const key = sha256Hex(der);
    const hit = this.entries.get(key);
    if (hit) return hit;
    const parsed = parseCertificate(der);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, parsed);
    return parsed;
  }

  get size(): number {
    return this.entries.size;
  }
}
