import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { DomainError } from '../../domain/errors.ts';
import { derObjects, toPem } from '../certificates/pem.ts';
import { readPkcs12, writePkcs12 } from './pkcs12.ts';

// Key storage for signers (issue 3 item 4; the custody rules — PIN, per-user use, audit — are built over
// the database by the custody service). Keys at rest are always encrypted: PKCS#8 EncryptedPrivateKeyInfo
// (PBES2, AES-256-CBC) or PKCS#12; a plain PEM key is refused unless the caller explicitly allows it (tests).

/** A signer's key material, decrypted in memory for one operation or a short window. */
export interface SigningKeyMaterial {
  readonly privateKey: KeyObject;
  /** The signer's certificate (DER). */
  readonly certificate: Uint8Array;
  /** Issuing CA certificates, nearest first (DER); may be empty when the trust list supplies them. */
  readonly chain: readonly Uint8Array[];
}

export interface LoadSigningKeyInput {
  /** Bytes of a PKCS#12 file or of a PEM file with an (encrypted) PKCS#8 private key. */
  readonly key: Uint8Array;
  readonly passphrase: string;
  /** PEM or DER certificate(s): required with a PEM key; the first is the signer's. */
  readonly certificate?: Uint8Array;
  readonly chain?: readonly Uint8Array[];
  readonly allowUnencryptedPem?: boolean;
}

const isPem = (bytes: Uint8Array): boolean => Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN');

export function encryptPrivateKeyPem(privateKey: KeyObject, passphrase: string): string {
  return privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
}

function assertKeyMatchesCertificate(privateKey: KeyObject, certificate: Uint8Array): void {
  let cert: X509Certificate;
  try { cert = new X509Certificate(certificate); } catch (cause) {
    throw new DomainError('pki.invalid_certificate', { cause, details: [{ field: 'certificate', message: 'cannot parse the signer certificate' }] });
  }
  if (!cert.publicKey.equals(createPublicKey(privateKey))) {
    throw new DomainError('pki.invalid_key', { details: [{ field: 'certificate', message: 'the certificate does not match the private key' }] });
  }
}

export function loadSigningKey(input: LoadSigningKeyInput): SigningKeyMaterial {
  const extraChain = (input.chain ?? []).flatMap((c) => derObjects(c, 'CERTIFICATE'));
  if (!isPem(input.key)) {
    const p12 = readPkcs12(input.key, input.passphrase);
    const given = input.certificate ? derObjects(input.certificate, 'CERTIFICATE') : [];
    const [certificate, ...chain] = given.length > 0 ? [...given, ...p12.certificates] : p12.certificates;
    assertKeyMatchesCertificate(p12.privateKey, certificate as Uint8Array);
    return { privateKey: p12.privateKey, certificate: certificate as Uint8Array, chain: dedupe([...chain, ...extraChain]) };
  }
  const text = Buffer.from(input.key).toString('utf8');
  const encrypted = text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----');
  if (!encrypted && !input.allowUnencryptedPem) {
    throw new DomainError('pki.invalid_key', { details: [{ field: 'key', message: 'private keys must be stored encrypted (PKCS#8 EncryptedPrivateKeyInfo or PKCS#12)' }] });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem', ...(encrypted ? { passphrase: input.passphrase } : {}) });
  } catch (cause) {
    throw new DomainError('pki.invalid_key', { cause, details: [{ field: 'key', message: 'cannot decrypt the private key: wrong passphrase or unsupported format' }] });
  }
  const certs = input.certificate ? derObjects(input.certificate, 'CERTIFICATE') : [];
  const [certificate, ...chain] = certs;
  if (!certificate) throw new DomainError('pki.invalid_certificate', { details: [{ field: 'certificate', message: 'a PEM key needs its certificate (--cert)' }] });
  assertKeyMatchesCertificate(privateKey, certificate);
  return { privateKey, certificate, chain: dedupe([...chain, ...extraChain]) };
}

/** Imports an agency's real PKCS#12 (issue 3 item 4): decrypts it with its passphrase and checks key ↔ certificate. */
export const importPkcs12 = (bytes: Uint8Array, passphrase: string): SigningKeyMaterial => loadSigningKey({ key: bytes, passphrase });

/** What the custody service stores: the key re-encrypted under the holder's PIN, and the certificates. */
export function exportForCustody(material: SigningKeyMaterial, pin: string): { encryptedPrivateKeyPem: string; certificatePem: string; chainPem: string; pkcs12: Uint8Array } {
  return {
    encryptedPrivateKeyPem: encryptPrivateKeyPem(material.privateKey, pin),
    certificatePem: toPem(material.certificate, 'CERTIFICATE'),
    chainPem: material.chain.map((c) => toPem(c, 'CERTIFICATE')).join(''),
    pkcs12: writePkcs12({ privateKey: material.privateKey, certificate: material.certificate, chain: material.chain, passphrase: pin, friendlyName: 'edoc-node' }),
  };
}

function dedupe(list: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return list.filter((der) => {
    const key = Buffer.from(der).toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
