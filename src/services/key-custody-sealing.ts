// How a private key is kept at rest in signing_keys.sealed_private_key (docs/signing-custody.md):
//   byte 0      format version (1)
//   bytes 1-16  scrypt salt (random)
//   bytes 17-28 AES-256-GCM nonce (random, NIST SP 800-38D §8.2.2)
//   bytes 29-44 GCM tag
//   rest        ciphertext of the PKCS#8 DER private key
// The AES key is scrypt (RFC 7914) of a secret: for a personal key HMAC-SHA256(node secret, PIN) — the PIN
// "peppered" by the node secret, so that a copy of the database alone does not allow guessing a short PIN
// offline; for the organisation key the node secret itself. The associated data binds the ciphertext to
// its row (key id, agency, kind): a sealed key copied onto another row does not open. A wrong PIN fails
// the GCM tag check, which is how a wrong PIN is recognised.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';
import type { KeyProtection } from '../domain/signing-keys.ts';

const VERSION = 1;
const SALT = 16;
const NONCE = 12;
const TAG = 16;

export interface SealingParameters {
  /** scrypt N (power of two); r = 8, p = 1. */
  readonly cost: number;
}

export interface SealContext {
  readonly keyId: string;
  readonly agencyOrganId: string;
  readonly protection: KeyProtection;
}

export class WrongSecretError extends Error {}

const scrypt = (secret: Buffer, salt: Buffer, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => { scryptCallback(secret, salt, 32, options, (error, key) => (error ? reject(error) : resolve(key))); });

const associatedData = (c: SealContext): Buffer => Buffer.from(`edoc-node signing key v${VERSION}|${c.keyId}|${c.agencyOrganId}|${c.protection}`, 'utf8');

/** Seals and opens private keys under a PIN or the node secret; the node secret is given at construction. */
export class KeySealer {
  constructor(private readonly nodeSecret: string, private readonly parameters: SealingParameters) {
    if (nodeSecret.length < 16) throw new Error('the node key-encryption secret must have at least 16 characters');
  }

  private async derive(context: SealContext, pin: string | null, salt: Buffer): Promise<Buffer> {
    const secret = context.protection === 'pin'
      ? createHmac('sha256', this.nodeSecret).update(`pin|${pin ?? ''}`, 'utf8').digest()
      : Buffer.from(this.nodeSecret, 'utf8');
    const n = this.parameters.cost;
    return scrypt(secret, salt, { N: n, r: 8, p: 1, maxmem: 256 * n * 8 + 1024 * 1024 });
  }

  async seal(pkcs8: Buffer, context: SealContext, pin: string | null): Promise<Buffer> {
    const salt = randomBytes(SALT);
    const nonce = randomBytes(NONCE);
    const key = await this.derive(context, pin, salt);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(associatedData(context));
    const body = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), salt, nonce, cipher.getAuthTag(), body]);
  }

  /** The PKCS#8 DER; throws WrongSecretError when the PIN (or node secret) does not open it. */
  async open(sealed: Buffer, context: SealContext, pin: string | null): Promise<Buffer> {
    if (sealed.length < 1 + SALT + NONCE + TAG + 1 || sealed[0] !== VERSION) throw new Error('unknown sealed key format');
    const salt = sealed.subarray(1, 1 + SALT);
    const nonce = sealed.subarray(1 + SALT, 1 + SALT + NONCE);
    const tag = sealed.subarray(1 + SALT + NONCE, 1 + SALT + NONCE + TAG);
    const key = await this.derive(context, pin, salt);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(associatedData(context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + SALT + NONCE + TAG)), decipher.final()]);
    } catch {
      throw new WrongSecretError('the secret does not open this key');
    }
  }
}
