// A ZIP archive holding one file, as the vendor SDK wraps each attachment (APPNOTE.TXT 6.3.10: local file
// header §4.3.7, central directory header §4.3.12, end of central directory §4.3.16). Deflate and CRC-32
// are node:zlib's (native, several times faster than a JavaScript deflate on a 50 MB file). Sizes and
// CRC sit in the local header (no data descriptor), the name is UTF-8 (general purpose flag bit 11).
// How it is compressed depends on what it holds, judged from 32 samples of 512 bytes spread over the file
// (32 so that one region, such as the signature placeholder at the end of a signed 50 MB scan, weighs
// what it is worth). Each sample is told apart by two counts made in one pass (`kindOf`): the bytes that
// repeat the one before (runs) and the entropy of its bytes (text and the like spend under 6 bits a
// byte; compressed or random data 8). Text and the like nearly throughout is deflated at level 6 as one
// stream; a file that does not shrink (a scan's JPEG pages, a ZIP) is stored (method 0): deflate would
// spend ~25 ms per MB to save nothing, and the receiver more to inflate; a mixed file (a signed PDF:
// random-looking image and Flate streams beside a zero-filled signature placeholder) is deflated block
// by block (`deflateBlocks`): each 16 KB block (judged from four spans of 256 bytes) is compressed on its own or written
// as a stored deflate block, so the placeholder shrinks and the rest is copied. Until 7 Dec the samples
// were judged by deflating them (level 1) and a mixed file was deflated whole with the run-length
// strategy: zlib spends ~12 ns on each random byte even then, ~3 ms of the sender's main thread for a
// signed 100 KB PDF (`npm run bench:exchange`, perf), and the receiver inflated it all again.
import { once } from 'node:events';
import { constants, crc32, createDeflateRaw, deflateRawSync, type ZlibOptions } from 'node:zlib';
import { readPieces, type RandomAccessContent } from './model.ts';

const UTF8_NAME = 0x0800;
const STORED = 0;
const DEFLATE = 8;
const VERSION = { [STORED]: 10, [DEFLATE]: 20 } as const; // 1.0: stored; 2.0: deflate
const SAMPLES = 32;
const SAMPLE_BYTES = 512;
/** A mixed file's blocks: a divisor of `CRC_READ`, so a file deflated ahead in pieces is cut the same way. */
const BLOCK_BYTES = 16 * 1024;

export type Compression = 'deflate' | 'blocks' | 'store';

type Kind = 'runs' | 'text' | 'random';

/**
 * Runs: one byte in eight repeats the one before (random data: one in 256). Else text and the like: under
 * 6 bits of entropy a byte (random data: 8, or ~7.2 as counted over a 256-byte span).
 */
function kindOf(bytes: Uint8Array, spans: number, spanBytes: number): Kind {
  const counts = new Int32Array(256);
  const step = spans > 1 ? Math.floor((bytes.length - spanBytes) / (spans - 1)) : 0;
  let repeats = 0;
  let seen = 0;
  for (let span = 0; span < spans; span++) {
    const start = Math.max(0, span * step);
    const end = Math.min(bytes.length, start + spanBytes);
    let previous = -1;
    for (let i = start; i < end; i++) {
      const b = bytes[i] as number;
      counts[b] = (counts[b] as number) + 1;
      if (b === previous) repeats++;
      previous = b;
    }
    seen += end - start;
  }
  if (repeats * 8 > seen) return 'runs';
  const table = countBits(seen);
  let bits = table[seen] as number; // Σ c·log2(seen / c) = seen·log2(seen) − Σ c·log2(c)
  for (let b = 0; b < 256; b++) bits -= table[counts[b] as number] as number;
  return bits < 6 * seen ? 'text' : 'random';
}

let countBitsTable = new Float64Array(0);
/** c·log2(c) for every count up to `max`, made once (log2 is slow next to the counting). */
function countBits(max: number): Float64Array {
  if (countBitsTable.length <= max) {
    countBitsTable = new Float64Array(Math.max(max + 1, BLOCK_BYTES + 1));
    for (let c = 1; c < countBitsTable.length; c++) countBitsTable[c] = c * Math.log2(c);
  }
  return countBitsTable;
}

/** A 16 KB block is judged from four spans of 256 bytes spread over it (a short last block, whole). */
const blockKind = (block: Uint8Array): Kind => (block.length >= BLOCK_BYTES ? kindOf(block, 4, 256) : kindOf(block, 1, block.length));

