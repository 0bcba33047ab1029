// Verifying a large package without reading it whole (issue 5 item 7). Two streaming passes find the long
// runs of base64 — text of the base64 alphabet alone, from just after a `>` to just before a `<`, such as
// an attachment's ContentTransferEncoded — and build a skeleton: the package with each run replaced by a
// marker. The envelope pass canonicalizes the skeleton (small); the digest is then taken over the
// canonical form with each run's bytes, read again from the stream, where its marker stands.
// Why that is the digest of the package itself: a run holds no `<`, `&`, `>`, quote, white space or CR,
// so exclusive c14n renders it unchanged wherever the strict parser places it (text, CDATA, a processing
// instruction); and where it would not be rendered at all (a comment), its marker is missing from the
// canonical form and the caller reads the package whole instead. Each marker must stand exactly once,
// in document order, or the split is not used.
import { randomUUID } from 'node:crypto';
import { markerPositions } from './canonical-splice.ts';

const LT = 0x3c;
const GT = 0x3e;
/** Runs shorter than this stay in the skeleton (markup and field values are never this long). */
export const MIN_RUN_BYTES = 64 * 1024;

const BASE64 = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=') BASE64[c.charCodeAt(0)] = 1;

export interface Base64Run {
  readonly marker: string;
  /** Offsets in the package: the run is bytes [start, end). */
  readonly start: number;
  readonly end: number;
}

export interface SplitPackage {
  readonly skeleton: Buffer;
  readonly runs: readonly Base64Run[];
}

/**
 * The skeleton and the runs, or null when the package cannot be split safely (a long run that ends
 * otherwise than at a `<`): the caller then reads it whole. `read` streams the package, from the start,
 * on each call.
 */
export async function splitBase64Runs(read: () => AsyncIterable<Uint8Array>, minRun = MIN_RUN_BYTES): Promise<SplitPackage | null> {
  const found = await findRuns(read(), minRun);
  if (!found) return null;
  const nonce = randomUUID().replace(/-/g, '');
  const runs = found.map(([start, end], i) => ({ marker: `edocRun${nonce}n${i}e`, start, end }));
  const pieces: Buffer[] = [];
  let at = 0;
  let next = 0; // the next run not yet passed
  for await (const chunk of read()) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const chunkEnd = at + bytes.length;
    let from = at;
    while (from < chunkEnd) {
      const run = runs[next];
      if (!run || run.start >= chunkEnd) { pieces.push(Buffer.from(bytes.subarray(from - at))); from = chunkEnd; break; }
      if (from < run.start) { pieces.push(Buffer.from(bytes.subarray(from - at, run.start - at))); from = run.start; }
      if (from === run.start) pieces.push(Buffer.from(run.marker, 'latin1'));
      from = Math.min(run.end, chunkEnd);
      if (from === run.end) next += 1;
    }
    at = chunkEnd;
  }
  return { skeleton: Buffer.concat(pieces), runs };
}

/** [start, end) of every run of at least `minRun` base64 bytes between `>` and `<`; null if one ends otherwise. */
async function findRuns(chunks: AsyncIterable<Uint8Array>, minRun: number): Promise<Array<[number, number]> | null> {
  const runs: Array<[number, number]> = [];
  let runStart = -1;
  let at = 0;
  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i += 1) {
      const b = chunk[i] as number;
      if (runStart >= 0) {
        if (BASE64[b] === 1) continue;
        const p = at + i;
        if (p - runStart >= minRun) {
          if (b !== LT) return null;
          runs.push([runStart, p]);
        }
        runStart = -1;
      }
      if (b === GT) runStart = at + i + 1;
    }
    at += chunk.length;
  }
  if (runStart >= 0 && at - runStart >= minRun) return null;
  return runs;
}

/**
 * The digest of `canonical` (the skeleton's canonical form) with each run's bytes in place of its marker,
 * or null when a marker does not stand exactly once, in order. `read` streams the package again.
 */
export async function splicedDigest(canonical: Buffer, split: SplitPackage, read: () => AsyncIterable<Uint8Array>, hash: { update(chunk: Uint8Array): unknown; digest(): Buffer }): Promise<Buffer | null> {
  const positions = markerPositions(canonical, split.runs.map((r) => r.marker));
  if (!positions) return null;
  const reader = new ForwardReader(read()[Symbol.asyncIterator]());
  let canonicalAt = 0;
  for (const [i, run] of split.runs.entries()) {
    hash.update(canonical.subarray(canonicalAt, positions[i]));
    for await (const slice of reader.range(run.start, run.end)) hash.update(slice);
    canonicalAt = (positions[i] as number) + run.marker.length;
  }
  await reader.close();
  hash.update(canonical.subarray(canonicalAt));
  return hash.digest();
}

/** Reads byte ranges of a stream in increasing order, in one pass. */
class ForwardReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkStart = 0; // offset of `chunk` in the stream

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Stops reading (closes the file behind the stream). */
  async close(): Promise<void> {
    await this.source.return?.();
  }

  async *range(start: number, end: number): AsyncGenerator<Uint8Array> {
    let at = start;
    while (at < end) {
      if (at >= this.chunkStart + this.chunk.length) {
        this.chunkStart += this.chunk.length;
        const next = await this.source.next();
        if (next.done) throw new Error(`the package ended at ${this.chunkStart} bytes, before ${end}`);
        this.chunk = next.value;
        continue;
      }
      if (at < this.chunkStart) throw new Error('ranges must come in increasing order');
      const to = Math.min(end, this.chunkStart + this.chunk.length);
      yield this.chunk.subarray(at - this.chunkStart, to - this.chunkStart);
      at = to;
    }
  }
}
