import type { ParsedCertificate } from '../certificates/parsed-certificate.ts';
import { isAcceptedSignatureAlgorithm } from '../certificates/signature-algorithms.ts';
import type { TrustList } from '../trust/trust-list.ts';

// Path building (RFC 4158, simplified): from the end certificate, find an issuer by name (and key
// identifier when both sides have one) whose key verifies the certificate's signature, among the trust
// anchors first, then the allowed intermediates and the certificates found in the signature; stop at an
// anchor. Depth-first with backtracking; signature checks are remembered per (child, issuer) pair.

const maxDepth = 8;
/** Issuer candidates examined per build: bounds the search when a signature carries many look-alike certificates. */
const maxSteps = 500;

export class PathBuilder {
  private readonly verifiedLinks = new Map<string, boolean>();

  /** Returns the path end → anchor, or undefined when no path reaches an anchor. */
  build(end: ParsedCertificate, candidates: readonly ParsedCertificate[], trust: TrustList): ParsedCertificate[] | undefined {
    const anchors = new Set(trust.anchors.map((a) => a.sha256));
    if (anchors.has(end.sha256)) return [end];
    const pool = dedupe([...trust.anchors, ...trust.intermediates, ...(trust.onlyListedIntermediates ? [] : candidates)]);
    let steps = 0;
    const walk = (path: ParsedCertificate[]): ParsedCertificate[] | undefined => {
      const current = path[path.length - 1] as ParsedCertificate;
      if (path.length > maxDepth) return undefined;
      for (const issuer of pool) {
        if (path.some((p) => p.sha256 === issuer.sha256)) continue;
        if (++steps > maxSteps) return undefined;
        if (!this.issued(issuer, current)) continue;
        const next = [...path, issuer];
        if (anchors.has(issuer.sha256)) return next;
        const found = walk(next);
        if (found) return found;
      }
      return undefined;
    };
    return walk([end]);
  }

  /** Name chaining (RFC 5280 §6.1.3 (a)(4)), key identifier match, and the signature (node:crypto). */
  issued(issuer: ParsedCertificate, child: ParsedCertificate): boolean {
    if (Buffer.compare(child.issuerDer, issuer.subjectDer) !== 0 && child.issuer !== issuer.subject) return false;
    if (child.authorityKeyId && issuer.subjectKeyId && child.authorityKeyId !== issuer.subjectKeyId) return false;
    const key = `${child.sha256}:${issuer.sha256}`;
    let ok = this.verifiedLinks.get(key);
    if (ok === undefined) {
      ok = isAcceptedSignatureAlgorithm(child.signatureAlgorithm) && child.x509.verify(issuer.publicKey);
      if (this.verifiedLinks.size > 100_000) this.verifiedLinks.clear();
      this.verifiedLinks.set(key, ok);
    }
    return ok;
  }
}

function dedupe(list: readonly ParsedCertificate[]): ParsedCertificate[] {
  const seen = new Set<string>();
  return list.filter((c) => (seen.has(c.sha256) ? false : (seen.add(c.sha256), true)));
}
