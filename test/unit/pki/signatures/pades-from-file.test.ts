// A signed PDF verified from the blob store without being read whole (the receiver's 50 MB attachment):
// the same verdicts as from memory, on every kind of PDF the buffer tests use, while only the structure is
// read at random (a few 64 KB pages) and the signed ranges are streamed.
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import * as pkijs from 'pkijs';
import type { BlobReader } from '../../../../src/domain/registry-ports.ts';
import { keyObjectCredentials } from '../../../../src/pki/cms/signer.ts';
import { appendPadesSignature } from '../../../../src/pki/pades/incremental-signer.ts';
import { readerSource } from '../../../../src/pki/pades/pdf-source.ts';
import { SignatureVerifier } from '../../../../src/pki/verify/signature-verifier.ts';
import type { SignatureValidationReport } from '../../../../src/domain/validation-report.ts';
import { FileSystemBlobStore } from '../../../../src/storage/fs-blob-store.ts';
import { FakePathValidator, FakeTimeStampVerifier } from './support/fakes.ts';
import { samplePdf } from './support/sample-pdf.ts';
import { createThrowawayPki, type ThrowawayPki } from './support/throwaway-pki.ts';

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> { yield bytes; }

/** What a verdict says (not when it was made). */
const verdict = (r: SignatureValidationReport) => [r.form, r.indication, r.subIndication ?? null, r.message, r.warnings];

/** Counts what a reader gives: bytes read at random, bytes streamed. */
function counting(reader: BlobReader): BlobReader & { randomBytes: number; streamedBytes: number } {
  const counted = {
    size: reader.size, randomBytes: 0, streamedBytes: 0,
    readSync(offset: number, length: number) { const b = reader.readSync(offset, length); counted.randomBytes += b.length; return b; },
    async *chunks(start: number, end: number) { for await (const c of reader.chunks(start, end)) { counted.streamedBytes += c.length; yield c; } },
    close: () => reader.close(),
  };
  return counted;
}

describe('PAdES verified from the blob store (a PDF not read whole)', function () {
  this.timeout(30_000);
  let pki: ThrowawayPki;
  let verifier: SignatureVerifier;
  let root: string;
  let blobs: FileSystemBlobStore;
  before(async () => {
    pki = createThrowawayPki();
    pkijs.setEngine('node', new pkijs.CryptoEngine({ crypto: webcrypto as unknown as Crypto }));
    verifier = new SignatureVerifier({ pathValidator: new FakePathValidator({ anchors: [pki.root.der] }), timeStampVerifier: new FakeTimeStampVerifier() });
    root = await mkdtemp(join(tmpdir(), 'pades-file-'));
    blobs = new FileSystemBlobStore(root);
  });
  after(async () => { await rm(root, { recursive: true, force: true }); });
  const org = () => keyObjectCredentials(pki.org.key, pki.org.der, [pki.ca.der]);
  const person = () => keyObjectCredentials(pki.person.key, pki.person.der, [pki.ca.der]);

  async function fromFile(pdf: Buffer): Promise<{ reports: SignatureValidationReport[]; read: ReturnType<typeof counting> }> {
    const { sha256 } = await blobs.put(once(pdf), pdf.length);
    const read = counting(await blobs.openReader(sha256));
    try {
      return { reports: await verifier.verifyPdf(read), read };
    } finally {
      await read.close();
    }
  }

  it('gives the verdicts it gives from memory: valid (one and two signatures), altered, unsigned, damaged', async () => {
    const signed = await appendPadesSignature(samplePdf(), { credentials: org() });
    const two = await appendPadesSignature(await appendPadesSignature(samplePdf({ padTo: 200_000 }), { credentials: person() }), { credentials: org() });
    const altered = Buffer.from(signed);
    altered[200] = (altered[200] as number) ^ 0x01; // inside the first signed range
    const text = signed.toString('latin1');
    const m = /\/ByteRange \[0 (\d+) (\d+) (\d+)\s*\]/.exec(text) as RegExpExecArray;
    const last = m[3] as string;
    const shrunk = Buffer.from(text.replace(m[0], m[0].replace(` ${last}`, ` ${Number(last) - 10}`.padEnd(last.length + 1, ' ').slice(0, last.length + 1))), 'latin1');
    const cases = { signed, two, altered, shrunk, unsigned: samplePdf(), damaged: Buffer.from('%PDF-1.7\ngarbage') };
    const seen: Record<string, unknown[]> = {};
    for (const [name, pdf] of Object.entries(cases)) {
      const inMemory = (await verifier.verifyPdf(pdf)).map(verdict);
      const { reports } = await fromFile(pdf);
      expect(reports.map(verdict), name).to.deep.equal(inMemory);
      seen[name] = reports.map((r) => r.subIndication ?? r.indication);
    }
    expect(seen).to.deep.equal({
      signed: ['TOTAL_PASSED'], two: ['TOTAL_PASSED', 'TOTAL_PASSED'], altered: ['HASH_FAILURE'], shrunk: ['FORMAT_FAILURE'], unsigned: ['FORMAT_FAILURE'], damaged: ['FORMAT_FAILURE'],
    });
  });

  it('a 12 MB signed PDF: its structure is read in a few pages, its signed ranges streamed once', async () => {
    const big = samplePdf({ padTo: 12 * 2 ** 20 });
    const signed = await appendPadesSignature(big, { credentials: org() });
    const { reports, read } = await fromFile(signed);
    expect(reports.map((r) => r.indication)).to.deep.equal(['TOTAL_PASSED']);
    expect(read.randomBytes).to.be.below(1024 * 1024); // without the reader: the whole 12 MB
    const gap = /\/Contents <([0-9A-Fa-f]*)>/.exec(signed.toString('latin1', signed.length - 64 * 1024))?.[1]?.length as number;
    expect(read.streamedBytes).to.equal(signed.length - gap - 2); // everything but the /Contents hex string, once
  });

  it('finds what it looks for across its 64 KB pages, and is told when the file cannot be read', async () => {
    const content = Buffer.concat([randomBytes(64 * 1024 - 3).map((b) => b & 0x3f), Buffer.from('endobj', 'latin1'), Buffer.alloc(10, 0x20)]);
    const { sha256 } = await blobs.put(once(content), content.length);
    const reader = await blobs.openReader(sha256);
    try {
      const source = readerSource(reader);
      expect(source.indexOf('endobj', 0)).to.equal(64 * 1024 - 3); // straddles the first page boundary
      expect(source.indexOf('endobj', 64 * 1024)).to.equal(-1);
      expect(source.latin1(64 * 1024 - 3, 64 * 1024 + 3)).to.equal('endobj');
    } finally {
      await reader.close();
    }
    const broken: BlobReader = {
      size: 1000,
      readSync: () => { throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read' }); },
      chunks: () => { throw new Error('unused'); },
      close: async () => undefined,
    };
    const error = await verifier.verifyPdf(broken).then(() => null, (e: unknown) => e);
    expect((error as Error | null)?.message).to.match(/EIO/); // an I/O failure, not a verdict on the PDF
  });
});
