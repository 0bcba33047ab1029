// Content-addressed blob store on the file system: DATA_DIR/blobs/ab/cd/<sha256>. Bytes are streamed to a
// temporary file while hashed, then renamed into place, so a 50 MB attachment never sits in memory whole
// and a crash never leaves a half-written blob under its final name.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { DomainError } from '../domain/errors.ts';
import type { BlobStore } from '../domain/registry-ports.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class FileSystemBlobStore implements BlobStore {
  /** Directories made (or found) already: a put then costs no mkdir calls (blobs are never removed). */
  private readonly made = new Set<string>();

  constructor(private readonly root: string) {}

  private async ensureDir(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.made.add(dir);
  }

  private pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new DomainError('attachment.not_found');
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ sha256: string; size: number }> {
    const tmpDir = join(this.root, 'tmp');
    await this.ensureDir(tmpDir);
    const tmp = join(tmpDir, randomUUID());
    const out = createWriteStream(tmp, { flags: 'wx' });
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > maxBytes) throw new DomainError('attachment.too_large', { details: [{ field: 'file', message: `larger than ${maxBytes} bytes` }] });
        hash.update(chunk);
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      const sha256 = hash.digest('hex');
      const final = this.pathOf(sha256);
      await this.ensureDir(join(final, '..'));
      await rename(tmp, final);
      return { sha256, size };
    } catch (error) {
      out.destroy();
      await rm(tmp, { force: true });
      throw error;
    }
  }

  open(sha256: string): AsyncIterable<Uint8Array> {
    return createReadStream(this.pathOf(sha256));
  }

  async has(sha256: string): Promise<boolean> {
    try { await access(this.pathOf(sha256)); return true; } catch { return false; }
  }
}
