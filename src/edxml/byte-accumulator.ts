// A growable byte buffer for the envelope part of a package: pieces are copied in once (no per-piece
// allocation), and the whole is decoded once at the end, so a UTF-8 character split across two input
// chunks survives.
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
    this.buffer.set(source.subarray(start, end), this.used);
    this.used += n;
  }

  /** The bytes as UTF-8 text, with `insert` spliced in at byte offset `at` (an ASCII boundary). */
  toString(insert?: { at: number; text: string }): string {
    if (!insert) return this.buffer.toString('utf8', 0, this.used);
    return this.buffer.toString('utf8', 0, insert.at) + insert.text + this.buffer.toString('utf8', insert.at, this.used);
  }
}
