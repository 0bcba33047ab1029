// Received attachments stream from the parser into the blob store (issue 5 item 7): what is stored is the
// decoded file, byte for byte, under its SHA-256; nothing is returned in memory (the sink holds the files
// only when asked, for a package held whole anyway); a package refused
// part-way leaves the parse with its error (no hang, no half-written file reported as stored).
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { BlobReader, BlobStore } from '../../../src/domain/registry-ports.ts';
import { buildDocumentPackage } from '../../../src/edxml/package-builder.ts';
import { parseEdxml } from '../../../src/edxml/parse-package.ts';
import { BlobAttachmentSink, HELD_BYTES } from '../../../src/services/blob-attachment-sink.ts';
import { samplePackage } from '../edxml/sample-package.ts';

class SlowMemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Buffer>();
  readonly failed: unknown[] = [];
  async put(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ sha256: string; size: number }> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of source) {
        await new Promise((resolve) => setImmediate(resolve)); // a consumer slower than the parser
        size += chunk.length;
        if (size > maxBytes) throw new Error('too large');
        chunks.push(chunk);
      }
    } catch (error) {
      this.failed.push(error);
      throw error;
    }
    const content = Buffer.concat(chunks);
    const sha256 = createHash('sha256').update(content).digest('hex');
    this.blobs.set(sha256, content);
    return { sha256, size };
  }
  async *open(sha256: string): AsyncIterable<Uint8Array> { yield this.blobs.get(sha256) as Buffer; }
  openReader(): Promise<BlobReader> { throw new Error('unused'); }
  async has(sha256: string): Promise<boolean> { return this.blobs.has(sha256); }
}

