// The operator's sweep of the blob store (`edoc-node blobs sweep`): reports, and with `apply` removes,
// blobs no row names that are older than the given age, and temporary files of puts that never finished.
// A dry run by default. See src/domain/blob-sweep.ts for why such blobs exist and why the age matters.
import { DomainError } from '../domain/errors.ts';
import { MIN_SWEEP_AGE_HOURS, type BlobReferences, type SweepableBlobStore, type SweepReport } from '../domain/blob-sweep.ts';
import type { Clock } from '../domain/vietnam-time.ts';

export class BlobSweepService {
  constructor(private readonly store: SweepableBlobStore, private readonly references: BlobReferences, private readonly clock: Clock) {}

  async sweep(options: { readonly olderThanHours: number; readonly apply: boolean }): Promise<SweepReport> {
    if (!(options.olderThanHours >= MIN_SWEEP_AGE_HOURS)) {
      throw new DomainError('request.invalid', { details: [{ field: 'olderThanHours', message: `at least ${MIN_SWEEP_AGE_HOURS} hour(s): a younger blob may belong to a transaction still running` }] });
    }
    const cutoff = new Date(this.clock.now().getTime() - options.olderThanHours * 3600_000);
    // Read after the cutoff is fixed. Every path that names a blob puts it first, in the naming transaction's
    // run (a receipt: at most 5 minutes before it, in its preflight), and a put rewrites the file: a row
    // committed after this read names a blob written after the cutoff.
    const referenced = await this.references.referenced();
    let examined = 0;
    let removed = 0;
    const unreferenced: string[] = [];
    for await (const sha256 of this.store.listWrittenBefore(cutoff)) {
      examined += 1;
      if (referenced.has(sha256)) continue;
      unreferenced.push(sha256);
      if (options.apply && await this.store.removeIfWrittenBefore(sha256, cutoff)) removed += 1;
    }
    const temporariesRemoved = options.apply ? await this.store.removeTemporariesBefore(cutoff) : 0;
    return { cutoff: cutoff.toISOString(), applied: options.apply, examined, unreferenced, removed, temporariesRemoved };
  }
}
