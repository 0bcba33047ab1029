// The file-system blob store: content-addressed, nothing half-written under a final name, and durable when
// `put` returns (the caller commits a row naming the blob right after): the file is flushed before it is
// renamed into place, and the directory that received the rename after.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, fsyncSync, readlinkSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DomainError } from '../../../src/domain/errors.ts';
import { readBlob } from '../../../src/domain/registry-ports.ts';
import { FileSystemBlobStore, type BlobFileCalls } from '../../../src/storage/fs-blob-store.ts';

async function* chunks(...parts: Buffer[]): AsyncIterable<Uint8Array> { for (const p of parts) yield p; }

/** Two small blobs stored in one directory: the same first two hex digits of their SHA-256. */
function twoInOneDirectory(): [Buffer, Buffer] {
  const seen = new Map<string, Buffer>();
  for (;;) {
    const bytes = randomBytes(16);
    const prefix = createHash('sha256').update(bytes).digest('hex').slice(0, 2);
    const other = seen.get(prefix);
    if (other) return [other, bytes];
    seen.set(prefix, bytes);
  }
}

describe('FileSystemBlobStore', () => {
  let root: string;
  let synced: string[];
  /** Writes made on the thread pool (`now` false): their sizes. */
  let pooledWrites: number[];
  /** The store's file calls, recording the path behind each flush (Linux: /proc/self/fd) and pooled writes. */
  let calls: BlobFileCalls;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'blobs-'));
    synced = [];
    pooledWrites = [];
    calls = {
      flush: async (fd) => { synced.push(readlinkSync(`/proc/self/fd/${fd}`)); fsyncSync(fd); },
      write: async (fd, bytes, now) => { if (!now) pooledWrites.push(bytes.length); return writeSync(fd, bytes); },
    };
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores the bytes under their SHA-256 and reads them back', async () => {
    const store = new FileSystemBlobStore(root);
    const a = randomBytes(70_000);
    const b = randomBytes(5);
    const put = await store.put(chunks(a, b), 1_000_000);
    const whole = Buffer.concat([a, b]);
    expect(put).to.deep.equal({ sha256: createHash('sha256').update(whole).digest('hex'), size: whole.length });
    expect(await store.has(put.sha256)).to.equal(true);
    expect(Buffer.compare(await readFile(join(root, put.sha256.slice(0, 2), put.sha256)), whole)).to.equal(0);
  });

  it('flushes the file before the rename and the directory after it', async () => {
    const store = new FileSystemBlobStore(root, calls);
    const put = await store.put(chunks(randomBytes(1000)), 10_000);
    const dir = join(root, put.sha256.slice(0, 2));
    const fileSync = synced.findIndex((p) => p.startsWith(join(root, 'tmp') + '/'));
    const dirSync = synced.lastIndexOf(dir);
    expect(fileSync, `synced: ${synced.join(', ')}`).to.be.at.least(0);
    expect(dirSync, `synced: ${synced.join(', ')}`).to.be.greaterThan(fileSync);
    // the new directory's own entry too (root/ab in root)
    expect(synced).to.include(root);

    synced.length = 0; // a second blob in a known directory: file and directory only
    const [known, other] = twoInOneDirectory();
    await store.put(chunks(known), 100);
    synced.length = 0;
    const again = await store.put(chunks(other), 100);
    expect(synced, `synced: ${synced.join(', ')}`).to.have.length(2);
    expect(synced[0]?.startsWith(join(root, 'tmp') + '/')).to.equal(true);
    expect(synced[1]).to.equal(join(root, again.sha256.slice(0, 2)));
  });

  it('returns only once a new directory is durable in its parent, also to a put that found it made by another', async () => {
    // Two blobs in one directory (same first two hex digits of their SHA-256), put at once, the flush of
    // the new directory's entry (in the root) held: neither put may return before it is done.
    const pair = twoInOneDirectory();
    const first = root;
    let release = (): void => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    let holding = false;
    const store = new FileSystemBlobStore(root, {
      ...calls,
      flush: async (fd) => {
        if (readlinkSync(`/proc/self/fd/${fd}`) === first) { holding = true; await held; }
        await calls.flush(fd);
      },
    });
    const done: string[] = [];
    const puts = pair.map((bytes, i) => store.put(chunks(bytes), 100).then((put) => { done.push(`put ${i}`); return put; }));
    for (let waited = 0; !holding && waited < 200; waited += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(holding, 'the new directory\'s entry is flushed').to.equal(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done, 'returned while the directory was not durable').to.deep.equal([]);
    release();
    const [a, b] = await Promise.all(puts);
    expect(done).to.have.members(['put 0', 'put 1']);
    expect(a?.sha256.slice(0, 2)).to.equal(b?.sha256.slice(0, 2));
    expect(synced).to.include.members([root, join(root, (a?.sha256 ?? '').slice(0, 2))]);
  });

  it('flushes a new directory\'s entry again at the next put into it when the first flush failed', async () => {
    const pair = twoInOneDirectory();
    const first = root; // where the new directory's entry is flushed
    let failures = 1;
    const store = new FileSystemBlobStore(root, {
      ...calls,
      flush: async (fd) => {
        if (readlinkSync(`/proc/self/fd/${fd}`) === first && failures-- > 0) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
        await calls.flush(fd);
      },
    });
    const failed = await store.put(chunks(pair[0]), 100).then(() => null, (e: unknown) => e);
    expect((failed as Error | null)?.message).to.match(/EIO/);
    synced.length = 0;
    await store.put(chunks(pair[1]), 100); // its directory exists now (mkdir finds it): flushed in its parent all the same
    expect(synced).to.include(first);
    synced.length = 0;
    await store.put(chunks(pair[0]), 100); // durable now: the file and its directory only
    expect(synced).to.not.include(first);
  });

  it('writes the first 2 MB of a blob at once and the rest on the thread pool (a large file does not block the event loop)', async () => {
    const store = new FileSystemBlobStore(root, calls);
    const mb = () => randomBytes(1024 * 1024);
    const parts = [mb(), mb(), mb(), mb()];
    const put = await store.put(chunks(...parts), 10 * 1024 * 1024);
    expect(pooledWrites).to.deep.equal([1024 * 1024, 1024 * 1024]);
    const stored = await readFile(join(root, put.sha256.slice(0, 2), put.sha256));
    expect(Buffer.compare(stored, Buffer.concat(parts))).to.equal(0);
  });

  it('reads a blob whole (one blocking read up to 1 MB, streamed above) and refuses one of another size than recorded', async () => {
    const store = new FileSystemBlobStore(root);
    for (const bytes of [randomBytes(150_000), randomBytes(1024 * 1024 + 1)]) {
      const put = await store.put(chunks(bytes), 10 * 1024 * 1024);
      expect(Buffer.compare(await readBlob(store, put.sha256, put.size), bytes)).to.equal(0);
      expect(Buffer.compare(await readBlob(store, put.sha256), bytes)).to.equal(0);
      for (const wrong of [put.size - 1, put.size + 1]) {
        const refused = await readBlob(store, put.sha256, wrong).then(() => null, (e: unknown) => e);
        expect(refused, `size ${wrong}`).to.be.instanceOf(DomainError).and.include({ code: 'attachment.not_found' });
      }
    }
  });

  it('refuses a blob over the limit and leaves no temporary file', async () => {
    const store = new FileSystemBlobStore(root);
    const error = await store.put(chunks(randomBytes(600), randomBytes(600)), 1000).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DomainError);
    expect((error as DomainError).code).to.equal('attachment.too_large');
    expect(await readdir(join(root, 'tmp'))).to.deep.equal([]);
  });

  it('leaves no temporary file when the source fails', async () => {
    const store = new FileSystemBlobStore(root);
    async function* failing(): AsyncIterable<Uint8Array> { yield randomBytes(100); throw new Error('source gone'); }
    const error = await store.put(failing(), 1000).catch((e: unknown) => e);
    expect((error as Error).message).to.equal('source gone');
    expect(await readdir(join(root, 'tmp'))).to.deep.equal([]);
  });

  describe('sweeping', () => {
    const DAY = 24 * 3600_000;
    const cutoff = new Date(Date.now() - DAY);
    const pathOf = (sha256: string) => join(root, sha256.slice(0, 2), sha256);
    const age = async (path: string, ms: number) => { const t = new Date(Date.now() - ms); await utimes(path, t, t); };

    it('lists and removes only blobs written before the cutoff', async () => {
      const store = new FileSystemBlobStore(root);
      const old = await store.put(chunks(Buffer.from('cũ')), 100);
      const fresh = await store.put(chunks(Buffer.from('mới')), 100);
      await age(pathOf(old.sha256), 2 * DAY);
      const listed: string[] = [];
      for await (const sha256 of store.listWrittenBefore(cutoff)) listed.push(sha256);
      expect(listed).to.deep.equal([old.sha256]);
      expect(await store.removeIfWrittenBefore(old.sha256, cutoff)).to.equal(true);
      expect(await store.has(old.sha256)).to.equal(false);
      expect(await store.removeIfWrittenBefore(fresh.sha256, cutoff)).to.equal(false);
      expect(await store.has(fresh.sha256)).to.equal(true);
      expect(await store.removeIfWrittenBefore(old.sha256, cutoff)).to.equal(false); // gone already
      expect(await readdir(join(root, 'trash'))).to.deep.equal([]);
    });

    it('keeps a blob written again after it was listed (a put racing the sweep)', async () => {
      const store = new FileSystemBlobStore(root);
      const blob = await store.put(chunks(Buffer.from('gửi lại')), 100);
      await age(pathOf(blob.sha256), 2 * DAY);
      const listed: string[] = [];
      for await (const sha256 of store.listWrittenBefore(cutoff)) listed.push(sha256);
      expect(listed).to.deep.equal([blob.sha256]);
      await store.put(chunks(Buffer.from('gửi lại')), 100); // a transaction names it again: written now
      expect(await store.removeIfWrittenBefore(blob.sha256, cutoff)).to.equal(false);
      expect((await readFile(pathOf(blob.sha256))).toString()).to.equal('gửi lại');
    });

    it('removes temporary files of puts that never finished, once old', async () => {
      const store = new FileSystemBlobStore(root);
      await store.put(chunks(Buffer.from('x')), 10); // makes tmp/
      await writeFile(join(root, 'tmp', 'crashed'), 'half');
      await writeFile(join(root, 'tmp', 'writing'), 'now');
      await age(join(root, 'tmp', 'crashed'), 2 * DAY);
      expect(await store.removeTemporariesBefore(cutoff)).to.equal(1);
      expect(await readdir(join(root, 'tmp'))).to.deep.equal(['writing']);
    });
  });

  it('moves the blobs of the two-level layout (ab/cd/<sha256>) into ab/, durably, leaving other files; again, nothing to move', async () => {
    const blobs = [randomBytes(300), Buffer.from('văn bản cũ'), Buffer.alloc(0)].map((bytes) => ({ bytes, sha256: createHash('sha256').update(bytes).digest('hex') }));
    for (const { bytes, sha256 } of blobs) {
      await mkdir(join(root, sha256.slice(0, 2), sha256.slice(2, 4)), { recursive: true });
      await writeFile(join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256), bytes);
    }
    const kept = blobs[0] as { sha256: string };
    const strayDir = join(root, kept.sha256.slice(0, 2), kept.sha256.slice(2, 4));
    await writeFile(join(strayDir, 'ghi-chu.txt'), 'not a blob');
    const store = new FileSystemBlobStore(root, calls);
    expect(await store.upgradeLayout()).to.equal(3);
    for (const { bytes, sha256 } of blobs) {
      expect(Buffer.compare(await readBlob(store, sha256, bytes.length), bytes), sha256).to.equal(0);
      expect(await readdir(join(root, sha256.slice(0, 2))), 'only the blob (and a directory holding a stray file)').to.include(sha256);
    }
    for (const { sha256 } of blobs) expect(synced).to.include(join(root, sha256.slice(0, 2)));
    expect(await readdir(strayDir)).to.deep.equal(['ghi-chu.txt']);
    const emptied = blobs.slice(1).map(({ sha256 }) => join(root, sha256.slice(0, 2), sha256.slice(2, 4))).filter((dir) => dir !== strayDir);
    for (const dir of emptied) expect(existsSync(dir), dir).to.equal(false);
    const listed: string[] = [];
    for await (const sha256 of store.listWrittenBefore(new Date(Date.now() + 60_000))) listed.push(sha256);
    expect(listed.sort()).to.deep.equal(blobs.map((b) => b.sha256).sort());
    expect(await new FileSystemBlobStore(root).upgradeLayout()).to.equal(0);
    // Marked as upgraded: a later start does not scan the store again.
    const late = createHash('sha256').update('muộn').digest('hex');
    await mkdir(join(root, late.slice(0, 2), late.slice(2, 4)), { recursive: true });
    await writeFile(join(root, late.slice(0, 2), late.slice(2, 4), late), 'muộn');
    expect(await new FileSystemBlobStore(root).upgradeLayout()).to.equal(0);
    expect(await store.has(late)).to.equal(false);
  });

  it('two processes starting at once upgrade the same store without failing, every blob moved once', async () => {
    const blobs = Array.from({ length: 200 }, (_, i) => Buffer.from(`văn bản ${i}`)).map((bytes) => ({ bytes, sha256: createHash('sha256').update(bytes).digest('hex') }));
    for (const { bytes, sha256 } of blobs) {
      await mkdir(join(root, sha256.slice(0, 2), sha256.slice(2, 4)), { recursive: true });
      await writeFile(join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256), bytes);
    }
    const moved = await Promise.all([new FileSystemBlobStore(root).upgradeLayout(), new FileSystemBlobStore(root).upgradeLayout()]);
    expect(moved[0] + moved[1]).to.equal(200);
    const store = new FileSystemBlobStore(root);
    for (const { bytes, sha256 } of blobs) expect(Buffer.compare(await readBlob(store, sha256, bytes.length), bytes), sha256).to.equal(0);
  });

  it('marks an empty store as upgraded at once (nothing to scan at the next start); makes none that does not exist', async () => {
    const empty = join(root, 'rong');
    await mkdir(empty);
    expect(await new FileSystemBlobStore(empty).upgradeLayout()).to.equal(0);
    expect(await readdir(empty)).to.deep.equal(['layout']);
    const absent = join(root, 'chua-co');
    expect(await new FileSystemBlobStore(absent).upgradeLayout()).to.equal(0);
    expect(existsSync(absent)).to.equal(false);
  });

  it('refuses a name that is not a SHA-256', () => {
    const store = new FileSystemBlobStore(root);
    expect(() => store.open('../../etc/passwd')).to.throw(DomainError);
  });

  it('a full disk (ENOSPC) is storage.full, an outage the inbox waits out: nothing left behind, the next put works', async () => {
    let full = true;
    const store = new FileSystemBlobStore(root, {
      ...calls,
      write: async (fd, bytes, now) => {
        if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
        return calls.write(fd, bytes, now);
      },
    });
    let error: unknown;
    try {
      await store.put(chunks(randomBytes(1000)), 10_000);
    } catch (e) { error = e; } finally { full = false; }
    expect(error).to.be.instanceOf(DomainError);
    expect(error).to.include({ code: 'storage.full', kind: 'unavailable' });
    expect(await readdir(join(root, 'tmp'))).to.deep.equal([]);
    const put = await store.put(chunks(Buffer.from('sau khi giải phóng chỗ trống')), 10_000);
    expect(await store.has(put.sha256)).to.equal(true);
  });
});
