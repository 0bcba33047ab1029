// The one-file ZIP that wraps each attachment: already-compressed content is stored, the rest deflated,
// and either way Info-ZIP's `unzip` (an independent reader) and our own decoder give back the same bytes.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDocumentPackage } from '../../../src/edxml/package-builder.ts';
import { parseEdxml } from '../../../src/edxml/parse-package.ts';
import { compressionFor, singleFileZip } from '../../../src/edxml/single-file-zip.ts';
import { samplePackage } from './sample-package.ts';

const METHOD_OFFSET = 8; // local file header: compression method
const at = new Date('2026-11-23T08:00:00Z');

function unzipped(zip: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'edoc-zip-'));
  try {
    const file = join(dir, 'a.zip');
    writeFileSync(file, zip);
    execFileSync('unzip', ['-tq', file]); // CRC and structure checked; throws on a bad archive
    return execFileSync('unzip', ['-p', file], { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const text = (size: number): Buffer => Buffer.from('Công văn số 12/UBND-VP về việc triển khai văn bản điện tử. '.repeat(Math.ceil(size / 60))).subarray(0, size);

describe('singleFileZip (the ZIP around each attachment)', () => {
  it('stores already-compressed content (random bytes) instead of deflating it, and unzip reads it back', () => {
    const content = randomBytes(300_000);
    expect(compressionFor(content)).to.equal('store');
    const zip = singleFileZip('scan.pdf', content, at);
    expect(zip.readUInt16LE(METHOD_OFFSET)).to.equal(0);
    expect(zip.length).to.be.lessThan(content.length + 200);
    expect(unzipped(zip).equals(content)).to.equal(true);
  });

  it('deflates compressible content, and unzip reads it back', () => {
    const content = text(300_000);
    expect(compressionFor(content)).to.equal('deflate');
    const zip = singleFileZip('van-ban.txt', content, at);
    expect(zip.readUInt16LE(METHOD_OFFSET)).to.equal(8);
    expect(zip.length).to.be.lessThan(content.length / 10);
    expect(unzipped(zip).equals(content)).to.equal(true);
  });

  it('deflates a file that is partly compressible block by block (a signed PDF: random-looking streams, a zero-filled signature placeholder): the random blocks copied as stored blocks', () => {
    const content = Buffer.concat([randomBytes(220_000), Buffer.alloc(80_000, 0x30)]);
    expect(compressionFor(content)).to.equal('blocks');
    const zip = singleFileZip('signed.pdf', content, at);
    expect(zip.readUInt16LE(METHOD_OFFSET)).to.equal(8);
    expect(zip.length).to.be.lessThan(content.length * 0.8);
    expect(zip.includes(content.subarray(16_384, 2 * 16_384))).to.equal(true); // a stored block: the bytes as they are
    expect(unzipped(zip).equals(content)).to.equal(true);
  });

  it('judges mixed content block by block: text and runs compressed, random stored, whatever the order', () => {
    const block = 16_384;
    const content = Buffer.concat([text(block), randomBytes(block), Buffer.alloc(block, 0), randomBytes(3 * block), text(block + 123)]);
    expect(compressionFor(content)).to.equal('blocks');
    const zip = singleFileZip('mixed.pdf', content, at);
    expect(zip.includes(content.subarray(0, block))).to.equal(false); // text: deflated
    expect(zip.includes(content.subarray(block, 2 * block))).to.equal(true); // random: stored
    expect(zip.length).to.be.lessThan(content.length - 2 * block + 4_000);
    expect(unzipped(zip).equals(content)).to.equal(true);
  });

  it('stores a large signed scan: its zero-filled signature placeholder is too small a part to deflate 8 MB for', () => {
    const content = Buffer.concat([randomBytes(8 * 1024 * 1024), Buffer.alloc(40_000, 0x30), Buffer.from('\n>>\nendobj\nxref\n0 1\ntrailer\n<< >>\nstartxref\n0\n%%EOF\n')]);
    expect(compressionFor(content)).to.equal('store');
  });

  it('deflates small files whatever they hold, and honours an explicit level', () => {
    expect(singleFileZip('a.bin', randomBytes(4_000), at).readUInt16LE(METHOD_OFFSET)).to.equal(8);
    expect(singleFileZip('b.bin', randomBytes(300_000), at, 1).readUInt16LE(METHOD_OFFSET)).to.equal(8);
  });

  it('round-trips stored, deflated and block-deflated attachments through the edXML builder and parser', async () => {
    const scan = randomBytes(200_000);
    const letter = text(200_000);
    const signed = Buffer.concat([randomBytes(100_000), Buffer.alloc(30_000, 0x30), randomBytes(777)]);
    const contents: Record<string, Buffer> = { 'scan.pdf': scan, 'letter.txt': letter, 'signed.pdf': signed };
    expect(Object.values(contents).map((content) => compressionFor(content))).to.deep.equal(['store', 'deflate', 'blocks']);
    const pkg = samplePackage();
    const built = buildDocumentPackage({ ...pkg, attachments: Object.entries(contents).map(([name, content]) => ({ name, contentType: 'application/octet-stream', content })) });
    const parsed = await parseEdxml(built);
    if (parsed.kind !== 'document') throw new Error('expected a document package');
    expect(parsed.attachments.map((a) => Buffer.from(a.content ?? []).equals(contents[a.name] ?? Buffer.alloc(0)))).to.deep.equal([true, true, true]);
  });
});
