import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { KeyObject } from 'node:crypto';
import { oid } from '../certificates/oids.ts';
import { usePkijsWithNodeCrypto } from '../certificates/pkijs-engine.ts';
import { keyIdentifier, sha256WithRsa, signatureOver, x509Time } from './certificate-issuer.ts';

/** RFC 5280 §5.3.1 reason codes used by the dev CA. */
export const crlReasons = { unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5 } as const;
export type CrlReason = keyof typeof crlReasons;

export interface RevokedEntry {
  readonly serialHex: string;
  readonly revokedAt: Date;
  readonly reason: CrlReason;
}

/** Issues a v2 CRL (RFC 5280 §5) signed RSA-SHA256 by the CA, with CRL number and AKI. */
export function issueCrl(input: {
  readonly issuer: pkijs.Certificate;
  readonly issuerKey: KeyObject;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly crlNumber: number;
  readonly revoked: readonly RevokedEntry[];
}): Uint8Array {
  usePkijsWithNodeCrypto();
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = input.issuer.subject;
  crl.thisUpdate = x509Time(input.thisUpdate);
  crl.nextUpdate = x509Time(input.nextUpdate);
  if (input.revoked.length > 0) {
    crl.revokedCertificates = input.revoked.map((r) => new pkijs.RevokedCertificate({
      userCertificate: new asn1js.Integer({ valueHex: Buffer.from(r.serialHex, 'hex') }),
      revocationDate: x509Time(r.revokedAt),
      crlEntryExtensions: new pkijs.Extensions({
        extensions: [new pkijs.Extension({ extnID: oid.crlReason, critical: false, extnValue: new asn1js.Enumerated({ value: crlReasons[r.reason] }).toBER(false) })],
      }),
    }));
  }
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [
      new pkijs.Extension({ extnID: oid.crlNumber, critical: false, extnValue: new asn1js.Integer({ value: input.crlNumber }).toBER(false) }),
      new pkijs.Extension({
        extnID: oid.authorityKeyIdentifier, critical: false,
        extnValue: new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyIdentifier(input.issuer.subjectPublicKeyInfo) }) }).toSchema().toBER(false),
      }),
    ],
  });
  crl.signature = sha256WithRsa();
  crl.signatureAlgorithm = sha256WithRsa();
  const tbs = (crl as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER(false);
  crl.tbsView = new Uint8Array(tbs);
  crl.signatureValue = signatureOver(tbs, input.issuerKey);
  return new Uint8Array(crl.toSchema().toBER(false));
}
