// The file-system blob store: content-addressed, nothing half-written under a final name, and durable when
// `put` returns (the caller commits a row naming the blob right after): the file is flushed before it is
// renamed into place, and the directory that received the rename after.
import { createHash, randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DomainError } from '../../../src/domain/errors.ts';
import { FileSystemBlobStore } from '../../../src/storage/fs-blob-store.ts';

async function* chunks(...parts: Buffer[]): AsyncIterable<Uint8Array> { for (const p of parts) yield p; }

describe('FileSystemBlobStore', () => {
  let root: string;
  let synced: string[];
  let restore: () => void;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'blobs-'));
    synced = [];
    // Every FileHandle shares one prototype: record the path behind each sync() (Linux: /proc/self/fd).
    const probe = await open(join(root, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: (this: { fd: number }) => Promise<void> };
    await probe.close();
    await rm(join(root, 'probe'));
    const original = proto.sync;
    proto.sync = function (this: { fd: number }) {
      synced.push(readlinkSync(`/proc/self/fd/${this.fd}`));
      return original.call(this);
    };
    restore = () => { proto.sync = original; };
  });

  afterEach(async () => {
    restore();
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
    expect(Buffer.compare(await readFile(join(root, put.sha256.slice(0, 2), put.sha256.slice(2, 4), put.sha256)), whole)).to.equal(0);
  });

  it('flushes the file before the rename and the directory after it', async () => {
    const store = new FileSystemBlobStore(root);
    const put = await store.put(chunks(randomBytes(1000)), 10_000);
    const dir = join(root, put.sha256.slice(0, 2), put.sha256.slice(2, 4));
    const fileSync = synced.findIndex((p) => p.startsWith(join(root, 'tmp') + '/'));
    const dirSync = synced.lastIndexOf(dir);
    expect(fileSync, `synced: ${synced.join(', ')}`).to.be.at.least(0);
    expect(dirSync, `synced: ${synced.join(', ')}`).to.be.greaterThan(fileSync);
    // the new directories' own entries too (root/ab in root, root/ab/cd in root/ab)
    expect(synced).to.include.members([root, join(root, put.sha256.slice(0, 2))]);

    synced.length = 0; // a second blob in a known directory: file and directory only
    const again = await store.put(chunks(Buffer.from('x')), 10);
    expect(synced).to.have.length.of.at.least(2);
    expect(synced.at(-1)).to.equal(join(root, again.sha256.slice(0, 2), again.sha256.slice(2, 4)));
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

  it('refuses a name that is not a SHA-256', () => {
    const store = new FileSystemBlobStore(root);
    expect(() => store.open('../../etc/passwd')).to.throw(DomainError);
  });
});