/** What a sample of each kind shrinks to, deflated: the file's estimated ratio is their mean. */
const SHRINKS_TO: Record<Kind, number> = { runs: 0.05, text: 0.45, random: 1 };

/** How to compress this content. Small files are always deflated: the cost is nothing. */
export function compressionFor(content: Uint8Array | RandomAccessContent): Compression {
  const size = content.byteLength;
  if (size <= 64 * 1024) return 'deflate';
  const step = Math.floor((size - SAMPLE_BYTES) / (SAMPLES - 1));
  // Plain loops, no callbacks: a closure made per call loses its optimised code at each full GC (docs/exchange.md).
  let shrinks = 0;
  let random = 0;
  for (let i = 0; i < SAMPLES; i += 1) {
    const at = i * step;
    const kind = kindOf(content instanceof Uint8Array ? content.subarray(at, at + SAMPLE_BYTES) : content.readSync(at, SAMPLE_BYTES), 1, SAMPLE_BYTES);
    shrinks += SHRINKS_TO[kind];
    if (kind === 'random') random += 1;
  }
  if (shrinks / SAMPLES >= 0.9) return 'store';
  return random * 4 <= SAMPLES ? 'deflate' : 'blocks';
}

const STORED_BLOCK_HEADER = 5;
const FINAL_EMPTY_BLOCK = Uint8Array.of(0x01, 0x00, 0x00, 0xff, 0xff); // BFINAL, stored, LEN 0, NLEN

/**
 * `piece` (a whole number of 16 KB blocks, or the file's last bytes) as raw deflate blocks, none final:
 * each block judged like a sample — runs deflated with the run-length strategy, text at level 6, the rest
 * a stored block (RFC 1951 §3.2.4). zlib's sync flush leaves each compressed block on a byte boundary,
 * where a stored block may start. The blocks do not depend on how the file is cut into pieces.
 */
export function deflateBlocks(piece: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < piece.length; at += BLOCK_BYTES) {
    const block = piece.subarray(at, at + BLOCK_BYTES);
    const kind = blockKind(block);
    if (kind === 'random') {
      const header = Buffer.alloc(STORED_BLOCK_HEADER); // BFINAL 0, BTYPE 00, then byte-aligned
      header.writeUInt16LE(block.length, 1);
      header.writeUInt16LE(~block.length & 0xffff, 3);
      out.push(header, block);
    } else {
      out.push(deflateRawSync(block, { ...DEFLATE_OPTIONS[kind === 'runs' ? 'runs' : 'deflate'], finishFlush: constants.Z_SYNC_FLUSH }));
    }
  }
  return out;
}

const DEFLATE_OPTIONS: Record<'deflate' | 'runs', ZlibOptions> = {
  deflate: { level: 6 },
  runs: { level: 6, strategy: constants.Z_RLE },
};

