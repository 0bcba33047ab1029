// The DEFLATE decoder of a received attachment's ZIP entry: fflate's Unzip hands it the entry's compressed
// bytes piece by piece. An entry whose local header declares a size of at most HELD_ENTRY_BYTES (every
// document's PDF of everyday size) is held until its last piece and inflated at once by Node's zlib —
// native code, where fflate's streaming Inflate regrows and copies its output buffer in JavaScript at each
// piece (~0.25 ms of a 130 KB PDF's ~0.8 ms parse). The declared size bounds what zlib may allocate
// (maxOutputLength), and HELD_ENTRY_BYTES what is held. An entry that inflates to more than it declares,
// or brings more compressed bytes than that (a bomb lying about its size), goes through the streaming
// decoder from its first piece, piece by piece as they came, so the caller's limits stop it as before; one
// that inflates to fewer is taken, as the streaming decoder takes it. A larger entry, or one whose size is
// not declared (a data descriptor follows it), streams through fflate's Inflate as before: a 50 MB file
// never sits in memory whole.
import { inflateRawSync } from 'node:zlib';
import { Inflate, type FlateError, type UnzipDecoder } from 'fflate';

/** Entries declaring at most this many bytes are inflated whole, natively. */
export const HELD_ENTRY_BYTES = 4 * 1024 * 1024;

type OnData = (err: FlateError | null, data: Uint8Array, final: boolean) => void;

export class ZipEntryInflate implements UnzipDecoder {
  static readonly compression = 8;
  ondata: OnData = () => undefined;
  /** The compressed pieces so far, while the entry is to be inflated whole; null once streaming. */
  private held: Uint8Array[] | null;
  private heldBytes = 0;
  private streaming: Inflate | null = null;
  private finished = false;

  constructor(_name: string, _size?: number, private readonly declaredSize?: number) {
    this.held = declaredSize !== undefined && declaredSize <= HELD_ENTRY_BYTES ? [] : null;
    if (!this.held) this.streaming = this.streamer();
  }

  push(chunk: Uint8Array, final: boolean): void {
    if (this.finished) return;
    try {
      const held = this.held;
      if (!held) {
        this.streaming?.push(chunk, final);
        return;
      }
      if (chunk.length > 0) { held.push(chunk); this.heldBytes += chunk.length; } // fflate's views of pieces it never writes to again
      // More compressed bytes than a held entry may inflate to: its header lies; stream it from here.
      if (this.heldBytes > HELD_ENTRY_BYTES) return this.streamHeld(final);
      if (!final) return;
      let inflated: Buffer;
      try {
        inflated = inflateRawSync(held.length === 1 ? held[0] as Uint8Array : Buffer.concat(held), { maxOutputLength: Math.max(1, (this.declaredSize as number) + 1) });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw error;
        return this.streamHeld(true); // more than the header declares (a bomb lying about its size)
      }
      this.finished = true;
      this.ondata(null, inflated, true);
    } catch (error) {
      this.finished = true;
      this.ondata(asFlateError(error), new Uint8Array(0), final);
    }
  }

  private streamer(): Inflate {
    return new Inflate((data, final) => this.ondata(null, data, final));
  }

  /** From here on as an undeclared entry: the held pieces through the streaming decoder, as they came. */
  private streamHeld(final: boolean): void {
    const pieces = this.held ?? [];
    this.held = null;
    const streaming = this.streamer();
    this.streaming = streaming;
    if (pieces.length === 0) streaming.push(new Uint8Array(0), final);
    for (const [i, piece] of pieces.entries()) streaming.push(piece, final && i === pieces.length - 1);
  }
}

function asFlateError(error: unknown): FlateError {
  const e = error instanceof Error ? error : new Error(String(error));
  return Object.assign(e, { code: 0 }) as FlateError;
}
