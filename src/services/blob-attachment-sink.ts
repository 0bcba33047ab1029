// Received attachments go straight from the edXML parser into the blob store, chunk by chunk: a decoded
// 50 MB file is never held whole in memory on its way to storage (issue 5 item 7). The parser waits on
// each write (back-pressure), so at most a few chunks are queued per file. For a package small enough to
// be held whole anyway, the sink may also keep each file's bytes (`holdContent`, up to HELD_BYTES in all),
// so the receipt's checks (a signed PDF verified) read them from memory instead of back from the store.
import { createHash } from 'node:crypto';
import type { AttachmentOpening, AttachmentSink, AttachmentWriter } from '../edxml/attachment-decoder.ts';
import type { BlobStore } from '../domain/registry-ports.ts';

const QUEUED_CHUNKS = 4;
/**
 * At most this many decoded bytes held per package (`holdContent`): a small package may still inflate to
 * large files (a ZIP of text, up to the per-file limit each); a file past it is verified from the store.
 */
export const HELD_BYTES = 4 * 1024 * 1024;

/** One producer (the parser), one consumer (BlobStore.put): a bounded queue of chunks. */
class ChunkChannel implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private failure: { reason: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private readonly waitingProducers: (() => void)[] = [];

  async push(chunk: Uint8Array): Promise<void> {
    this.queue.push(chunk);
    this.wake();
    // The parser may write several chunks of one input slice before awaiting any: each waits its turn.
    while (this.queue.length >= QUEUED_CHUNKS && !this.failure) await new Promise<void>((resolve) => { this.waitingProducers.push(resolve); });
  }

  end(): void { this.ended = true; this.wake(); }

  fail(reason: unknown): void {
    this.failure = { reason };
    this.wake();
    this.wakeProducers();
  }

  private wakeProducers(): void {
    for (const resolve of this.waitingProducers.splice(0)) resolve();
  }

  private wake(): void {
    const consumer = this.wakeConsumer;
    this.wakeConsumer = undefined;
    consumer?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.failure) throw this.failure.reason;
      const chunk = this.queue.shift();
      if (chunk) {
        this.wakeProducers();
        yield chunk;
      } else if (this.ended) {
        return;
      } else {
        await new Promise<void>((resolve) => { this.wakeConsumer = resolve; });
      }
    }
  }
}

export interface BlobAttachmentSinkOptions {
  /** Keep each stored file's bytes too, by SHA-256 (`held`): only for a package already held whole. */
  readonly holdContent?: boolean;
  /**
   * With `holdContent`: a file held is NOT written to the store — the caller keeps the package it came in,
   * and names it as the file's source (`inPackage`); the store makes the file from it when first read
   * (src/services/package-file-blobs.ts). A file past the held budget is stored as usual.
   */
  readonly leaveHeldInPackage?: boolean;
}

export class BlobAttachmentSink implements AttachmentSink {
  private readonly heldFiles = new Map<string, Uint8Array>();
  /** Decoded bytes held so far, by all this sink's files (at most HELD_BYTES). */
  private heldBytes = 0;

  constructor(private readonly blobs: BlobStore, private readonly maxBytes: number, private readonly options: BlobAttachmentSinkOptions = {}) {}

  /** SHA-256 of the files held and not stored (`leaveHeldInPackage`). */
  private readonly leftInPackage = new Set<string>();

  open(_attachment: AttachmentOpening): AttachmentWriter {
    return this.options.holdContent && this.options.leaveHeldInPackage ? this.openHeld() : this.openStored();
  }

  /** The files this sink held and did not store: kept in the package only (`leaveHeldInPackage`). */
  get inPackage(): ReadonlySet<string> {
    return this.leftInPackage;
  }

  private openStored(): AttachmentWriter {
    const channel = new ChunkChannel();
    const stored = this.blobs.put(channel, this.maxBytes);
    // A store that fails stops reading: release the parser (close() then rejects with the store's error).
    stored.catch((error: unknown) => channel.fail(error));
    let chunks: Uint8Array[] | null = this.options.holdContent ? [] : null;
    let size = 0;
    return {
      write: (chunk) => {
        if (chunks) {
          size += chunk.length;
          this.heldBytes += chunk.length;
          if (this.heldBytes <= HELD_BYTES) {
            chunks.push(chunk); // the parser never reuses a chunk
          } else {
            this.heldBytes -= size; // over the budget: this file is let go, read back from the store if needed
            chunks = null;
          }
        }
        return channel.push(chunk);
      },
      close: async () => {
        channel.end();
        const blob = await stored;
        if (chunks) this.heldFiles.set(blob.sha256, chunks.length === 1 ? chunks[0] as Uint8Array : Buffer.concat(chunks));
      },
      abort: (reason) => channel.fail(reason),
    };
  }

  /**
   * A file held in memory only, hashed as it comes; past the held budget it goes to the store after all,
   * the bytes held so far first.
   */
  private openHeld(): AttachmentWriter {
    let chunks: Uint8Array[] | null = [];
    let size = 0;
    const hash = createHash('sha256');
    let channel: ChunkChannel | null = null;
    let stored: Promise<unknown> | null = null;
    return {
      write: (chunk) => {
        if (channel) return channel.push(chunk);
        size += chunk.length;
        this.heldBytes += chunk.length;
        if (this.heldBytes <= HELD_BYTES) {
          chunks?.push(chunk);
          hash.update(chunk);
          return undefined;
        }
        this.heldBytes -= size; // over the budget: this file is stored like any other, read back from the store if needed
        const into = new ChunkChannel();
        channel = into;
        stored = this.blobs.put(into, this.maxBytes);
        stored.catch((error: unknown) => into.fail(error));
        const earlier = chunks ?? [];
        chunks = null;
        return (async () => { for (const c of [...earlier, chunk]) await into.push(c); })();
      },
      close: async () => {
        if (channel) {
          channel.end();
          await stored;
          return;
        }
        const sha256 = hash.digest('hex');
        const held = chunks ?? [];
        this.heldFiles.set(sha256, held.length === 1 ? held[0] as Uint8Array : Buffer.concat(held));
        this.leftInPackage.add(sha256);
      },
      abort: (reason) => channel?.fail(reason),
    };
  }

  /** The bytes of a file this sink stored, when it holds them (`holdContent`). */
  held(sha256: string): Uint8Array | undefined {
    return this.heldFiles.get(sha256);
  }
}
