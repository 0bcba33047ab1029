// The default attachment sink: decoded files kept in memory, for packages small enough to hold (tests,
// the CLI, status-sized traffic). Large traffic passes its own sink (a temporary file, object storage).
import type { AttachmentOpening, AttachmentSink, AttachmentWriter } from './attachment-decoder.ts';

export class MemoryAttachmentSink implements AttachmentSink {
  private readonly files = new Map<number, Uint8Array>();

  open(attachment: AttachmentOpening): AttachmentWriter {
    const chunks: Uint8Array[] = [];
    return {
      write: (chunk) => {
        chunks.push(chunk);
      },
      close: () => {
        this.files.set(attachment.index, Buffer.concat(chunks));
      },
      abort: () => {
        chunks.length = 0;
      },
    };
  }

  content(index: number): Uint8Array | undefined {
    return this.files.get(index);
  }
}
