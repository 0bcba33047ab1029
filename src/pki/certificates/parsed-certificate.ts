import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { DomainError } from '../../domain/errors.ts';
import { childrenOf, contentsOf, encodingOf, objectIdentifier, readTlv, x509Time, type Tlv } from './der-reader.ts';
import { oid } from './oids.ts';

/** RFC 5280 §4.2.1.3 KeyUsage bit names, in bit order. */
export const keyUsageBits = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const;
export type KeyUsage = (typeof keyUsageBits)[number];

/** Extensions this validator understands; any other critical extension fails the path (RFC 5280 §4.2). */
const understoodExtensions: ReadonlySet<string> = new Set([
  oid.subjectKeyIdentifier, oid.keyUsage, oid.subjectAltName, oid.basicConstraints, oid.crlDistributionPoints,
  oid.certificatePolicies, oid.authorityKeyIdentifier, oid.extKeyUsage, oid.authorityInfoAccess, oid.ocspNoCheck,
]);

/** A certificate parsed once (keyed by the SHA-256 of its DER) with everything path validation needs. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly sha256: string;
  readonly x509: X509Certificate;
  readonly publicKey: KeyObject;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  /** The subjectPublicKey BIT STRING contents (OCSP issuerKeyHash, RFC 6960 §4.1.1). */
  readonly publicKeyBits: Uint8Array;
  readonly serialHex: string;
  /** The certificate's signatureAlgorithm OID (the issuer's signature over it). */
  readonly signatureAlgorithm: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isSelfIssued: boolean;
  readonly basicConstraints: { readonly ca: boolean; readonly pathLength?: number } | undefined;
  readonly keyUsage: ReadonlySet<KeyUsage> | undefined;
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly extendedKeyUsageCritical: boolean;
  readonly subjectKeyId?: string;
  readonly authorityKeyId?: string;
  readonly crlUrls: readonly string[];
  readonly ocspUrls: readonly string[];
  readonly ocspNoCheck: boolean;
  readonly unknownCriticalExtensions: readonly string[];
  /** QCVN 102 organ id from the subject UID attribute (docs/pki-trust.md). */
  readonly organId?: string;
  readonly commonName?: string;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const shortNames: Record<string, string> = {
  [oid.commonName]: 'CN', [oid.organizationalUnitName]: 'OU', [oid.organizationName]: 'O', [oid.localityName]: 'L',
  [oid.stateOrProvinceName]: 'ST', [oid.countryName]: 'C', [oid.userId]: 'UID', [oid.serialNumber]: 'SERIALNUMBER',
};

/** DirectoryString and friends (X.520): UTF8String, PrintableString, IA5String, TeletexString, BMPString, UniversalString. */
function stringValue(bytes: Uint8Array, tlv: Tlv): string {
  const contents = contentsOf(bytes, tlv);
  switch (tlv.tag) {
    case 0x1e: { // BMPString, UTF-16BE
      const swapped = Buffer.from(contents);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case 0x1c: { // UniversalString, UTF-32BE
      let out = '';
      for (let i = 0; i + 3 < contents.length; i += 4) out += String.fromCodePoint(((contents[i] ?? 0) << 24) | ((contents[i + 1] ?? 0) << 16) | ((contents[i + 2] ?? 0) << 8) | (contents[i + 3] ?? 0));
      return out;
    }
    case 0x14: return Buffer.from(contents).toString('latin1'); // TeletexString, as commonly used
    default: return Buffer.from(contents).toString('utf8');
  }
}

/** A Name's attributes in encoding order (RFC 5280 §4.1.2.4), multi-valued RDNs flattened. */
function nameAttributes(bytes: Uint8Array, name: Tlv): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const rdn of childrenOf(bytes, name)) {
    for (const atv of childrenOf(bytes, rdn)) {
      const [type, value] = childrenOf(bytes, atv);
      if (type?.tag !== 0x06 || !value) throw new Error('malformed AttributeTypeAndValue');
      out.push([objectIdentifier(contentsOf(bytes, type)), stringValue(bytes, value)]);
    }
  }
  return out;
}

