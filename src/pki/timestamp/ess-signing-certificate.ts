import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { childrenOf, contentsOf, objectIdentifier, type Tlv } from '../certificates/der-reader.ts';
import { oid } from '../certificates/oids.ts';
import type { ParsedCertificate } from '../certificates/parsed-certificate.ts';

// ESS signing-certificate attributes binding a signer to its certificate: SigningCertificate (RFC 2634
// §5.4, SHA-1) and SigningCertificateV2 (RFC 5035 §3, SHA-256 by default). RFC 3161 §2.4.1 / RFC 5816
// require one in a TimeStampToken. pkijs has no class for them: built and read with asn1js.

/** SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 } with ESSCertIDv2 { certHash, issuerSerial } (hash SHA-256, the DEFAULT, omitted). */
export function signingCertificateV2Attribute(cert: pkijs.Certificate, der: Uint8Array): pkijs.Attribute {
  const issuerSerial = new asn1js.Sequence({ value: [
    new asn1js.Sequence({ value: [new pkijs.GeneralName({ type: 4, value: cert.issuer }).toSchema()] }),
    new asn1js.Integer({ valueHex: cert.serialNumber.valueBlock.valueHexView }),
  ] });
  const essCertIdV2 = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: createHash('sha256').update(der).digest() }), issuerSerial] });
  return new pkijs.Attribute({ type: oid.signingCertificateV2, values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] })] });
}

const hashNames: Record<string, string> = { [oid.sha1]: 'sha1', [oid.sha256]: 'sha256', [oid.sha384]: 'sha384', [oid.sha512]: 'sha512' };

/**
 * Whether the first ESSCertID(v2) of the signing-certificate(-v2) attribute names `cert` (hash of its
 * DER). `attributes` hold TLVs into `bytes`. Undefined when the attribute is absent or malformed.
 */
export function essCertIdMatches(bytes: Uint8Array, attributes: readonly { type: string; values: readonly Tlv[] }[], cert: ParsedCertificate): boolean | undefined {
  const v2 = attributes.find((a) => a.type === oid.signingCertificateV2);
  const attribute = v2 ?? attributes.find((a) => a.type === oid.signingCertificate);
  const value = attribute?.values[0];
  if (!attribute || attribute.values.length !== 1 || value?.tag !== 0x30) return undefined;
  try {
    const certs = childrenOf(bytes, value)[0];
    const first = certs?.tag === 0x30 ? childrenOf(bytes, certs)[0] : undefined;
    if (first?.tag !== 0x30) return undefined;
    const parts = childrenOf(bytes, first);
    let algorithm = v2 ? 'sha256' : 'sha1';
    let hash = parts[0];
    if (v2 && hash?.tag === 0x30) {
      const algorithmOid = childrenOf(bytes, hash)[0];
      const named = algorithmOid?.tag === 0x06 ? hashNames[objectIdentifier(contentsOf(bytes, algorithmOid))] : undefined;
      if (!named) return false;
      algorithm = named;
      hash = parts[1];
    }
    if (hash?.tag !== 0x04) return undefined;
    return createHash(algorithm).update(cert.der).digest().equals(contentsOf(bytes, hash));
  } catch {
    return undefined;
  }
}
