// A ZIP archive holding one file, as the vendor SDK wraps each attachment (APPNOTE.TXT 6.3.10: local file
// header §4.3.7, central directory header §4.3.12, end of central directory §4.3.16). Deflate and CRC-32
// are node:zlib's (native, several times faster than a JavaScript deflate on a 50 MB file). Sizes and
// CRC sit in the local header (no data descriptor), the name is UTF-8 (general purpose flag bit 11).
// A file that is already compressed (a scanned PDF's JPEG pages, a signed PDF's Flate streams, a ZIP) is
// stored (method 0) rather than deflated: deflate would spend ~25 ms per MB to save nothing, and the
// receiver would spend more to inflate it. Eight 2 KB samples spread over the file decide (a signed PDF's
// zero-filled signature placeholder is found as readily as its random-looking image streams).
import { crc32, deflateRawSync } from 'node:zlib';

const UTF8_NAME = 0x0800;
const STORED = 0;
const DEFLATE = 8;
const VERSION = { [STORED]: 10, [DEFLATE]: 20 } as const; // 1.0: stored; 2.0: deflate
const SAMPLES = 8;
const SAMPLE_BYTES = 2048;
/** Deflate is kept when the samples shrink below this share of their size. */
const WORTH_DEFLATING = 0.9;

/** Does deflating this content save anything? (Small files: always deflated, the cost is nothing.) */
export function worthDeflating(content: Uint8Array): boolean {
  if (content.length <= 4 * SAMPLES * SAMPLE_BYTES) return true;
  const step = Math.floor((content.length - SAMPLE_BYTES) / (SAMPLES - 1));
  const samples = Buffer.concat(Array.from({ length: SAMPLES }, (_, i) => content.subarray(i * step, i * step + SAMPLE_BYTES)));
  return deflateRawSync(samples, { level: 1 }).length < samples.length * WORTH_DEFLATING;
}

/** MS-DOS date and time (APPNOTE §4.4.6), in the local time of Vietnam as the senders' machines write it. */
function dosDateTime(at: Date): { time: number; date: number } {
  const v = new Date(at.getTime() + 7 * 3600 * 1000);
  const year = Math.min(Math.max(v.getUTCFullYear(), 1980), 2107);
  return {
    time: (v.getUTCHours() << 11) | (v.getUTCMinutes() << 5) | Math.floor(v.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((v.getUTCMonth() + 1) << 5) | v.getUTCDate(),
  };
}

/** `level`: deflate level, or 'auto' (level 6, or stored when deflating would not pay). */
export function singleFileZip(name: string, content: Uint8Array, modifiedAt: Date, level: number | 'auto' = 'auto'): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const method = level === 'auto' && !worthDeflating(content) ? STORED : DEFLATE;
  const data = method === STORED ? content : deflateRawSync(content, { level: level === 'auto' ? 6 : level });
  const crc = crc32(content);
  const { time, date } = dosDateTime(modifiedAt);

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(VERSION[method], 4);
  local.writeUInt16LE(UTF8_NAME, 6);
  local.writeUInt16LE(method, 8);
  local.writeUInt16LE(time, 10);
  local.writeUInt16LE(date, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
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
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  // extra, comment, disk number, internal and external attributes: 0; local header offset: 0.

  const centralOffset = local.length + nameBytes.length + data.length;
  const centralSize = central.length + nameBytes.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);

  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}
