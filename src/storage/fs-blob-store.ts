// Content-addressed blob store on the file system: DATA_DIR/blobs/ab/<sha256>. Bytes are streamed to a
// temporary file while hashed, then renamed into place, so a 50 MB attachment never sits in memory whole
// and a crash never leaves a half-written blob under its final name. A put is durable when it returns: the
// file is flushed to disk before the rename and its directory after it, because the caller then commits a
// database row naming the blob (and the receiver acknowledges the broker): a blob lost to a power cut
// after that commit would be a document lost.
// A new directory's entry in its parent is flushed too, before a put that renamed into it returns — also a
// put that found the directory made by another put still flushing it — and the flushes after the rename
// (the directory's, its new parents') run at once, one wait instead of two.
// One level of 256 directories (as git's objects), not two (ab/cd/, until 7 Dec 2026): with 65,536 leaf
// directories nearly every put of a store's first few hundred thousand blobs made a new one — a mkdir and
// one more flush (its entry in ab/) per put. `upgradeLayout` moves the blobs of a store written before.
// Thread-pool hops: each async fs call is a trip to libuv's thread pool and back, two context switches
// that cost more than the call itself on this VM (`npm run bench:exchange` counts them). So a put makes its
// quick calls synchronously — open, close, rename, mkdir, and the writes of its first SYNC_WRITE_BYTES (page
// cache copies) — and only its two flushes (file, directory) and the writes of a large file go to the pool.
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fstatSync, fsync, mkdirSync, openSync, readSync, renameSync, write as writeAsync, writeFileSync, writeSync } from 'node:fs';
import { access, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { DomainError } from '../domain/errors.ts';
import type { SweepableBlobStore } from '../domain/blob-sweep.ts';
import type { BlobReader, BlobStore } from '../domain/registry-ports.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Written once the store is in the one-level layout (`upgradeLayout`). */
const LAYOUT_MARKER = 'layout';
/** A directory of the layout: the first two hex digits of the blobs' SHA-256. */
const HEX_PAIR = /^[0-9a-f]{2}$/;
/** A put writes this much synchronously (page-cache copies of a few hundred µs at most); more, on the thread pool. */
const SYNC_WRITE_BYTES = 2 * 1024 * 1024;
const fsyncOnPool = promisify(fsync);
const writeOnPool = promisify(writeAsync);

/** The file calls of a put that tests watch or fail (flushes recorded in order, a full disk). */
export interface BlobFileCalls {
  /** Flushes the file or directory open as `fd` (on the thread pool). */
  flush(fd: number): Promise<void>;
  /** Writes some of `bytes` at the file's position: here (`now`) or on the thread pool; the count written. */
  write(fd: number, bytes: Uint8Array, now: boolean): Promise<number>;
}

const FILE_CALLS: BlobFileCalls = {
  flush: (fd) => fsyncOnPool(fd),
  write: async (fd, bytes, now) => (now ? writeSync(fd, bytes) : (await writeOnPool(fd, bytes)).bytesWritten),
};

export class FileSystemBlobStore implements BlobStore, SweepableBlobStore {
  /** Directories made (or found) already, durable: a put then costs no mkdir calls (a sweep removes blobs, never directories). */
  private readonly made = new Set<string>();
  /** Directories this store made whose entries in their parents are being flushed. */
  private readonly making = new Map<string, Promise<void>>();
  /** Directories made whose parents' flush failed: the parents to flush before the next put into them returns. */
  private readonly unflushed = new Map<string, string[]>();

  constructor(private readonly root: string, private readonly calls: BlobFileCalls = FILE_CALLS) {}

  /**
   * Makes `dir` (mkdir now) and returns what makes its entry, and its new parents', durable: null when
   * nothing is left to flush, else the flushes under way (this put's, or the put's that made it).
   */
  private makeDir(dir: string): Promise<void> | null {
    if (this.made.has(dir)) return null;
    const pending = this.making.get(dir);
    if (pending) return pending;
    const created = mkdirSync(dir, { recursive: true });
    const parents = [...(this.unflushed.get(dir) ?? [])];
    for (let d = dir; created !== undefined && d !== dirname(created); d = dirname(d)) parents.push(dirname(d));
    if (parents.length === 0) { this.made.add(dir); return null; }
    const durable = Promise.all(parents.map((parent) => this.syncDirectory(parent)))
      .then(() => { this.made.add(dir); this.unflushed.delete(dir); }, (error: unknown) => { this.unflushed.set(dir, parents); throw error; })
      .finally(() => this.making.delete(dir));
    durable.catch(() => undefined); // the puts that need it await it; this keeps a put that failed first from leaving it unhandled
    this.making.set(dir, durable);
    return durable;
  }

  /** Flushes a directory's entries (a rename into it) to disk. */
  private async syncDirectory(dir: string): Promise<void> {
    const fd = openSync(dir, 'r');
    try { await this.calls.flush(fd); } finally { closeSync(fd); }
  }

  private pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new DomainError('attachment.not_found');
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  /**
   * Moves the blobs of the two-level layout (ab/cd/<sha256>) into ab/, then removes the emptied ab/cd/:
   * run at start, before any read. Each move is a rename within the store (atomic; a blob already at its
   * new place has the same bytes); ab/ is flushed before its old subdirectories go, so a crash part-way
   * leaves every blob in one place or the other and the next start finishes. Other files are left where
   * they are. Returns the number of blobs moved. A store found in the new layout is marked (`layout`), and
   * a marked one is not scanned again (a million blobs are a million directory entries to list); one that
   * does not exist yet is left so.
   */
  async upgradeLayout(): Promise<number> {
    const marker = join(this.root, LAYOUT_MARKER);
    // A store not made yet is made in the new layout by its first put (a command that never stores a file,
    // such as `migrate` against PostgreSQL, creates nothing under DATA_DIR here); marked at the next start.
    if (!existsSync(this.root) || existsSync(marker)) return 0;
    let moved = 0;
    for (const first of await entries(this.root)) {
      if (!HEX_PAIR.test(first)) continue; // tmp/, trash/
      const top = join(this.root, first);
      const legacy = (await entries(top)).filter((name) => HEX_PAIR.test(name));
      if (legacy.length === 0) continue;
      for (const second of legacy) {
        for (const name of await entries(join(top, second))) {
          if (!SHA256_HEX.test(name) || !name.startsWith(first + second)) continue;
          try {
            await rename(join(top, second, name), join(top, name));
            moved += 1;
          } catch (error) { if (!isMissing(error)) throw error; } // moved by another process of the node starting beside this one
        }
      }
      await this.syncDirectory(top);
      for (const second of legacy) {
        try { await rmdir(join(top, second)); } catch (error) { if (!isMissing(error) && (error as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw error; }
      }
    }
    writeFileSync(marker, 'one level: ab/<sha256>\n'); // lost in a crash: the next start scans again, nothing to move
    return moved;
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
    await this.makeDir(tmpDir);
    const tmp = join(tmpDir, randomUUID());
    const fd = openSync(tmp, 'wx');
    let closed = false;
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > maxBytes) throw new DomainError('attachment.too_large', { details: [{ field: 'file', message: `larger than ${maxBytes} bytes` }] });
        hash.update(chunk);
        for (let at = 0; at < chunk.length;) at += await this.calls.write(fd, chunk.subarray(at), size <= SYNC_WRITE_BYTES);
      }
      await this.calls.flush(fd);
      closed = true;
      closeSync(fd);
      const sha256 = hash.digest('hex');
      const final = this.pathOf(sha256);
      const dirDurable = this.makeDir(dirname(final));
      renameSync(tmp, final);
      await Promise.all([this.syncDirectory(dirname(final)), dirDurable]);
      return { sha256, size };
    } catch (error) {
      if (!closed) try { closeSync(fd); } catch { /* the put's own error is the one to report */ }
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
      if (!HEX_PAIR.test(first)) continue; // tmp/, trash/
      for (const name of await entries(join(this.root, first))) {
        if (!SHA256_HEX.test(name)) continue;
        const written = await mtimeOf(join(this.root, first, name));
        if (written !== undefined && written < cutoff.getTime()) yield name;
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
    await this.makeDir(trashDir);
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

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

async function entries(dir: string): Promise<string[]> {
  try { return await readdir(dir); } catch (error) { if (isMissing(error)) return []; throw error; }
}

/** Last write time (ms), or undefined when the file is gone. */
async function mtimeOf(path: string): Promise<number | undefined> {
  try { return (await stat(path)).mtimeMs; } catch (error) { if (isMissing(error)) return undefined; throw error; }
}

async function* empty(): AsyncIterable<Uint8Array> { /* no bytes */ }
