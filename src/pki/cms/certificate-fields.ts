// The few fields of an X.509 certificate (RFC 5280 §4.1) the CMS code needs, read as DER views:
// issuer and serial number identify the signer (RFC 5652 §10.2.4 IssuerAndSerialNumber).
import { children, encoded, expectTag, readNode, Tag, type DerNode } from './der.ts';

export interface CertificateFields {
  readonly der: Uint8Array;
  readonly serialNumber: Uint8Array; // the encoded INTEGER (tag included)
  readonly issuer: Uint8Array; // the encoded Name
  readonly subject: Uint8Array;
}

export function certificateFields(der: Uint8Array): CertificateFields {
  const cert = expectTag(readNode(der), Tag.SEQUENCE, 'Certificate');
  const tbs = expectTag(children(cert)[0], Tag.SEQUENCE, 'TBSCertificate');
  const f = children(tbs);
  let i = 0;
  if (f[0]?.tag === 0xa0) i = 1; // [0] EXPLICIT version
  const serial = expectTag(f[i], Tag.INTEGER, 'serialNumber');
  const issuer = expectTag(f[i + 2], Tag.SEQUENCE, 'issuer');
  const subject = expectTag(f[i + 4], Tag.SEQUENCE, 'subject');
  return { der: encoded(cert), serialNumber: encoded(serial), issuer: encoded(issuer), subject: encoded(subject) };
}

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

export type { DerNode };
