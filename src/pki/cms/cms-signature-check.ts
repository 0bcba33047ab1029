// The cryptographic part of verifying a CMS signer (RFC 5652 §5.4, §5.6; RFC 5035 §3): the message
// digest over the content, the ESS certificate binding, and the signature over the signed attributes.
import { createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { SubIndication } from '../../domain/validation-report.ts';
import { sameBytes } from './certificate-fields.ts';
import type { CmsSignatureParts } from './signed-data-parser.ts';

export type CryptoCheck = { readonly ok: true } | { readonly ok: false; readonly subIndication: SubIndication; readonly message: string };

export function checkCmsCryptography(parts: CmsSignatureParts, contentDigest: Uint8Array, signerKey: KeyObject): CryptoCheck {
  if (!sameBytes(parts.messageDigest, contentDigest)) return { ok: false, subIndication: 'HASH_FAILURE', message: 'the message-digest attribute does not match the signed content' };
  const certificate = parts.signerCertificate as Uint8Array;
  if (parts.essCertId) {
    const actual = createHash(parts.essCertId.algorithm).update(certificate).digest();
    if (!sameBytes(actual, parts.essCertId.hash)) return { ok: false, subIndication: 'SIG_CRYPTO_FAILURE', message: 'the signing-certificate attribute names another certificate' };
  }
  const good = cryptoVerify(parts.digestAlgorithm, parts.signedAttributes, signerKey, parts.signature);
  return good ? { ok: true } : { ok: false, subIndication: 'SIG_CRYPTO_FAILURE', message: 'the signature value does not verify with the signer certificate' };
}
