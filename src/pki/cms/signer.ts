// What the signature forms need from a key holder: the certificate (and chain) and a signing function.
// Key custody (PIN, per-user use, audit) lives elsewhere and hands us one of these for one operation.
import { createPrivateKey, sign as cryptoSign, X509Certificate, type KeyObject } from 'node:crypto';
import { OID } from './oids.ts';

export type KeyAlgorithm = 'rsa' | 'ec';

export interface SigningCredentials {
  readonly certificate: Uint8Array; // DER
  readonly chain: readonly Uint8Array[]; // DER, issuing CA(s); the root may be omitted
  readonly keyAlgorithm: KeyAlgorithm;
  /** Signs `data` with SHA-256 (RSA PKCS#1 v1.5, or ECDSA with a DER signature). */
  sign(data: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

/** Credentials over an in-memory node:crypto key (the key custody layer unlocks it for one operation). */
export function keyObjectCredentials(key: KeyObject, certificate: Uint8Array, chain: readonly Uint8Array[] = []): SigningCredentials {
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec') throw new Error(`unsupported key type ${String(type)}`);
  const cert = new X509Certificate(certificate);
  if (!cert.checkPrivateKey(key)) throw new Error('the private key does not belong to the certificate');
  // The callback form runs the private-key operation on libuv's thread pool (~0.2 ms of RSA-2048 a signature,
  // four per document exchanged) beside the event loop; the same bytes (PKCS#1 v1.5 is deterministic).
  // `npm start` gives the pool 8 threads (UV_THREADPOOL_SIZE): with the default 4, a signature queued
  // behind the blob store's fsyncs waited, and the exchange was slower than signing on the event loop.
  const sign = (data: Uint8Array): Promise<Uint8Array> => new Promise((resolve, reject) => {
    cryptoSign('sha256', data, key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
  return { certificate, chain, keyAlgorithm: type, sign };
}

/** PEM private key (optionally encrypted PKCS#8) → KeyObject. */
export const privateKeyFromPem = (pem: string | Buffer, passphrase?: string): KeyObject => createPrivateKey({ key: pem, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });

export const signatureAlgorithmOid = (alg: KeyAlgorithm): string => (alg === 'rsa' ? OID.sha256WithRSA : OID.ecdsaWithSha256);
