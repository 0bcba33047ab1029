// Files kept inside their received package (docs/storage.md "Files kept in their package"). A receiver
// stores the package it was sent (the evidence) and, for a file it held in memory while checking it, names
// that package as the file's source (`attachments.source_package_sha256`) instead of writing the same
// bytes a second time with two more flushes. This store is the blob store every service reads through: a
// file that is not a blob of its own yet is made from a package that holds it — parsed again, its files
// written to the store (each checked against its digest as it is written: a file is found under its SHA-256
// or not at all) — on its first read, and read from the store from then on.
import type { BlobReader, BlobStore } from '../domain/registry-ports.ts';
import type { UnitOfWork } from '../domain/unit-of-work.ts';
import { isDomainError } from '../domain/errors.ts';
import { parseEdxml } from '../edxml/parse-package.ts';
import { BlobAttachmentSink } from './blob-attachment-sink.ts';

/**
 * The SHA-256 of the packages that hold the file with this SHA-256 (none: the file is nowhere else). The
 * composition root reads them in a transaction of their own: a file not made yet is first read outside any
 * other transaction (a download, a check, the write-out), as PGlite's one connection would be taken — no
 * service reads a received file inside its transaction (the sender reads its own outgoing files there).
 */
export type PackagesHolding = (sha256: string) => Promise<readonly string[]>;

export class PackageFileBlobStore implements BlobStore {
  /** Files being made, by SHA-256: readers of one file at once wait for one parse. */
  private readonly making = new Map<string, Promise<boolean>>();

  constructor(private readonly files: BlobStore, private readonly packagesHolding: PackagesHolding, private readonly maxFileBytes: number) {}

  put(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ sha256: string; size: number }> {
    return this.files.put(source, maxBytes);
  }

  open(sha256: string): AsyncIterable<Uint8Array> {
    const files = this.files;
    const made = (): Promise<boolean> => this.make(sha256);
    return (async function* () {
      if (!(await files.has(sha256))) await made();
      yield* files.open(sha256);
    })();
  }

  async openReader(sha256: string): Promise<BlobReader> {
    try {
      return await this.files.openReader(sha256);
    } catch (error) {
      if (!isDomainError(error, 'attachment.not_found') || !(await this.make(sha256))) throw error;
      return this.files.openReader(sha256);
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.files.has(sha256)) || this.make(sha256);
  }

  /** True once the file is a blob of its own, made from a package that holds it; false when none does. */
  make(sha256: string): Promise<boolean> {
    let making = this.making.get(sha256);
    if (!making) {
      making = this.makeFromPackages(sha256).finally(() => this.making.delete(sha256));
      this.making.set(sha256, making);
    }
    return making;
  }

  private async makeFromPackages(sha256: string): Promise<boolean> {
    for (const packageSha256 of await this.packagesHolding(sha256)) {
      if (!(await this.files.has(packageSha256))) continue;
      try {
        // Every file of the package is written (each is named by a row of its document); the parser checks
        // the package's structure and limits as at its receipt, the store each file's digest.
        await parseEdxml(this.files.open(packageSha256), { limits: { maxAttachmentBytes: this.maxFileBytes }, sink: new BlobAttachmentSink(this.files, this.maxFileBytes) });
      } catch (error) {
        if (!isDomainError(error) || error.kind === 'unavailable') throw error;
        continue; // not readable as a package any more (a lower limit since): another package may hold the file
      }
      if (await this.files.has(sha256)) return true;
    }
    return false;
  }
}

/**
 * `edoc-node blobs write-out`: every file kept only in its package made a blob of its own, and its rows no
 * longer naming the package (before going back to a version without this, or to copy the blob directory
 * alone). A file no stored package yields is listed, its rows left as they are.
 */
export async function writeOutPackageFiles(uow: UnitOfWork, store: PackageFileBlobStore): Promise<{ readonly written: number; readonly missing: readonly string[] }> {
  let written = 0;
  const missing: string[] = [];
  for (let after = ''; ;) {
    const batch = await uow.run((repos) => repos.attachments.keptInPackages(200, after));
    if (batch.length === 0) return { written, missing };
    const made: string[] = [];
    for (const sha256 of batch) (await store.has(sha256) ? made : missing).push(sha256);
    await uow.run((repos) => repos.attachments.clearPackageSource(made));
    written += made.length;
    after = batch.at(-1) as string;
  }
}
