// Sweeping the blob store of what no row names (docs/storage.md "Sweeping"): blobs are written before the
// transaction that names them commits, so a rolled-back send, receipt or upload leaves an unreferenced
// blob behind, and a crash mid-put a temporary file. The sweep removes those only once they are older than
// any transaction could be (at least an hour), and never a blob written again since it was listed.

/** The store's side of a sweep. */
export interface SweepableBlobStore {
  /** SHA-256 of every blob last written before `cutoff`. */
  listWrittenBefore(cutoff: Date): AsyncIterable<string>;
  /**
   * Removes the blob unless it was written again at or after `cutoff` (a put racing the sweep: its file is
   * kept); true when removed.
   */
  removeIfWrittenBefore(sha256: string, cutoff: Date): Promise<boolean>;
  /** Removes the temporary files of puts last written before `cutoff` (never finished); returns how many. */
  removeTemporariesBefore(cutoff: Date): Promise<number>;
}

/** Every blob a row names: attachments, signatures, stored and quarantined packages, outbox packages. */
export interface BlobReferences {
  referenced(): Promise<ReadonlySet<string>>;
}

export interface SweepReport {
  readonly cutoff: string;
  /** false: a dry run (nothing removed; `unreferenced` lists what would be). */
  readonly applied: boolean;
  readonly examined: number;
  readonly unreferenced: readonly string[];
  readonly removed: number;
  readonly temporariesRemoved: number;
}

/** The shortest age a sweep accepts: longer than any transaction that writes a blob before it commits. */
export const MIN_SWEEP_AGE_HOURS = 1;
