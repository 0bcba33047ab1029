// Content-addressed blob store on the file system: DATA_DIR/blobs/ab/cd/<sha256>. Bytes are streamed to a
// temporary file while hashed, then renamed into place, so a 50 MB attachment never sits in memory whole
// and a crash never leaves a half-written blob under its final name. A put is durable when it returns: the
// file is flushed to disk before the rename and its directory after it, because the caller then commits a
// database row naming the blob (and the receiver acknowledges the broker): a blob lost to a power cut
// after that commit would be a document lost.
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DomainError } from '../domain/errors.ts';
import type { SweepableBlobStore } from '../domain/blob-sweep.ts';
import type { BlobReader, BlobStore } from '../domain/registry-ports.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class FileSystemBlobStore implements BlobStore, SweepableBlobStore {
  /** Directories made (or found) already: a put then costs no mkdir calls (a sweep removes blobs, never directories). */
  private readonly made = new Set<string>();

  constructor(private readonly root: string) {}

  private async ensureDir(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined) { // new directories: their entries in their parents made durable too
      for (let d = dir; d !== dirname(created); d = dirname(d)) await syncDirectory(dirname(d));
    }
    this.made.add(dir);
  }

  private pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new DomainError('attachment.not_found');
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /**
   * A full disk is an outage, not bad input: `storage.full` is of kind `unavailable`, so the inbox holds a
   * delivery and retries it (like a database outage) instead of spending its delivery count.
   */
  async put(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ sha256: string; size: number }> {
    try {
      return await this.write(source, maxBytes);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new DomainError('storage.full', { cause: error, details: [{ field: 'dataDir', message: `${code}: ${this.root}` }] });
      throw error;
    }
  }

  private async write(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ sha256: string; size: number }> {
    const tmpDir = join(this.root, 'tmp');
    await this.ensureDir(tmpDir);
    const tmp = join(tmpDir, randomUUID());
    const out = await open(tmp, 'wx');
    let closed = false;
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > maxBytes) throw new DomainError('attachment.too_large', { details: [{ field: 'file', message: `larger than ${maxBytes} bytes` }] });
        hash.update(chunk);
        await out.writeFile(chunk);
      }
      await out.sync();
      closed = true;
      await out.close();
      const sha256 = hash.digest('hex');
      const final = this.pathOf(sha256);
      await this.ensureDir(dirname(final));
      await rename(tmp, final);
      await syncDirectory(dirname(final));
      return { sha256, size };
    } catch (error) {
      if (!closed) await out.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw error;
    }
  }

  open(sha256: string): AsyncIterable<Uint8Array> {
    return createReadStream(this.pathOf(sha256));
  }

  async openReader(sha256: string): Promise<BlobReader> {
    const path = this.pathOf(sha256);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new DomainError('attachment.not_found', { details: [{ field: 'sha256', message: sha256 }] });
      throw error;
    }
    const size = fstatSync(fd).size;
    let closed = false;
    return {
      size,
      readSync(offset, length) {
        const out = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
        let at = 0;
        while (at < out.length) {
          const n = readSync(fd, out, at, out.length - at, offset + at);
          if (n === 0) break;
          at += n;
        }
        return at === out.length ? out : out.subarray(0, at);
      },
      chunks: (start, end) => (end > start ? createReadStream(path, { start, end: end - 1 }) : empty()),
      async close() { if (!closed) { closed = true; closeSync(fd); } },
    };
  }

  async has(sha256: string): Promise<boolean> {
    try { await access(this.pathOf(sha256)); return true; } catch { return false; }
  }

  async *listWrittenBefore(cutoff: Date): AsyncIterable<string> {
    for (const first of await entries(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(first)) continue; // tmp/, trash/
      for (const second of await entries(join(this.root, first))) {
        for (const name of await entries(join(this.root, first, second))) {
          if (!SHA256_HEX.test(name)) continue;
          const written = await mtimeOf(join(this.root, first, second, name));
          if (written !== undefined && written < cutoff.getTime()) yield name;
        }
      }
    }
  }

  /**
   * Moves the blob aside (atomic), then looks at what it moved: a file written since `cutoff` is a put that
   * raced the sweep, and goes back (content-addressed: whatever is at the path now has the same bytes).
   */
  async removeIfWrittenBefore(sha256: string, cutoff: Date): Promise<boolean> {
    const path = this.pathOf(sha256);
    const trashDir = join(this.root, 'trash');
    await this.ensureDir(trashDir);
    const aside = join(trashDir, `${sha256}.${randomUUID()}`);
    try { await rename(path, aside); } catch (error) { if (isMissing(error)) return false; throw error; }
    const written = await mtimeOf(aside);
    if (written !== undefined && written >= cutoff.getTime()) {
      await rename(aside, path);
      return false;
    }
    await rm(aside, { force: true });
    return true;
  }

  async removeTemporariesBefore(cutoff: Date): Promise<number> {
    let removed = 0;
    for (const dir of ['tmp', 'trash']) {
      for (const name of await entries(join(this.root, dir))) {
        const written = await mtimeOf(join(this.root, dir, name));
        if (written === undefined || written >= cutoff.getTime()) continue;
        await rm(join(this.root, dir, name), { force: true });
        removed += 1;
      }
    }
    return removed;
  }
}

/** Flushes a directory's entries (a rename into it) to disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try { await handle.sync(); } finally { await handle.close(); }
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

async function entries(dir: string): Promise<string[]> {
  try { return await readdir(dir); } catch (error) { if (isMissing(error)) return []; throw error; }
}

/** Last write time (ms), or undefined when the file is gone. */
async function mtimeOf(path: string): Promise<number | undefined> {
  try { return (await stat(path)).mtimeMs; } catch (error) { if (isMissing(error)) return undefined; throw error; }
}

async function* empty(): AsyncIterable<Uint8Array> { /* no bytes */ }
