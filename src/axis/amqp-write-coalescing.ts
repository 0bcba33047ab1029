// amqplib writes the frames its channels queue to the socket one `write` a frame (lib/mux.js,
// `_readIncoming`): a package published is 3–4 frames, the acks of an inbox batch up to 16, each its own
// syscall and its own wake-up of RabbitMQ's reader (two context switches on this VM). Corking the socket
// for one pass of the muxer sends what the pass writes in one `writev`. Patched on the muxer of each
// connection this transport opens (amqplib 2.3.1, pinned); if a newer amqplib has no such muxer, nothing
// is patched and `coalesceWrites` says so (test/integration/axis/amqp-write-coalescing.test.ts).
import type { ChannelModel } from 'amqplib';

interface Muxer {
  readonly out: { cork(): void; uncork(): void };
  _readIncoming(): void;
}

/** Makes each muxer pass of `model`'s connection one socket write; false if amqplib has no such muxer. */
export function coalesceWrites(model: ChannelModel): boolean {
  const muxer = (model as unknown as { connection?: { muxer?: Partial<Muxer> } }).connection?.muxer;
  if (!muxer || typeof muxer._readIncoming !== 'function' || typeof muxer.out?.cork !== 'function') return false;
  const pass = muxer._readIncoming.bind(muxer);
  const out = muxer.out;
  muxer._readIncoming = () => {
    out.cork();
    try { pass(); } finally { out.uncork(); }
  };
  return true;
}
