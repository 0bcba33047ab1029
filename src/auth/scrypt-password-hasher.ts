// Passwords hashed with scrypt (memory-hard: 128 · N · r bytes per hash, 16 MiB at the defaults), stored
// as `scrypt$N$r$p$salt$hash` so parameters can be raised later without invalidating stored hashes.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { PasswordHasher } from '../domain/user.ts';

const derive = (password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

export class ScryptPasswordHasher implements PasswordHasher {
  constructor(private readonly params: { cost: number; blockSize: number; parallelization: number }) {}

  private options(N: number, r: number, p: number): ScryptOptions {
    return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const { cost: N, blockSize: r, parallelization: p } = this.params;
    const key = await derive(password, salt, 32, this.options(N, r, p));
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, N, r, p, salt, key] = stored.split('$');
    if (scheme !== 'scrypt' || !N || !r || !p || !salt || !key) return false;
    const expected = Buffer.from(key, 'base64');
    const actual = await derive(password, Buffer.from(salt, 'base64'), expected.length, this.options(Number(N), Number(r), Number(p)));
    return timingSafeEqual(expected, actual);
  }
}
