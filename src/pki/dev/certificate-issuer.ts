import { createHash, sign as cryptoSign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { keyUsageBits, type KeyUsage } from '../certificates/parsed-certificate.ts';
import { buildName, type NameAttribute } from '../certificates/distinguished-name.ts';
import { oid } from '../certificates/oids.ts';
import { usePkijsWithNodeCrypto } from '../certificates/pkijs-engine.ts';

// Builds X.509 v3 certificates (RFC 5280) for the development PKI with pkijs, signed RSA-SHA256.

export interface CertificateProfile {
  readonly subject: readonly NameAttribute[];
  readonly serial: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject;
  readonly ca?: { readonly pathLength?: number };
  readonly keyUsage: readonly KeyUsage[];
  readonly extendedKeyUsage?: { readonly purposes: readonly string[]; readonly critical: boolean };
  readonly crlUrl?: string;
  readonly ocspUrl?: string;
  readonly ocspNoCheck?: boolean;
  /** Further extensions, as given (tests of unknown critical extensions). */
  readonly extraExtensions?: readonly pkijs.Extension[];
}

export interface IssuerKeys {
  /** The issuer's certificate; undefined for a self-signed root. */
  readonly certificate?: pkijs.Certificate;
  readonly privateKey: KeyObject;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export const x509Time = (value: Date): pkijs.Time =>
  new pkijs.Time({ type: value.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value });

/** sha256WithRSAEncryption with NULL parameters (RFC 4055 §5: "the parameters MUST be NULL"; pkijs would omit them). */
export const sha256WithRsa = (): pkijs.AlgorithmIdentifier =>
  new pkijs.AlgorithmIdentifier({ algorithmId: oid.sha256WithRSAEncryption, algorithmParams: new asn1js.Null() });

/** RSASSA-PKCS1-v1_5 SHA-256 signature of to-be-signed bytes with node:crypto, as a BIT STRING. */
export function signatureOver(tbs: ArrayBuffer, privateKey: KeyObject): asn1js.BitString {
  return new asn1js.BitString({ valueHex: cryptoSign('sha256', new Uint8Array(tbs), privateKey) });
}

/** DER NamedBitList: trailing zero bits are dropped (X.690 §11.2.2). */
function keyUsageBitString(usages: readonly KeyUsage[]): asn1js.BitString {
  const indices = usages.map((u) => keyUsageBits.indexOf(u));
  const last = Math.max(...indices);
  const bytes = new Uint8Array((last >> 3) + 1);
  for (const i of indices) bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (0x80 >> (i & 7));
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (last & 7) });
}

const extension = (extnID: string, critical: boolean, value: asn1js.BaseBlock | { toSchema(): asn1js.BaseBlock }): pkijs.Extension =>
  new pkijs.Extension({ extnID, critical, extnValue: ('toSchema' in value ? value.toSchema() : value).toBER(false) });

const uri = (value: string): pkijs.GeneralName => new pkijs.GeneralName({ type: 6, value });

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spki: pkijs.PublicKeyInfo): Uint8Array {
  return new Uint8Array(createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest());
}

export function issueCertificate(profile: CertificateProfile, issuer: IssuerKeys): pkijs.Certificate {
  usePkijsWithNodeCrypto();
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: profile.serial });
  const subject = buildName(profile.subject);
  cert.subject = subject;
  cert.issuer = issuer.certificate ? issuer.certificate.subject : subject;
  cert.notBefore = x509Time(profile.notBefore);
  cert.notAfter = x509Time(profile.notAfter);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(profile.publicKey.export({ type: 'spki', format: 'der' }));
  const issuerSpki = issuer.certificate ? issuer.certificate.subjectPublicKeyInfo : cert.subjectPublicKeyInfo;
  const extensions: pkijs.Extension[] = [
    extension(oid.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyIdentifier(cert.subjectPublicKeyInfo) })),
    extension(oid.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyIdentifier(issuerSpki) }) })),
    extension(oid.basicConstraints, true, new pkijs.BasicConstraints(profile.ca ? { cA: true, ...(profile.ca.pathLength !== undefined ? { pathLenConstraint: profile.ca.pathLength } : {}) } : {})),
    extension(oid.keyUsage, true, keyUsageBitString(profile.keyUsage)),
  ];
  if (profile.extendedKeyUsage) {
    extensions.push(extension(oid.extKeyUsage, profile.extendedKeyUsage.critical, new pkijs.ExtKeyUsage({ keyPurposes: [...profile.extendedKeyUsage.purposes] })));
  }
  if (profile.crlUrl) {
    extensions.push(extension(oid.crlDistributionPoints, false, new pkijs.CRLDistributionPoints({
      distributionPoints: [new pkijs.DistributionPoint({ distributionPoint: [uri(profile.crlUrl)] })],
    })));
  }
  if (profile.ocspUrl) {
    extensions.push(extension(oid.authorityInfoAccess, false, new pkijs.InfoAccess({
      accessDescriptions: [new pkijs.AccessDescription({ accessMethod: oid.adOcsp, accessLocation: uri(profile.ocspUrl) })],
    })));
  }
  // RFC 6960 §4.2.2.2.1: a delegated responder's own status is not checked.
  if (profile.ocspNoCheck) extensions.push(extension(oid.ocspNoCheck, false, new asn1js.Null()));
  extensions.push(...(profile.extraExtensions ?? []));
  cert.extensions = extensions;
  cert.signature = sha256WithRsa();
  cert.signatureAlgorithm = sha256WithRsa();
  const tbs = cert.encodeTBS().toBER(false);
  cert.tbsView = new Uint8Array(tbs);
  cert.signatureValue = signatureOver(tbs, issuer.privateKey);
  return cert;
}
