// A growable byte buffer for the envelope part of a package: pieces are copied in once (no per-piece
// allocation), and the whole is decoded once at the end, so a UTF-8 character split across two input
// chunks survives.
/** Pieces up to this size are copied in a loop: cheaper than the typed-array view `set` needs. */
const SMALL = 64;

export class ByteAccumulator {
  private buffer: Buffer;
  private used = 0;

  constructor(initialSize = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.used;
  }

  append(source: Uint8Array, start = 0, end = source.length): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.used + n > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + n));
      this.buffer.copy(grown, 0, 0, this.used);
      this.buffer = grown;
    }
    const target = this.buffer;
    if (n <= SMALL) {
      // Most pieces are a tag or a line of text: copied byte by byte, with no view made for them.
      for (let i = 0, at = this.used; i < n; i += 1) target[at + i] = source[start + i] as number;
    } else {
      target.set(source.subarray(start, end), this.used);
    }
    this.used += n;
  }

  /** The bytes as UTF-8 text, with `insert` spliced in at byte offset `at` (an ASCII boundary). */
  toString(insert?: { at: number; text: string }): string {
    if (!insert) return this.buffer.toString('utf8', 0, this.used);
    return this.buffer.toString('utf8', 0, insert.at) + insert.text + this.buffer.toString('utf8', insert.at, this.used);
  }
}
