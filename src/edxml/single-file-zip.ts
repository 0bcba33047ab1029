// A ZIP archive holding one file, as the vendor SDK wraps each attachment (APPNOTE.TXT 6.3.10: local file
// header §4.3.7, central directory header §4.3.12, end of central directory §4.3.16). Deflate and CRC-32
// are node:zlib's (native, several times faster than a JavaScript deflate on a 50 MB file). Sizes and
// CRC sit in the local header (no data descriptor), the name is UTF-8 (general purpose flag bit 11).
// How it is compressed depends on what it holds, judged from 32 samples of 1 KB spread over the file
// (level-1 deflate of the samples; 32 so that one region, such as the signature placeholder at the end of
// a signed 50 MB scan, weighs what it is worth): text and the like (samples shrink below 60 %) is deflated at level 6;
// a file that is mostly already compressed but has runs (a signed PDF: random-looking image and Flate
// streams beside a zero-filled signature placeholder) is deflated with the run-length strategy, which
// finds the runs at a third of the cost; a file that does not shrink (a scan's JPEG pages, a ZIP) is
// stored (method 0): deflate would spend ~25 ms per MB to save nothing, and the receiver more to inflate.
import { once } from 'node:events';
import { constants, crc32, createDeflateRaw, deflateRawSync, type ZlibOptions } from 'node:zlib';
import { readPieces, type RandomAccessContent } from './model.ts';

const UTF8_NAME = 0x0800;
const STORED = 0;
const DEFLATE = 8;
const VERSION = { [STORED]: 10, [DEFLATE]: 20 } as const; // 1.0: stored; 2.0: deflate
const SAMPLES = 32;
const SAMPLE_BYTES = 1024;

export type Compression = 'deflate' | 'runs' | 'store';

/** How to compress this content. Small files are always deflated: the cost is nothing. */
export function compressionFor(content: Uint8Array | RandomAccessContent): Compression {
  const size = content.byteLength;
  if (size <= 64 * 1024) return 'deflate';
  const step = Math.floor((size - SAMPLE_BYTES) / (SAMPLES - 1));
  const sample = (at: number): Uint8Array => (content instanceof Uint8Array ? content.subarray(at, at + SAMPLE_BYTES) : content.readSync(at, SAMPLE_BYTES));
  const samples = Buffer.concat(Array.from({ length: SAMPLES }, (_, i) => sample(i * step)));
  const ratio = deflateRawSync(samples, { level: 1 }).length / samples.length;
  return ratio < 0.6 ? 'deflate' : ratio < 0.9 ? 'runs' : 'store';
}

const DEFLATE_OPTIONS: Record<Exclude<Compression, 'store'>, ZlibOptions> = {
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
    : compression === 'store' ? content : deflateRawSync(whole(), level === 'auto' ? DEFLATE_OPTIONS[compression] : { level });
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
 * read in 1 MB pieces and deflated as a stream, with the options `singleFileZipParts` would use for it
 * (the same bytes: zlib's output does not depend on how its input is cut). `crc32()` is the file's CRC-32
 * once `chunks` has been read to the end. Undefined for a file that does not compress (stored as is).
 */
export function deflateAhead(content: RandomAccessContent): { readonly chunks: AsyncIterable<Uint8Array>; crc32(): number } | undefined {
  const compression = compressionFor(content);
  if (compression === 'store') return undefined;
  let crc = 0;
  let ended = false;
  const deflater = createDeflateRaw(DEFLATE_OPTIONS[compression]);
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
    crc32: () => {
      if (!ended) throw new Error('deflateAhead: the CRC-32 is known once the deflated data has been read to the end');
      return crc;
    },
  };
}

function crc32Of(content: Uint8Array | RandomAccessContent): number {
  if (content instanceof Uint8Array) return crc32(content);
  let crc = 0;
  for (const piece of readPieces(content, CRC_READ)) crc = crc32(piece, crc);
  return crc;
}