/** `CN=…, O=…, C=VN`: most specific first, as DOMAIN.md §7 writes names (RFC 4514 escaping). */
const formatAttributes = (attributes: ReadonlyArray<[string, string]>): string =>
  [...attributes].reverse().map(([type, value]) => `${shortNames[type] ?? type}=${value.replace(/([,+"\\<>;=])/g, '\\$1')}`).join(', ');

const uriNames = (bytes: Uint8Array, names: readonly Tlv[]): string[] =>
  names.filter((n) => n.tag === 0x86).map((n) => Buffer.from(contentsOf(bytes, n)).toString('latin1')); // [6] IA5String URI

function readKeyUsage(bits: Uint8Array): Set<KeyUsage> {
  const set = new Set<KeyUsage>();
  keyUsageBits.forEach((name, i) => {
    const byte = bits[i >> 3] ?? 0;
    if (byte & (0x80 >> (i & 7))) set.add(name);
  });
  return set;
}

/**
 * Parses a certificate: OpenSSL (node:crypto X509Certificate) checks the encoding and gives the key;
 * the fields are read by walking the DER (RFC 5280 §4.1), ~10× cheaper than pkijs schemas here.
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  try {
    return readCertificate(der);
  } catch (cause) {
    if (cause instanceof DomainError) throw cause;
    throw new DomainError('pki.invalid_certificate', { cause, details: [{ field: 'certificate', message: (cause as Error).message }] });
  }
}

function readCertificate(der: Uint8Array): ParsedCertificate {
  const x509 = new X509Certificate(der);
  const expect = (tlv: Tlv | undefined, tag: number, what: string): Tlv => {
    if (tlv?.tag !== tag) throw new Error(`malformed certificate: ${what}`);
    return tlv;
  };
  const outer = readTlv(der, 0);
  if (outer.end !== der.length) throw new Error('malformed certificate: trailing bytes');
  const [tbsTlv, algTlv] = childrenOf(der, expect(outer, 0x30, 'Certificate'));
  const tbs = childrenOf(der, expect(tbsTlv, 0x30, 'tbsCertificate'));
  let i = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const serial = expect(tbs[i++], 0x02, 'serialNumber');
  i += 1; // signature AlgorithmIdentifier (must equal signatureAlgorithm: checked below)
  const issuer = expect(tbs[i++], 0x30, 'issuer');
  const [notBefore, notAfter] = childrenOf(der, expect(tbs[i++], 0x30, 'validity'));
  const subject = expect(tbs[i++], 0x30, 'subject');
  const spki = childrenOf(der, expect(tbs[i++], 0x30, 'subjectPublicKeyInfo'));
  const publicKeyBits = contentsOf(der, expect(spki[1], 0x03, 'subjectPublicKey')).subarray(1);
  const signatureAlgorithm = objectIdentifier(contentsOf(der, expect(childrenOf(der, expect(algTlv, 0x30, 'signatureAlgorithm'))[0], 0x06, 'algorithm')));
  const innerAlgorithm = objectIdentifier(contentsOf(der, expect(childrenOf(der, expect(tbs[tbs[0]?.tag === 0xa0 ? 2 : 1], 0x30, 'signature'))[0], 0x06, 'algorithm')));
  if (innerAlgorithm !== signatureAlgorithm) throw new Error('malformed certificate: signature algorithms differ (RFC 5280 §4.1.1.2)');

  let basicConstraints: ParsedCertificate['basicConstraints'];
  let keyUsage: Set<KeyUsage> | undefined;
  let extendedKeyUsage: string[] | undefined;
  let extendedKeyUsageCritical = false;
  let subjectKeyId: string | undefined;
  let authorityKeyId: string | undefined;
  let crlUrls: string[] = [];
  let ocspUrls: string[] = [];
  let ocspNoCheck = false;
  const unknownCriticalExtensions: string[] = [];
  const extensionsTlv = tbs.slice(i).find((t) => t.tag === 0xa3);
  const seen = new Set<string>();
  for (const ext of extensionsTlv ? childrenOf(der, expect(childrenOf(der, extensionsTlv)[0], 0x30, 'extensions')) : []) {
    const parts = childrenOf(der, expect(ext, 0x30, 'Extension'));
    const id = objectIdentifier(contentsOf(der, expect(parts[0], 0x06, 'extnID')));
    const critical = parts.length === 3 && parts[1]?.tag === 0x01 && contentsOf(der, parts[1])[0] !== 0;
    const value = contentsOf(der, expect(parts[parts.length - 1], 0x04, 'extnValue'));
    if (seen.has(id)) throw new Error(`malformed certificate: extension ${id} appears twice (RFC 5280 §4.2)`);
    seen.add(id);
    const top = (): Tlv => readTlv(value, 0);
    switch (id) {
      case oid.basicConstraints: {
        const fields = childrenOf(value, expect(top(), 0x30, 'BasicConstraints'));
        const ca = fields[0]?.tag === 0x01 && contentsOf(value, fields[0])[0] !== 0;
        const length = fields.find((f) => f.tag === 0x02);
        basicConstraints = { ca, ...(length ? { pathLength: contentsOf(value, length).reduce((n, b) => n * 256 + b, 0) } : {}) };
        break;
      }
      case oid.keyUsage: keyUsage = readKeyUsage(contentsOf(value, expect(top(), 0x03, 'KeyUsage')).subarray(1)); break;
      case oid.extKeyUsage:
        extendedKeyUsage = childrenOf(value, expect(top(), 0x30, 'ExtKeyUsage')).map((p) => objectIdentifier(contentsOf(value, expect(p, 0x06, 'KeyPurposeId'))));
        extendedKeyUsageCritical = critical;
        break;
      case oid.subjectKeyIdentifier: subjectKeyId = hex(contentsOf(value, expect(top(), 0x04, 'SubjectKeyIdentifier'))); break;
      case oid.authorityKeyIdentifier: {
        const keyId = childrenOf(value, expect(top(), 0x30, 'AuthorityKeyIdentifier')).find((f) => f.tag === 0x80);
        if (keyId) authorityKeyId = hex(contentsOf(value, keyId));
        break;
      }
      case oid.crlDistributionPoints:
        crlUrls = childrenOf(value, expect(top(), 0x30, 'CRLDistributionPoints')).flatMap((dp) => {
          const name = childrenOf(value, expect(dp, 0x30, 'DistributionPoint')).find((f) => f.tag === 0xa0);
          const fullName = name ? childrenOf(value, name).find((f) => f.tag === 0xa0) : undefined;
          return fullName ? uriNames(value, childrenOf(value, fullName)) : [];
        });
        break;
      case oid.authorityInfoAccess:
        ocspUrls = childrenOf(value, expect(top(), 0x30, 'AuthorityInfoAccess')).flatMap((ad) => {
          const [method, location] = childrenOf(value, expect(ad, 0x30, 'AccessDescription'));
          return method?.tag === 0x06 && objectIdentifier(contentsOf(value, method)) === oid.adOcsp && location ? uriNames(value, [location]) : [];
        });
        break;
      case oid.ocspNoCheck: ocspNoCheck = true; break;
      default: if (critical && !understoodExtensions.has(id)) unknownCriticalExtensions.push(id);
    }
  }
  const subjectDer = encodingOf(der, subject);
  const issuerDer = encodingOf(der, issuer);
  const subjectAttributes = nameAttributes(der, subject);
  const organId = subjectAttributes.find(([t]) => t === oid.userId)?.[1];
  const commonName = subjectAttributes.find(([t]) => t === oid.commonName)?.[1];
  return {
    der,
    sha256: sha256Hex(der),
    x509,
    publicKey: x509.publicKey,
    subject: formatAttributes(subjectAttributes),
    issuer: formatAttributes(nameAttributes(der, issuer)),
    subjectDer,
    issuerDer,
    publicKeyBits,
    serialHex: hex(contentsOf(der, serial)),
    signatureAlgorithm,
    notBefore: x509Time(der, notBefore as Tlv),
    notAfter: x509Time(der, notAfter as Tlv),
    isSelfIssued: Buffer.compare(subjectDer, issuerDer) === 0,
    basicConstraints,
    keyUsage,
    extendedKeyUsage,
    extendedKeyUsageCritical,
    ...(subjectKeyId !== undefined ? { subjectKeyId } : {}),
    ...(authorityKeyId !== undefined ? { authorityKeyId } : {}),
    crlUrls,
    ocspUrls,
    ocspNoCheck,
    unknownCriticalExtensions,
    ...(organId !== undefined ? { organId } : {}),
    ...(commonName !== undefined ? { commonName } : {}),
  };
}