/** MS-DOS date and time (APPNOTE §4.4.6), in the local time of Vietnam as the senders' machines write it. */
function dosDateTime(at: Date): { time: number; date: number } {
  const v = new Date(at.getTime() + 7 * 3600 * 1000);
  const year = Math.min(Math.max(v.getUTCFullYear(), 1980), 2107);
  return {
    time: (v.getUTCHours() << 11) | (v.getUTCMinutes() << 5) | Math.floor(v.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((v.getUTCMonth() + 1) << 5) | v.getUTCDate(),
  };
}

/** `level`: a deflate level, or 'auto' (as `compressionFor` judges the content). */
export function singleFileZip(name: string, content: Uint8Array, modifiedAt: Date, level: number | 'auto' = 'auto'): Buffer {
  return Buffer.concat(singleFileZipParts(name, content, modifiedAt, level) as Uint8Array[]); // bytes in, bytes out
}

/**
 * The archive as consecutive parts: a stored file's content is one of them, not copied — and, read from
 * a file, not read here but when the package is encoded (CRC-32 is taken in 1 MB reads). A file read at
 * random that was deflated ahead (`zip`, from `deflateAhead`) is not read at all: its deflated data is
 * the part. Otherwise a file that compresses is read whole to be deflated (the sender deflates ahead any
 * file over 1 MB, so this is the small ones).
 */
export function singleFileZipParts<T extends Uint8Array | RandomAccessContent>(name: string, content: T, modifiedAt: Date, level: number | 'auto' = 'auto'): (Uint8Array | T | RandomAccessContent)[] {
  const nameBytes = Buffer.from(name, 'utf8');
  const ahead = content instanceof Uint8Array ? undefined : content.zip;
  const compression = ahead ? 'deflate' : level === 'auto' ? compressionFor(content) : 'deflate';
  const method = compression === 'store' ? STORED : DEFLATE;
  const whole = (): Uint8Array => (content instanceof Uint8Array ? content : content.readSync(0, content.byteLength));
  const data: Uint8Array | T | RandomAccessContent = ahead ? ahead.deflated
    : compression === 'store' ? content
      : compression === 'blocks' ? Buffer.concat([...deflateBlocks(whole()), FINAL_EMPTY_BLOCK])
        : deflateRawSync(whole(), level === 'auto' ? DEFLATE_OPTIONS.deflate : { level });
  const crc = ahead ? ahead.crc32 : crc32Of(content);
  const { time, date } = dosDateTime(modifiedAt);

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(VERSION[method], 4);
  local.writeUInt16LE(UTF8_NAME, 6);
  local.writeUInt16LE(method, 8);
  local.writeUInt16LE(time, 10);
  local.writeUInt16LE(date, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.byteLength, 18);
  local.writeUInt32LE(content.byteLength, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  local.writeUInt16LE(0, 28);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(VERSION[method], 4);
  central.writeUInt16LE(VERSION[method], 6);
  central.writeUInt16LE(UTF8_NAME, 8);
  central.writeUInt16LE(method, 10);
  central.writeUInt16LE(time, 12);
  central.writeUInt16LE(date, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.byteLength, 20);
  central.writeUInt32LE(content.byteLength, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  // extra, comment, disk number, internal and external attributes: 0; local header offset: 0.

  const centralOffset = local.length + nameBytes.length + data.byteLength;
  const centralSize = central.length + nameBytes.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);

  return [local, nameBytes, data, central, nameBytes, end];
}

const CRC_READ = 1024 * 1024;

/**
 * A large file's ZIP data made before the (synchronous) package build, without holding the file: it is
 * read in 1 MB pieces and deflated as a stream — or, for a mixed file, block by block — the way
 * `singleFileZipParts` would do it (the same bytes: zlib's output does not depend on how its input is
 * cut, and the blocks are cut at the same offsets). `crc32()` is the file's CRC-32 once `chunks` has been
 * read to the end. Undefined for a file that does not compress (stored as is).
 */
export function deflateAhead(content: RandomAccessContent): { readonly chunks: AsyncIterable<Uint8Array>; crc32(): number } | undefined {
  const compression = compressionFor(content);
  if (compression === 'store') return undefined;
  let crc = 0;
  let ended = false;
  const crc32Known = (): number => {
    if (!ended) throw new Error('deflateAhead: the CRC-32 is known once the deflated data has been read to the end');
    return crc;
  };
  if (compression === 'blocks') {
    return {
      chunks: (async function* () {
        for (const piece of readPieces(content, CRC_READ)) {
          crc = crc32(piece, crc);
          yield* deflateBlocks(piece);
          await new Promise(setImmediate); // a 1 MB piece at a time: other work gets the event loop between them
        }
        yield FINAL_EMPTY_BLOCK;
        ended = true;
      })(),
      crc32: crc32Known,
    };
  }
  const deflater = createDeflateRaw(DEFLATE_OPTIONS.deflate);
  const feed = async (): Promise<void> => {
    for (const piece of readPieces(content, CRC_READ)) {
      crc = crc32(piece, crc);
      if (!deflater.write(piece)) await once(deflater, 'drain');
    }
    ended = true;
    deflater.end();
  };
  return {
    chunks: (async function* () {
      const feeding = feed().catch((error: unknown) => { deflater.destroy(error instanceof Error ? error : new Error(String(error))); });
      try {
        for await (const chunk of deflater) yield chunk as Uint8Array;
      } finally {
        deflater.destroy();
        await feeding;
      }
    })(),
    crc32: crc32Known,
  };
}

function crc32Of(content: Uint8Array | RandomAccessContent): number {
  if (content instanceof Uint8Array) return crc32(content);
  let crc = 0;
  for (const piece of readPieces(content, CRC_READ)) crc = crc32(piece, crc);
  return crc;
}
