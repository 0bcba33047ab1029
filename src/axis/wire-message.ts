// What actually travels on the wire: one broker message, whole or one chunk of a large package, and the
// mapping of our headers to AMQP headers (the vendor axis names: from, to, messagetype, servicetype).
import { createHash } from 'node:crypto';
import { AXIS_MESSAGE_TYPES, type AxisHeaders, type AxisMessageType, type AxisOutgoingMessage } from '../domain/axis-transport.ts';
import type { ChunkManifest } from '../domain/axis-chunks.ts';
import { DomainError } from '../domain/errors.ts';

export interface WireMessage {
  readonly headers: AxisHeaders;
  /** Absent for a package sent whole. */
  readonly chunk: ChunkManifest | undefined;
  readonly body: Uint8Array;
}

export interface WireDelivery {
  readonly message: WireMessage;
  readonly redelivered: boolean;
  readonly deliveryCount: number;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Splits a package into wire messages of at most `chunkSizeBytes`, streaming from the payload so only
 * one chunk is in memory at a time. A package no larger than one chunk travels whole.
 */
export async function* toWireMessages(message: AxisOutgoingMessage, chunkSizeBytes: number): AsyncGenerator<WireMessage> {
  const { headers, payload } = message;
  if (payload.size <= chunkSizeBytes) {
    const body = await payload.bytes();
    if (body.byteLength !== payload.size) throw sizeMismatch(payload.size, body.byteLength);
    yield { headers, chunk: undefined, body };
    return;
  }
  const count = Math.ceil(payload.size / chunkSizeBytes);
  let index = 0;
  let total = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const emit = (bytes: Uint8Array): WireMessage => ({
    headers,
    chunk: { index: index++, count, totalSize: payload.size, chunkDigest: sha256Hex(bytes) },
    body: bytes,
  });
  for await (const piece of payload.chunks()) {
    total += piece.byteLength;
    let offset = 0;
    while (offset < piece.byteLength) {
      const take = Math.min(chunkSizeBytes - pendingBytes, piece.byteLength - offset);
      pending.push(piece.subarray(offset, offset + take));
      pendingBytes += take;
      offset += take;
      if (pendingBytes === chunkSizeBytes) {
        const bytes = Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        yield emit(bytes);
      }
    }
  }
  if (pendingBytes > 0) yield emit(Buffer.concat(pending));
  if (total !== payload.size || index !== count) throw sizeMismatch(payload.size, total);
}

const sizeMismatch = (declared: number, actual: number): DomainError =>
  new DomainError('internal.error', { message: `payload declared ${declared} bytes but streamed ${actual}` });

/** AMQP headers of a wire message (names of the vendor axis, plus our chunk manifest). */
export function toAmqpHeaders(message: WireMessage): Record<string, string | number> {
  const { headers, chunk } = message;
  const amqp: Record<string, string | number> = {
    from: headers.from,
    to: headers.to,
    messagetype: headers.messageType,
    servicetype: headers.serviceType,
    'package-digest': headers.packageDigest,
  };
  if (chunk) {
    amqp['chunk-index'] = chunk.index;
    amqp['chunk-count'] = chunk.count;
    amqp['chunk-total-size'] = chunk.totalSize;
    amqp['chunk-digest'] = chunk.chunkDigest;
  }
  return amqp;
}

/** Reads headers back; throws `axis.invalid_headers` / `axis.chunk_invalid` naming the bad header. */
export function fromAmqpHeaders(messageId: unknown, raw: Record<string, unknown> | undefined): Pick<WireMessage, 'headers' | 'chunk'> {
  const h = raw ?? {};
  const text = (name: string): string => {
    const value = h[name];
    const s = Buffer.isBuffer(value) ? value.toString('utf8') : value;
    if (typeof s !== 'string' || s === '') throw badHeader(name, value);
    return s;
  };
  const int = (name: string): number => {
    const value = h[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw badHeader(name, value);
    return value;
  };
  const messageType = text('messagetype');
  if (!AXIS_MESSAGE_TYPES.includes(messageType as AxisMessageType)) throw badHeader('messagetype', messageType);
  if (typeof messageId !== 'string' || messageId === '') throw badHeader('message-id', messageId);
  const headers: AxisHeaders = {
    from: text('from'),
    to: text('to'),
    messageType: messageType as AxisMessageType,
    serviceType: text('servicetype'),
    messageId,
    packageDigest: text('package-digest'),
  };
  const chunk = h['chunk-count'] === undefined
    ? undefined
    : { index: int('chunk-index'), count: int('chunk-count'), totalSize: int('chunk-total-size'), chunkDigest: text('chunk-digest') };
  return { headers, chunk };
}

const badHeader = (name: string, value: unknown): DomainError =>
  new DomainError(name.startsWith('chunk') ? 'axis.chunk_invalid' : 'axis.invalid_headers', { message: `bad or missing axis header ${name}`, details: [{ field: name, message: `got ${JSON.stringify(value)}` }] });
