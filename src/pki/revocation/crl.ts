import { childrenOf, contentsOf, encodingOf, objectIdentifier, readTlv, x509Time, type Tlv } from '../certificates/der-reader.ts';
import { isAcceptedSignatureAlgorithm, verifySignature } from '../certificates/signature-algorithms.ts';
import { oid } from '../certificates/oids.ts';
import type { ParsedCertificate } from '../certificates/parsed-certificate.ts';

// Certificate revocation lists (RFC 5280 §5, §6.3). A CRL is parsed once; its signature is checked once
// per issuer; revoked serials are kept in a Map for constant-time lookups.

export interface ParsedCrl {
  readonly der: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly revoked: ReadonlyMap<string, Date>; // serial hex → revocation date
  readonly signatureAlgorithm: string;
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
  readonly unknownCriticalExtensions: readonly string[];
}

const understoodCrlExtensions: ReadonlySet<string> = new Set([oid.crlNumber, oid.authorityKeyIdentifier]);

/**
 * Parses a CRL by walking its DER (RFC 5280 §5.1): a large CA's CRL holds tens of thousands of entries,
 * which schema-based parsing would turn into millions of objects.
 */
export function parseCrl(der: Uint8Array): ParsedCrl {
  const expect = (tlv: Tlv | undefined, tag: number, what: string): Tlv => {
    if (tlv?.tag !== tag) throw new Error(`malformed CRL: ${what}`);
    return tlv;
  };
  const outer = readTlv(der, 0);
  if (outer.end !== der.length) throw new Error('malformed CRL: trailing bytes');
  const [tbsTlv, algTlv, sigTlv] = childrenOf(der, expect(outer, 0x30, 'CertificateList'));
  const tbs = childrenOf(der, expect(tbsTlv, 0x30, 'tbsCertList'));
  let i = tbs[0]?.tag === 0x02 ? 1 : 0; // version v2
  i += 1; // signature (must equal signatureAlgorithm: checked below)
  const issuer = expect(tbs[i++], 0x30, 'issuer');
  const thisUpdate = x509Time(der, tbs[i++] as Tlv);
  let nextUpdate: Date | undefined;
  if (tbs[i]?.tag === 0x17 || tbs[i]?.tag === 0x18) nextUpdate = x509Time(der, tbs[i++] as Tlv);
  const revoked = new Map<string, Date>();
  const unknownCritical: string[] = [];
  const criticalUnknown = (extensions: Tlv, understood: (id: string) => boolean): void => {
    for (const ext of childrenOf(der, expect(extensions, 0x30, 'Extensions'))) {
      const parts = childrenOf(der, expect(ext, 0x30, 'Extension'));
      const id = objectIdentifier(contentsOf(der, expect(parts[0], 0x06, 'extnID')));
      const critical = parts.length === 3 && parts[1]?.tag === 0x01 && contentsOf(der, parts[1])[0] !== 0;
      if (critical && !understood(id)) unknownCritical.push(id);
    }
  };
  if (tbs[i]?.tag === 0x30) {
    for (const entry of childrenOf(der, tbs[i++] as Tlv)) {
      const [serial, date, extensions] = childrenOf(der, expect(entry, 0x30, 'revokedCertificate'));
      revoked.set(Buffer.from(contentsOf(der, expect(serial, 0x02, 'userCertificate'))).toString('hex'), x509Time(der, date as Tlv));
      if (extensions) criticalUnknown(extensions, (id) => id === oid.crlReason);
    }
  }
  // Issuing distribution point, delta CRL indicator… change the CRL's scope: not understood, not used (§6.3.3).
  if (tbs[i]?.tag === 0xa0) criticalUnknown(childrenOf(der, tbs[i] as Tlv)[0] as Tlv, (id) => understoodCrlExtensions.has(id));
  const algorithm = childrenOf(der, expect(algTlv, 0x30, 'signatureAlgorithm'))[0];
  const innerAlgorithm = childrenOf(der, expect(tbs[tbs[0]?.tag === 0x02 ? 1 : 0], 0x30, 'signature'))[0];
  const signatureAlgorithm = objectIdentifier(contentsOf(der, expect(algorithm, 0x06, 'algorithm')));
  if (objectIdentifier(contentsOf(der, expect(innerAlgorithm, 0x06, 'algorithm'))) !== signatureAlgorithm) throw new Error('malformed CRL: signature algorithms differ (RFC 5280 §5.1.1.2)');
  return {
    der,
    issuerDer: encodingOf(der, issuer),
    thisUpdate,
    ...(nextUpdate ? { nextUpdate } : {}),
    revoked,
    signatureAlgorithm,
    tbs: encodingOf(der, tbsTlv as Tlv),
    signature: contentsOf(der, expect(sigTlv, 0x03, 'signatureValue')).subarray(1),
    unknownCriticalExtensions: unknownCritical,
  };
}

/** Whether `issuer` issued and signed this CRL and may sign CRLs (RFC 5280 §6.3.3 (f), (g)). */
export function isCrlFrom(crl: ParsedCrl, issuer: ParsedCertificate): boolean {
  if (Buffer.compare(crl.issuerDer, issuer.subjectDer) !== 0) return false;
  if (issuer.keyUsage && !issuer.keyUsage.has('cRLSign')) return false;
  if (crl.unknownCriticalExtensions.length > 0 || !isAcceptedSignatureAlgorithm(crl.signatureAlgorithm)) return false;
  return verifySignature(crl.signatureAlgorithm, crl.tbs, issuer.publicKey, crl.signature);
}
