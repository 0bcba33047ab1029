// One attachment on its way out of the package: base64 text in, decoded file out to the caller's sink,
// hashed (SHA-256) and measured as it goes, so a 50 MB file never sits in memory several times over.
// The vendor SDK sends base64 of a ZIP holding the one file; older senders the raw file: the first bytes
// decide (`PK\x03\x04`, the ZIP local file header signature, APPNOTE.TXT §4.3.7).
import { createHash, type Hash } from 'node:crypto';
import { Unzip, type UnzipFile } from 'fflate';
import { DomainError } from '../domain/errors.ts';
import { Base64StreamDecoder } from './base64-stream.ts';
import type { TransferEncoding } from './model.ts';
import { ZipEntryInflate } from './zip-entry-inflate.ts';

/** What is known of an attachment when its content starts (elements after it are not known yet). */
export interface AttachmentOpening {
  /** 0-based position among the package's attachments. */
  readonly index: number;
  readonly contentId?: string | undefined;
  readonly name?: string | undefined;
  readonly contentType?: string | undefined;
}

/**
 * Receives one decoded file, chunk by chunk. Chunks are fresh buffers the parser never reuses (a writer may
 * keep them). A promise returned by write() or close() is awaited before more input is read (back-pressure).
 */
export interface AttachmentWriter {
  write(chunk: Uint8Array): void | Promise<void>;
  close(): void | Promise<void>;
  /** Called instead of close() when the package is rejected part-way. */
  abort?(reason: unknown): void;
}

/** Where decoded attachment files go (a temporary file, object storage, memory…), chosen by the caller. */
export interface AttachmentSink {
  open(attachment: AttachmentOpening): AttachmentWriter;
}

export interface DecodedAttachmentDigest {
  readonly index: number;
  readonly transferEncoding: TransferEncoding;
  readonly zipEntryName?: string | undefined;
  readonly size: number;
  readonly sha256: string;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** A ZIP of an incompressible file is a little larger than the file: headers and stored-block overhead. */
const zipAllowance = (max: number): number => max + Math.ceil(max / 100) + 64 * 1024;

/** ZIP slip (paths that climb out of a directory) and other names no single file should have. */
const isUnsafeEntryName = (name: string): boolean =>
  name.length === 0 || name.includes('\\') || name.includes('\0') || name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..') || name.endsWith('/');

export class AttachmentDecoder {
  private readonly base64: Base64StreamDecoder;
  private readonly hash: Hash = createHash('sha256');
  private readonly pending: Promise<void>[] = [];
  private head: Uint8Array[] = [];
  private headLength = 0;
  private encoding: TransferEncoding | undefined;
  private transferBytes = 0;
  private fileBytes = 0;
  private unzip: Unzip | undefined;
  private entryName: string | undefined;
  private entries = 0;
  private entryDone = false;
  private failure: DomainError | undefined;

  constructor(
    readonly index: number,
    private readonly writer: AttachmentWriter,
    private readonly maxBytes: number,
  ) {
    this.base64 = new Base64StreamDecoder(`AttachmentEncoded/Attachment[${index + 1}]/ContentTransferEncoded`);
  }

  /** Feeds base64 text (as bytes); returns promises of sink writes the caller must await before reading on. */
  pushEncoded(bytes: Uint8Array): Promise<void>[] {
    this.transfer(this.base64.push(bytes));
    return this.drainPending();
  }

  finish(): { digest: DecodedAttachmentDigest; pending: Promise<void>[] } {
    this.base64.end();
    if (this.encoding === undefined) this.decide();
    if (this.unzip) {
      this.pushZip(new Uint8Array(0), true);
      if (this.entries !== 1 || !this.entryDone) this.invalid(this.entries === 0 ? 'the ZIP holds no file' : 'the ZIP file entry is truncated');
    }
    const closing = this.writer.close();
    const pending = this.drainPending();
    if (closing) pending.push(closing);
    return {
      digest: { index: this.index, transferEncoding: this.encoding ?? 'raw', zipEntryName: this.entryName, size: this.fileBytes, sha256: this.hash.digest('hex') },
      pending,
    };
  }

  abort(reason: unknown): void {
    this.writer.abort?.(reason);
  }

  private drainPending(): Promise<void>[] {
    return this.pending.splice(0, this.pending.length);
  }

  private transfer(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.transferBytes += bytes.length;
    if (this.transferBytes > zipAllowance(this.maxBytes)) this.tooLarge('the encoded attachment');
    if (this.encoding === undefined) {
      this.head.push(bytes);
      this.headLength += bytes.length;
      if (this.headLength < ZIP_MAGIC.length) return;
      this.decide();
      return;
    }
    this.route(bytes);
  }

  private decide(): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    this.encoding = head.length >= 4 && ZIP_MAGIC.every((b, i) => head[i] === b) ? 'zip' : 'raw';
    if (this.encoding === 'zip') this.unzip = this.openZip();
    if (head.length > 0) this.route(head);
  }

  private route(bytes: Uint8Array): void {
    if (this.unzip) {
      this.pushZip(bytes, false);
    } else {
      this.emit(bytes);
    }
  }

  private emit(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.fileBytes += bytes.length;
    if (this.fileBytes > this.maxBytes) this.tooLarge('the decoded attachment');
    this.hash.update(bytes);
    const written = this.writer.write(bytes);
    if (written) this.pending.push(written);
  }

  private openZip(): Unzip {
    const unzip = new Unzip();
    unzip.register(ZipEntryInflate);
    unzip.onfile = (file: UnzipFile) => {
      try {
        this.entries += 1;
        if (this.entries > 1) this.invalid('the ZIP holds more than one file');
        if (isUnsafeEntryName(file.name)) this.invalid(`unsafe ZIP entry name ${JSON.stringify(file.name)}`);
        // Declared size from the local header (absent when a data descriptor follows): refuse a bomb before inflating.
        if (file.originalSize !== undefined && file.originalSize > this.maxBytes) this.tooLarge('the declared ZIP entry size');
        this.entryName = file.name;
        file.ondata = (err, data, final) => {
          if (this.failure) return;
          try {
            if (err) this.invalid(`ZIP entry cannot be inflated: ${err.message}`);
            this.emit(data);
            if (final) this.entryDone = true;
          } catch (e) {
            this.failure = e as DomainError;
            file.terminate();
          }
        };
        file.start();
      } catch (e) {
        this.failure ??= e as DomainError;
      }
    };
    return unzip;
  }

  private pushZip(bytes: Uint8Array, final: boolean): void {
    try {
      (this.unzip as Unzip).push(bytes, final);
    } catch (e) {
      if (e instanceof DomainError) throw e;
      this.failure ??= new DomainError('edxml.attachment_invalid', { cause: e, details: [{ field: `AttachmentEncoded/Attachment[${this.index + 1}]`, message: `not a readable ZIP: ${(e as Error).message}` }] });
    }
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private invalid(message: string): never {
    throw new DomainError('edxml.attachment_invalid', { details: [{ field: `AttachmentEncoded/Attachment[${this.index + 1}]`, message }] });
  }

  private tooLarge(what: string): never {
    throw new DomainError('edxml.too_large', { details: [{ field: `AttachmentEncoded/Attachment[${this.index + 1}]`, message: `${what} exceeds ${this.maxBytes} bytes`, limit: 'maxAttachmentBytes' }] });
  }
}
