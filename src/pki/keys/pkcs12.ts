import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { DomainError } from '../../domain/errors.ts';

// PKCS#12 (RFC 7292) through node-forge (STACK.md: it reads OpenSSL 3's default P12). Off the hot path:
// a key is read once, then held as a node:crypto KeyObject. RSA keys only (node-forge has no EC).

const binary = (bytes: Uint8Array): string => Buffer.from(bytes).toString('binary');
const bytesOf = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'binary'));

/** A PKCS#12 with the key (PBES2/AES-256 shrouded bag), the certificate and its chain, HMAC integrity. */
export function writePkcs12(input: { privateKey: KeyObject; certificate: Uint8Array; chain: readonly Uint8Array[]; passphrase: string; friendlyName: string }): Uint8Array {
  const key = forge.pki.privateKeyFromPem(input.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const certs = [input.certificate, ...input.chain].map((der) => forge.pki.certificateFromAsn1(forge.asn1.fromDer(binary(der))));
  const p12 = forge.pkcs12.toPkcs12Asn1(key, certs, input.passphrase, { algorithm: 'aes256', friendlyName: input.friendlyName, generateLocalKeyId: true });
  return bytesOf(forge.asn1.toDer(p12).getBytes());
}

export interface Pkcs12Contents {
  readonly privateKey: KeyObject;
  /** The certificate whose public key matches the private key first, then the others (chain). DER. */
  readonly certificates: readonly Uint8Array[];
}

export function readPkcs12(bytes: Uint8Array, passphrase: string): Pkcs12Contents {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(binary(bytes)), passphrase);
  } catch (cause) {
    throw new DomainError('pki.invalid_key', { cause, details: [{ field: 'pkcs12', message: 'cannot open the PKCS#12: wrong passphrase or unsupported format' }] });
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag as string })[forge.pki.oids.pkcs8ShroudedKeyBag as string] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag as string })[forge.pki.oids.keyBag as string] ?? []),
  ];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag as string })[forge.pki.oids.certBag as string] ?? [];
  const forgeKey = keyBags[0]?.key;
  if (keyBags.length !== 1 || !forgeKey) {
    throw new DomainError('pki.invalid_key', { details: [{ field: 'pkcs12', message: `expected exactly one RSA private key, found ${keyBags.length}` }] });
  }
  const privateKey = createPrivateKey(forge.pki.privateKeyToPem(forgeKey));
  const publicKey = createPublicKey(privateKey);
  const certificates = certBags.filter((b) => b.cert).map((b) => bytesOf(forge.asn1.toDer(forge.pki.certificateToAsn1(b.cert as forge.pki.Certificate)).getBytes()));
  const leafIndex = certificates.findIndex((der) => new X509Certificate(der).publicKey.equals(publicKey));
  if (leafIndex < 0) throw new DomainError('pki.invalid_key', { details: [{ field: 'pkcs12', message: 'no certificate in the PKCS#12 matches its private key' }] });
  return { privateKey, certificates: [certificates[leafIndex] as Uint8Array, ...certificates.filter((_, i) => i !== leafIndex)] };
}
