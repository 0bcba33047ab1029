// PackageFileBlobStore (src/services/package-file-blobs.ts): a received file left in its package (not a
// blob of its own) is made from the package on its first read, by any of the store's reads, once for
// readers at once, checked by its digest; a file no stored package holds stays "not found".
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { readBlob } from '../../../src/domain/registry-ports.ts';
import { buildDocumentPackage } from '../../../src/edxml/package-builder.ts';
import { PackageFileBlobStore } from '../../../src/services/package-file-blobs.ts';
import { FileSystemBlobStore } from '../../../src/storage/fs-blob-store.ts';
import { samplePackage } from '../edxml/sample-package.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const once = async function* (b: Uint8Array) { yield b; };

describe('files kept in their received package, made on first read', () => {
  let root: string;
  let files: FileSystemBlobStore;
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(120_000)]);
  const annex = Buffer.from('Phụ lục: danh sách đơn vị\n'.repeat(400));
  let packageSha256: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'edoc-package-files-'));
    files = new FileSystemBlobStore(root);
    const bytes = buildDocumentPackage(samplePackage({ attachments: [
      { contentId: 'a1', name: 'cong-van.pdf', contentType: 'application/pdf', content: pdf, transferEncoding: 'zip' },
      { contentId: 'a2', name: 'phu-luc.txt', content: annex, transferEncoding: 'raw' },
    ] }));
    packageSha256 = (await files.put(once(bytes), 10_000_000)).sha256;
  });
  afterEach(async () => { await rm(root, { recursive: true, force: true }); });

  /** The store, with the lookups it made. */
  function store(holding: Record<string, string[]>) {
    const lookups: string[] = [];
    return { lookups, blobs: new PackageFileBlobStore(files, async (sha256) => { lookups.push(sha256); return holding[sha256] ?? []; }, 50 * 1024 * 1024) };
  }

  it('openReader, open and has make the file from the package, which every later read finds as a blob', async () => {
    const { blobs, lookups } = store({ [sha(pdf)]: [packageSha256], [sha(annex)]: [packageSha256] });
    expect(await files.has(sha(pdf))).to.equal(false);
    expect(sha(await readBlob(blobs, sha(pdf), pdf.length)), 'openReader').to.equal(sha(pdf));
    expect(await files.has(sha(pdf)), 'now a blob of its own').to.equal(true);
    expect(await files.has(sha(annex)), "the package's other file too").to.equal(true);
    expect(sha(await readBlob(blobs, sha(pdf), pdf.length))).to.equal(sha(pdf));
    expect(lookups, 'looked up once').to.deep.equal([sha(pdf)]);

    const fresh = await mkdtemp(join(tmpdir(), 'edoc-package-files-'));
    try {
      const other = new FileSystemBlobStore(fresh);
      const bytes = await readBlob(files, packageSha256);
      await other.put(once(bytes), 10_000_000);
      const byOpen = new PackageFileBlobStore(other, async () => [packageSha256], 50 * 1024 * 1024);
      expect(sha(await readBlob(byOpen, sha(annex))), 'open').to.equal(sha(annex));
      const byHas = new PackageFileBlobStore(new FileSystemBlobStore(fresh), async () => [packageSha256], 50 * 1024 * 1024);
      expect(await byHas.has(sha(pdf)), 'has').to.equal(true);
    } finally { await rm(fresh, { recursive: true, force: true }); }
  });

  it('readers at once: one lookup and one parse', async () => {
    const { blobs, lookups } = store({ [sha(pdf)]: [packageSha256] });
    const read = await Promise.all(Array.from({ length: 5 }, () => readBlob(blobs, sha(pdf), pdf.length)));
    expect(read.every((b) => b.equals(pdf))).to.equal(true);
    expect(lookups).to.have.length(1);
  });

  it('a file no stored package holds: not found (no package named, the package gone, a package without it)', async () => {
    const missing = sha(Buffer.from('không có'));
    const other = buildDocumentPackage(samplePackage({ attachments: [{ contentId: 'x', name: 'khac.txt', content: Buffer.from('khác'), transferEncoding: 'raw' }] }));
    const otherSha256 = (await files.put(once(other), 10_000_000)).sha256;
    const { blobs } = store({ [missing]: [], [sha(pdf)]: ['0'.repeat(64)], [sha(annex)]: [otherSha256] });
    for (const wanted of [missing, sha(pdf), sha(annex)]) {
      const error = await blobs.openReader(wanted).then(() => null, (e: unknown) => e);
      expect(error, wanted).to.have.property('code', 'attachment.not_found');
      expect(await blobs.has(wanted)).to.equal(false);
    }
  });

  it('a package that no longer parses is passed over for the next one that holds the file', async () => {
    const broken = (await files.put(once(Buffer.from('<edXML:Envelope>hỏng')), 10_000)).sha256;
    const { blobs } = store({ [sha(pdf)]: [broken, packageSha256] });
    expect((await readBlob(blobs, sha(pdf), pdf.length)).equals(pdf)).to.equal(true);
  });

  it('a put goes to the store unchanged', async () => {
    const { blobs } = store({});
    const put = await blobs.put(once(annex), 100_000);
    expect(put).to.deep.equal({ sha256: sha(annex), size: annex.length });
    expect(await files.has(sha(annex))).to.equal(true);
  });
});
