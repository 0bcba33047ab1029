import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { oid } from './oids.ts';

// Signature algorithms accepted on certificates, CRLs, OCSP responses and time-stamp tokens. SHA-1 and
// MD5 based signatures are refused (ETSI TS 119 312 cryptographic suites).

const digestOfSignatureAlgorithm: Record<string, string> = {
  [oid.sha256WithRSAEncryption]: 'sha256',
  [oid.sha384WithRSAEncryption]: 'sha384',
  [oid.sha512WithRSAEncryption]: 'sha512',
  [oid.ecdsaWithSha256]: 'sha256',
  [oid.ecdsaWithSha384]: 'sha384',
};

export const digestOfDigestAlgorithm: Record<string, string> = {
  [oid.sha256]: 'sha256',
  [oid.sha384]: 'sha384',
  [oid.sha512]: 'sha512',
};

export const isAcceptedSignatureAlgorithm = (algorithmOid: string): boolean => algorithmOid in digestOfSignatureAlgorithm;

/** Verifies `signature` over `data` with node:crypto (OpenSSL). False for refused algorithms. */
export function verifySignature(algorithmOid: string, data: Uint8Array, publicKey: KeyObject, signature: Uint8Array): boolean {
  const digest = digestOfSignatureAlgorithm[algorithmOid];
  if (digest === undefined) return false;
  try {
    return cryptoVerify(digest, data, publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * CMS SignerInfo: signatureAlgorithm may be rsaEncryption with the digest given apart (RFC 5754 §3.2), or a
 * combined sha*WithRSAEncryption / ecdsa-with-SHA* identifier.
 */
export function verifyCmsSignature(signatureAlgorithmOid: string, digestAlgorithmOid: string, data: Uint8Array, publicKey: KeyObject, signature: Uint8Array): boolean {
  const digest = digestOfDigestAlgorithm[digestAlgorithmOid];
  if (digest === undefined) return false;
  if (signatureAlgorithmOid === oid.rsaEncryption) {
    try { return cryptoVerify(digest, data, publicKey, signature); } catch { return false; }
  }
  if (digestOfSignatureAlgorithm[signatureAlgorithmOid] !== digest) return false;
  return verifySignature(signatureAlgorithmOid, data, publicKey, signature);
}