describe('received attachments stream into the blob store', () => {
  it('stores every decoded file (ZIP and raw, 3 MB and empty) under its digest, and keeps none in memory', async () => {
    const files = [randomBytes(3 * 1024 * 1024), Buffer.from('%PDF-1.7 nhỏ\n'), Buffer.alloc(0)];
    const pkg = samplePackage({
      attachments: [
        { contentId: 'a1', name: 'lon.bin', content: files[0] as Buffer, transferEncoding: 'zip' },
        { contentId: 'a2', name: 'nho.pdf', contentType: 'application/pdf', content: files[1] as Buffer, transferEncoding: 'raw' },
        { contentId: 'a3', name: 'rong.txt', content: files[2] as Buffer, transferEncoding: 'zip' },
      ],
    });
    const store = new SlowMemoryBlobStore();
    const parsed = await parseEdxml(buildDocumentPackage(pkg), { sink: new BlobAttachmentSink(store, 50 * 1024 * 1024) });
    if (parsed.kind !== 'document') throw new Error('not a document');
    expect(parsed.attachments.map((a) => a.content)).to.deep.equal([undefined, undefined, undefined]);
    for (const [i, a] of parsed.attachments.entries()) {
      expect(a.sha256).to.equal(createHash('sha256').update(files[i] as Buffer).digest('hex'));
      expect(store.blobs.get(a.sha256)?.equals(files[i] as Buffer), a.name).to.equal(true);
    }
  });

  it('holds each stored file\'s bytes by digest when asked (holdContent), and none otherwise', async () => {
    const files = [randomBytes(300_000), Buffer.from('%PDF-1.7 nhỏ\n')];
    const pkg = samplePackage({
      attachments: [
        { contentId: 'a1', name: 'lon.bin', content: files[0] as Buffer, transferEncoding: 'zip' },
        { contentId: 'a2', name: 'nho.pdf', contentType: 'application/pdf', content: files[1] as Buffer, transferEncoding: 'raw' },
      ],
    });
    const holding = new BlobAttachmentSink(new SlowMemoryBlobStore(), 50 * 1024 * 1024, { holdContent: true });
    const parsed = await parseEdxml(buildDocumentPackage(pkg), { sink: holding });
    if (parsed.kind !== 'document') throw new Error('not a document');
    for (const [i, a] of parsed.attachments.entries()) expect(Buffer.from(holding.held(a.sha256) ?? []).equals(files[i] as Buffer), a.name).to.equal(true);
    const plain = new BlobAttachmentSink(new SlowMemoryBlobStore(), 50 * 1024 * 1024);
    const again = await parseEdxml(buildDocumentPackage(pkg), { sink: plain });
    if (again.kind !== 'document') throw new Error('not a document');
    expect(again.attachments.map((a) => plain.held(a.sha256))).to.deep.equal([undefined, undefined]);
  });

  it('holds no more than HELD_BYTES in all: a file that would pass it is let go (stored all the same)', async () => {
    const files = [randomBytes(HELD_BYTES - 1000), Buffer.alloc(3 * 1024 * 1024, 0x61), randomBytes(500)];
    const pkg = samplePackage({ attachments: files.map((content, i) => ({ contentId: `a${i}`, name: `tep-${i}.bin`, content, transferEncoding: 'zip' as const })) });
    const store = new SlowMemoryBlobStore();
    const holding = new BlobAttachmentSink(store, 50 * 1024 * 1024, { holdContent: true });
    const parsed = await parseEdxml(buildDocumentPackage(pkg), { sink: holding });
    if (parsed.kind !== 'document') throw new Error('not a document');
    const [first, second, third] = parsed.attachments;
    expect(Buffer.from(holding.held(first?.sha256 ?? '') ?? []).equals(files[0] as Buffer)).to.equal(true);
    expect(holding.held(second?.sha256 ?? ''), 'over the budget: not held').to.equal(undefined);
    expect(store.blobs.get(second?.sha256 ?? '')?.equals(files[1] as Buffer), 'but stored').to.equal(true);
    expect(Buffer.from(holding.held(third?.sha256 ?? '') ?? []).equals(files[2] as Buffer), 'within what is left').to.equal(true);
  });

  it('leaves held files in their package (leaveHeldInPackage): not stored, held by digest, named in inPackage; one past the budget stored whole', async () => {
    const files = [randomBytes(300_000), Buffer.from('%PDF-1.7 nhỏ\n'), Buffer.alloc(HELD_BYTES, 0x61), Buffer.alloc(0)];
    const pkg = samplePackage({ attachments: files.map((content, i) => ({ contentId: `a${i}`, name: `tep-${i}.bin`, content, transferEncoding: i === 1 ? 'raw' as const : 'zip' as const })) });
    const store = new SlowMemoryBlobStore();
    const sink = new BlobAttachmentSink(store, 50 * 1024 * 1024, { holdContent: true, leaveHeldInPackage: true });
    const parsed = await parseEdxml(buildDocumentPackage(pkg), { sink });
    if (parsed.kind !== 'document') throw new Error('not a document');
    const [first, second, third, fourth] = parsed.attachments.map((a) => a.sha256);
    for (const [i, sha256] of [first, second, fourth].entries()) {
      const content = files[[0, 1, 3][i] as number] as Buffer;
      expect(sha256).to.equal(createHash('sha256').update(content).digest('hex'));
      expect(Buffer.from(sink.held(sha256 ?? '') ?? [1]).equals(content), `held ${i}`).to.equal(true);
      expect(store.blobs.has(sha256 ?? ''), `not stored ${i}`).to.equal(false);
    }
    expect([...sink.inPackage].sort()).to.deep.equal([first, second, fourth].sort());
    // The third passes the budget part-way: stored after all, from its first byte, and not named as left in the package.
    expect(sink.held(third ?? ''), 'over the budget: not held').to.equal(undefined);
    expect(store.blobs.get(third ?? '')?.equals(files[2] as Buffer), 'stored whole').to.equal(true);
    expect(sink.inPackage.has(third ?? '')).to.equal(false);
    expect(store.blobs.size).to.equal(1);
  });

  it('a package refused part-way (bad base64 in the second attachment) rejects the parse; the open file is abandoned', async () => {
    const xml = buildDocumentPackage(samplePackage({
      attachments: [
        { contentId: 'a1', name: 'mot.bin', content: randomBytes(200_000), transferEncoding: 'raw' },
        { contentId: 'a2', name: 'hai.bin', content: randomBytes(200_000), transferEncoding: 'raw' },
      ],
    })).toString('utf8');
    const second = xml.lastIndexOf('<edXML:ContentTransferEncoded');
    const broken = `${xml.slice(0, second + 5000)}$$$$${xml.slice(second + 5004)}`;
    const store = new SlowMemoryBlobStore();
    const error = await parseEdxml(Buffer.from(broken), { sink: new BlobAttachmentSink(store, 50 * 1024 * 1024) }).then(() => null, (e: unknown) => e);
    expect(error).to.have.property('code', 'edxml.attachment_invalid');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.blobs.size).to.equal(1); // the first file, complete; the second never stored
    expect(store.failed).to.have.length(1);
  });

  it('a blob store that fails part-way (disk full) fails the parse with its error instead of hanging it', async () => {
    const failing: BlobStore = {
      async put(source) { for await (const _ of source) throw new Error('ENOSPC: no space left on device'); return { sha256: '', size: 0 }; },
      open: () => { throw new Error('unused'); },
      openReader: () => { throw new Error('unused'); },
      has: async () => false,
    };
    const pkg = samplePackage({ attachments: [{ contentId: 'a1', name: 'lon.bin', content: randomBytes(4 * 1024 * 1024), transferEncoding: 'raw' }] });
    const error = await parseEdxml(buildDocumentPackage(pkg), { sink: new BlobAttachmentSink(failing, 50 * 1024 * 1024) }).then(() => null, (e: unknown) => e);
    expect((error as Error).message).to.contain('ENOSPC');
  });
});
