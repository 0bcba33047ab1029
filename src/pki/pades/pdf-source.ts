// Where the bytes of a PDF being verified come from: a buffer, or a file read a window at a time. A 50 MB
// signed attachment is then verified without being read whole: the structure reader touches only what it
// needs (the trailer and cross-references at the end, the catalog, the form's fields and the signature
// dictionaries), and each signed byte range is hashed as a stream (SignatureVerifier.verifyPdf).
import type { BlobReader } from '../../domain/registry-ports.ts';

/** A file opened for reading at any offset: the blob store's reader (a small read blocks; ranges stream). */
export type RandomAccessReader = Pick<BlobReader, 'size' | 'readSync' | 'chunks'>;

export interface PdfSource {
  readonly length: number;
  /** The bytes [start, end), clamped to the file. */
  bytes(start: number, end: number): Buffer;
  /** The bytes [start, end) as latin1 text (one char per byte: offsets stay byte offsets). */
  latin1(start: number, end: number): string;
  /** The first offset ≥ `from` where `needle` (latin1) starts, or -1. */
  indexOf(needle: string, from: number): number;
  chunks(start: number, end: number): AsyncIterable<Uint8Array>;
}

export function bufferSource(buffer: Buffer): PdfSource {
  return {
    length: buffer.length,
    bytes: (start, end) => buffer.subarray(start, Math.min(end, buffer.length)),
    latin1: (start, end) => buffer.toString('latin1', start, Math.min(end, buffer.length)),
    indexOf: (needle, from) => buffer.indexOf(needle, from, 'latin1'),
    async *chunks(start, end) { yield buffer.subarray(start, Math.min(end, buffer.length)); },
  };
}

const PAGE = 64 * 1024;
const CACHED_PAGES = 32;

/** A reader as a source: reads in 64 KB pages, keeping the last 32 (2 MB at most) for the parser's re-reads. */
export function readerSource(reader: RandomAccessReader): PdfSource {
  const pages = new Map<number, Buffer>();
  const page = (n: number): Buffer => {
    let p = pages.get(n);
    if (p) { pages.delete(n); pages.set(n, p); return p; } // most recently used last
    p = reader.readSync(n * PAGE, PAGE);
    pages.set(n, p);
    if (pages.size > CACHED_PAGES) pages.delete(pages.keys().next().value as number);
    return p;
  };
  const bytes = (start: number, end: number): Buffer => {
    const stop = Math.min(end, reader.size);
    if (stop <= start) return Buffer.alloc(0);
    const first = Math.floor(start / PAGE);
    const last = Math.floor((stop - 1) / PAGE);
    if (first === last) return page(first).subarray(start - first * PAGE, stop - first * PAGE);
    if (last - first >= CACHED_PAGES / 2) return reader.readSync(start, stop - start); // a long stream: read once, not cached
    const parts: Buffer[] = [];
    for (let n = first; n <= last; n += 1) parts.push(page(n).subarray(n === first ? start - n * PAGE : 0, n === last ? stop - n * PAGE : PAGE));
    return Buffer.concat(parts);
  };
  return {
    length: reader.size,
    bytes,
    latin1: (start, end) => bytes(start, end).toString('latin1'),
    indexOf(needle, from) {
      const overlap = needle.length - 1;
      for (let at = Math.max(0, from); at < reader.size; at += PAGE) {
        const window = bytes(at, at + PAGE + overlap);
        const found = window.indexOf(needle, 0, 'latin1');
        if (found >= 0) return at + found;
      }
      return -1;
    },
    chunks: (start, end) => reader.chunks(start, Math.min(end, reader.size)),
  };
}
