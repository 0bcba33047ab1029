// Payload sink writing a reassembled large package to a temp file, streamed back to the handler in
// 1 MB reads; the file is removed when the transport disposes the payload after the handler settles.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AxisPayloadSink, AxisPayloadWriter, DisposablePayload } from '../domain/axis-chunks.ts';

const READ_SIZE = 1024 * 1024;

export class TempFilePayloadSink implements AxisPayloadSink {
  constructor(private readonly dir: string) {}

  async open(_messageId: string, _size: number): Promise<AxisPayloadWriter> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${randomUUID()}.package`);
    const handle = await open(path, 'wx', 0o600);
    let size = 0;
    return {
      write: async (bytes) => {
        await handle.write(bytes);
        size += bytes.byteLength;
      },
      finish: async (): Promise<DisposablePayload> => {
        await handle.close();
        return filePayload(path, size);
      },
      abort: async () => {
        await handle.close().catch(() => undefined);
        await rm(path, { force: true });
      },
    };
  }
}

export function filePayload(path: string, size: number): DisposablePayload {
  return {
    size,
    chunks: () => createReadStream(path, { highWaterMark: READ_SIZE }),
    bytes: async () => readFile(path),
    dispose: () => rm(path, { force: true }),
  };
}
