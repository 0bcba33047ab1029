// Turns wire deliveries into package deliveries for a handler, the same way for every adapter:
// - a whole package: its SHA-256 is checked against the `package-digest` header;
// - a chunk: checked against its own digest and kept in the chunk store (then acked: it is durable there);
//   the chunk that completes the message is NOT acked until the handler settles, so a crash between
//   assembly and commit re-delivers it and the assembly is redone (at-least-once is kept end to end);
//   the chunks are streamed in order into the payload sink (a temp file), so memory stays bounded, and
//   the total is checked against the package digest before the handler sees it.
// A chunk that contradicts its message, a corrupted chunk or package is dead-lettered and reported;
// a message whose chunks stop arriving is reported (and dropped) by `expireIncomplete`.
import { createHash } from 'node:crypto';
import type { AxisChunkStore, AxisPayloadSink, DisposablePayload, IncompleteAssembly } from '../domain/axis-chunks.ts';
import { bytesPayload, type AxisDelivery, type AxisDeliveryHandler, type AxisDeliveryVerdict, type AxisHeaders } from '../domain/axis-transport.ts';
import { DomainError } from '../domain/errors.ts';
import { sha256Hex, type WireDelivery } from './wire-message.ts';

export interface AxisProblem {
  /** What went wrong: a DomainError for refused messages, the handler's error for a crashed handler. */
  readonly error: unknown;
  readonly headers?: AxisHeaders;
}

export type AxisProblemListener = (problem: AxisProblem) => void;

export interface DeliveryAssemblerOptions {
  readonly chunkStore: AxisChunkStore;
  readonly payloadSink: AxisPayloadSink;
  readonly onProblem: AxisProblemListener;
}

export class DeliveryAssembler {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: DeliveryAssemblerOptions) {}

  async receive(delivery: WireDelivery, handler: AxisDeliveryHandler): Promise<AxisDeliveryVerdict> {
    const { headers, chunk, body } = delivery.message;
    if (!chunk) {
      if (sha256Hex(body) !== headers.packageDigest) {
        return this.refuse(new DomainError('axis.digest_mismatch', { details: [{ field: 'package-digest', message: `message ${headers.messageId}` }] }), headers);
      }
      return this.invoke(handler, { headers, payload: bytesPayload(body), redelivered: delivery.redelivered, deliveryCount: delivery.deliveryCount });
    }
    // Chunks of one message are handled one at a time in this process (the store arbitrates between processes).
    const key = `${headers.to}\u0000${headers.messageId}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => this.receiveChunk(delivery, handler));
    this.queues.set(key, current);
    try {
      return await current;
    } finally {
      if (this.queues.get(key) === current) this.queues.delete(key);
    }
  }

  /** Reports and drops assemblies that have waited longer than `maxAgeMs` for a missing chunk. */
  async expireIncomplete(now: Date, maxAgeMs: number): Promise<IncompleteAssembly[]> {
    const expired = (await this.options.chunkStore.incomplete()).filter((a) => now.getTime() - a.firstSeenAt.getTime() > maxAgeMs);
    for (const assembly of expired) {
      await this.options.chunkStore.remove(assembly.to, assembly.messageId);
      this.options.onProblem({
        error: new DomainError('axis.chunk_invalid', {
          message: `large package ${assembly.messageId} from ${assembly.from}: ${assembly.received} of ${assembly.count} chunks arrived`,
          details: [{ field: 'chunk', message: `missing ${assembly.count - assembly.received} chunk(s)` }],
        }),
      });
    }
    return expired;
  }

  /** Sweeps expired assemblies every min(maxAgeMs, 1 min) until the returned function is called. */
  startExpiry(maxAgeMs: number): () => void {
    let sweeping = false; // a slow sweep (busy disk) must not overlap the next one and report twice
    const timer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      this.expireIncomplete(new Date(), maxAgeMs)
        .catch((error: unknown) => this.options.onProblem({ error }))
        .finally(() => { sweeping = false; });
    }, Math.min(maxAgeMs, 60_000));
    timer.unref(); // housekeeping never keeps the process alive
    return () => clearInterval(timer);
  }

  private async receiveChunk(delivery: WireDelivery, handler: AxisDeliveryHandler): Promise<AxisDeliveryVerdict> {
    const { headers, body } = delivery.message;
    const chunk = delivery.message.chunk!;
    const invalid = chunkProblem(chunk.index, chunk.count, chunk.totalSize, body.byteLength, sha256Hex(body) === chunk.chunkDigest);
    if (invalid) return this.refuse(chunkError(headers, chunk.index, invalid), headers);
    const put = await this.options.chunkStore.put(headers, chunk, body);
    if (put.kind === 'conflict') return this.refuse(chunkError(headers, chunk.index, put.reason), headers);
    if (!put.complete) return 'ack';

    const payload = await this.assemble(headers, chunk.count, chunk.totalSize);
    if (!payload) {
      await this.options.chunkStore.remove(headers.to, headers.messageId);
      return this.refuse(new DomainError('axis.digest_mismatch', { details: [{ field: 'package-digest', message: `reassembled message ${headers.messageId}` }] }), headers);
    }
    let verdict: AxisDeliveryVerdict;
    try {
      verdict = await this.invoke(handler, { headers, payload, redelivered: delivery.redelivered, deliveryCount: delivery.deliveryCount });
    } finally {
      await payload.dispose();
    }
    if (verdict !== 'requeue') await this.options.chunkStore.remove(headers.to, headers.messageId);
    return verdict;
  }

  /** Streams the chunks in order into the sink; undefined when the total does not match the digest. */
  private async assemble(headers: AxisHeaders, count: number, totalSize: number): Promise<DisposablePayload | undefined> {
    const writer = await this.options.payloadSink.open(headers.messageId, totalSize);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for (let index = 0; index < count; index++) {
        const bytes = await this.options.chunkStore.read(headers.to, headers.messageId, index);
        hash.update(bytes);
        size += bytes.byteLength;
        await writer.write(bytes);
      }
    } catch (error) {
      await writer.abort();
      throw error;
    }
    if (size !== totalSize || hash.digest('hex') !== headers.packageDigest) {
      await writer.abort();
      return undefined;
    }
    return writer.finish();
  }

  private async invoke(handler: AxisDeliveryHandler, delivery: AxisDelivery): Promise<AxisDeliveryVerdict> {
    try {
      return await handler(delivery);
    } catch (error) {
      this.options.onProblem({ error, headers: delivery.headers });
      return 'requeue';
    }
  }

  private refuse(error: DomainError, headers: AxisHeaders): AxisDeliveryVerdict {
    this.options.onProblem({ error, headers });
    return 'dead-letter';
  }
}

function chunkProblem(index: number, count: number, totalSize: number, length: number, digestOk: boolean): string | undefined {
  if (count < 2 || index >= count) return `index ${index} of ${count} is impossible`;
  if (length === 0 || length > totalSize) return `chunk of ${length} bytes in a package of ${totalSize}`;
  if (!digestOk) return 'chunk bytes do not match chunk-digest';
  return undefined;
}

const chunkError = (headers: AxisHeaders, index: number, reason: string): DomainError =>
  new DomainError('axis.chunk_invalid', { message: `chunk ${index} of message ${headers.messageId} from ${headers.from}: ${reason}`, details: [{ field: 'chunk', message: reason }] });
