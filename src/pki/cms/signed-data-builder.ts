// Builds a detached CMS SignedData (RFC 5652 §5) in the CAdES-BES / PAdES baseline shape directly as DER:
// signed attributes content-type, message-digest, signing-certificate-v2 (RFC 5035) and, outside PAdES,
// signing-time; the signature time-stamp (RFC 3161 appendix A) as an unsigned attribute. Building the
// fixed structure by hand costs microseconds, where a generic ASN.1 object model costs milliseconds.
import { createHash } from 'node:crypto';
import type { TimeStampAuthorityClient } from '../trust-services.ts';
import { certificateFields } from './certificate-fields.ts';
import { ctx, derNull, integerSmall, octetString, oid, seq, setOf, tlv, utcTime, Tag } from './der.ts';
import { OID } from './oids.ts';
import { signatureAlgorithmOid, type SigningCredentials } from './signer.ts';

export interface CmsSignOptions {
  /** SHA-256 of the content (detached: the content itself is not embedded). */
  readonly contentSha256: Uint8Array;
  readonly credentials: SigningCredentials;
  /** signing-time attribute; `null` omits it (ETSI EN 319 142-1 §5.2: PAdES uses the dictionary's /M). */
  readonly signingTime: Date | null;
  /** When given, a signature time-stamp is requested over the signature value. */
  readonly tsa?: TimeStampAuthorityClient;
}

const attribute = (type: string, value: Uint8Array): Buffer => seq(oid(type), setOf(value));

/** RFC 5035 SigningCertificateV2 with one ESSCertIDv2 (SHA-256 is the default hashAlgorithm: omitted). */
export function signingCertificateV2(certificate: Uint8Array): Buffer {
  const f = certificateFields(certificate);
  const certHash = createHash('sha256').update(certificate).digest();
  const issuerSerial = seq(seq(tlv(ctx(4), f.issuer)), f.serialNumber);
  return seq(seq(seq(octetString(certHash), issuerSerial)));
}

/** The SignedAttributes SET (DER, tag 0x31): this exact encoding is what the signature covers (§5.4). */
export function signedAttributes(contentSha256: Uint8Array, certificate: Uint8Array, signingTime: Date | null): Buffer {
  const attrs = [
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, octetString(contentSha256)),
    attribute(OID.signingCertificateV2, signingCertificateV2(certificate)),
  ];
  if (signingTime) attrs.push(attribute(OID.signingTime, utcTime(signingTime)));
  return setOf(...attrs);
}

/**
 * A CMS signer for one set of credentials: the parts that depend only on the certificate (SignerIdentifier,
 * ESS signing-certificate-v2, the certificates set) are built once, so each signature costs the hash of
 * the small signed attributes, the private-key operation and a few concatenations.
 */
export class CmsSigner {
  private readonly sid: Buffer;
  private readonly essAttribute: Buffer;
  private readonly certificates: Buffer;
  private readonly sigAlg: Buffer;

  constructor(private readonly credentials: SigningCredentials) {
    const f = certificateFields(credentials.certificate);
    this.sid = seq(f.issuer, f.serialNumber);
    this.essAttribute = attribute(OID.signingCertificateV2, signingCertificateV2(credentials.certificate));
    this.certificates = tlv(ctx(0), ...[credentials.certificate, ...credentials.chain]);
    this.sigAlg = credentials.keyAlgorithm === 'rsa' ? seq(oid(signatureAlgorithmOid('rsa')), derNull()) : seq(oid(signatureAlgorithmOid('ec')));
  }

  async sign(options: Omit<CmsSignOptions, 'credentials'>): Promise<Buffer> {
    const attrs = [attribute(OID.contentType, oid(OID.data)), attribute(OID.messageDigest, octetString(options.contentSha256)), this.essAttribute];
    if (options.signingTime) attrs.push(attribute(OID.signingTime, utcTime(options.signingTime)));
    const signed = setOf(...attrs);
    const signature = Buffer.from(await this.credentials.sign(signed));
    const sha256Alg = seq(oid(OID.sha256));
    const parts: Buffer[] = [
      integerSmall(1), this.sid, sha256Alg,
      Buffer.concat([Buffer.from([ctx(0)]), signed.subarray(1)]), // [0] IMPLICIT: same content, context tag
      this.sigAlg, octetString(signature),
    ];
    if (options.tsa) {
      const token = await options.tsa.stamp(createHash('sha256').update(signature).digest());
      parts.push(tlv(ctx(1), attribute(OID.signatureTimeStampToken, token)));
    }
    const signedData = seq(integerSmall(1), setOf(sha256Alg), seq(oid(OID.data)), this.certificates, tlv(Tag.SET, seq(...parts)));
    return seq(oid(OID.signedData), tlv(ctx(0), signedData));
  }
}

export async function signDetachedCms(options: CmsSignOptions): Promise<Buffer> {
  return new CmsSigner(options.credentials).sign(options);
}
