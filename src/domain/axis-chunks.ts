// Large packages over the axis (issue 5, item 7): attachments of up to 50 MB per file must travel without
// hitting the broker's message-size limit and without several copies in memory. A package above the
// configured chunk size travels as `count` chunk messages, each carrying its manifest (message id, index,
// count, total size, total SHA-256 and the chunk's own SHA-256). The receiver keeps each chunk in a chunk
// store until all are there, then streams them in order into a payload sink and checks the total digest.
import type { AxisHeaders, AxisPayload } from './axis-transport.ts';

export interface ChunkManifest {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
  readonly totalSize: number;
  /** Lower-case hex SHA-256 of this chunk's bytes. */
  readonly chunkDigest: string;
}

export type ChunkPutResult =
  | { readonly kind: 'stored' | 'duplicate'; readonly received: number; readonly complete: boolean }
  /** Same index with other bytes, or a manifest that contradicts the earlier chunks of the message. */
  | { readonly kind: 'conflict'; readonly reason: string };

export interface IncompleteAssembly {
  readonly to: string;
  readonly messageId: string;
  readonly from: string;
  readonly received: number;
  readonly count: number;
  readonly firstSeenAt: Date;
}

/** Where received chunks wait for the rest of their message; durable, shared by competing consumers. */
export interface AxisChunkStore {
  /** Stores a chunk (idempotent for identical bytes) and says whether the message is now complete. */
  put(headers: AxisHeaders, manifest: ChunkManifest, bytes: Uint8Array): Promise<ChunkPutResult>;
  read(to: string, messageId: string, index: number): Promise<Uint8Array>;
  remove(to: string, messageId: string): Promise<void>;
  incomplete(): Promise<IncompleteAssembly[]>;
}

/** A payload backed by a resource (a temp file) that the transport releases after the handler. */
export interface DisposablePayload extends AxisPayload {
  dispose(): Promise<void>;
}

export interface AxisPayloadWriter {
  write(bytes: Uint8Array): Promise<void>;
  finish(): Promise<DisposablePayload>;
  abort(): Promise<void>;
}

/** Caller-provided destination of a reassembled large package (e.g. a temp file). */
export interface AxisPayloadSink {
  open(messageId: string, size: number): Promise<AxisPayloadWriter>;
}
