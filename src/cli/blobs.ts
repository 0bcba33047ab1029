// `edoc-node blobs sweep`: the blob store's unreferenced blobs (docs/storage.md "Sweeping").
import { createNodeApp } from '../app.ts';
import { isDomainError } from '../domain/errors.ts';
import { MIN_SWEEP_AGE_HOURS } from '../domain/blob-sweep.ts';
import { parseFlags, type CliCommand } from './command.ts';
import { loadConfigOrReport } from './node-config.ts';

export const blobsSweepCommand: CliCommand = {
  words: ['blobs', 'sweep'],
  summary: 'list (or with --apply remove) stored files no document, signature, package or outbox entry names',
  usage: `blobs sweep [--older-than-hours N (default 24, at least ${MIN_SWEEP_AGE_HOURS})] [--apply] [--json]   (PGlite: stop the node first)`,
  async run(args) {
    const { flags } = parseFlags(args, ['apply', 'json']);
    const olderThanHours = Number(flags.get('older-than-hours')?.[0] ?? 24);
    const config = loadConfigOrReport();
    if (!config) return 2;
    let app;
    try {
      app = await createNodeApp(config); // with PGlite: refused while the node runs (db.unavailable)
      const report = await app.blobSweep.sweep({ olderThanHours, apply: flags.has('apply') });
      if (flags.has('json')) console.log(JSON.stringify(report, null, 2));
      else {
        console.log(`Tệp không còn được tham chiếu (cũ hơn ${report.cutoff}) — unreferenced blobs: ${report.unreferenced.length} of ${report.examined} examined`);
        for (const sha256 of report.unreferenced) console.log(`  ${sha256}`);
        console.log(report.applied
          ? `Đã xoá ${report.removed} tệp và ${report.temporariesRemoved} tệp tạm — removed ${report.removed} blobs and ${report.temporariesRemoved} temporary files`
          : 'Chạy thử: chưa xoá gì (thêm --apply để xoá) — dry run: nothing removed (add --apply)');
      }
      return 0;
    } catch (error) {
      if (!isDomainError(error)) throw error;
      console.error(`${error.messageVi} — ${error.message}${error.details.length ? ` (${error.details.map((d) => d.message).join('; ')})` : ''}`);
      return 3;
    } finally { await app?.close(); }
  },
};

export const blobsWriteOutCommand: CliCommand = {
  words: ['blobs', 'write-out'],
  summary: 'write every received file kept only in its package as a blob of its own (before a downgrade, or to copy the blob directory alone)',
  usage: 'blobs write-out [--json]   (PGlite: stop the node first)',
  async run(args) {
    const { flags } = parseFlags(args, ['json']);
    const config = loadConfigOrReport();
    if (!config) return 2;
    let app;
    try {
      app = await createNodeApp(config);
      const report = await app.writeOutPackageFiles();
      if (flags.has('json')) console.log(JSON.stringify(report, null, 2));
      else {
        console.log(`Đã ghi ${report.written} tệp thành tệp riêng — ${report.written} files written out as blobs of their own`);
        for (const sha256 of report.missing) console.log(`  không tìm thấy gói tin chứa tệp — no stored package holds ${sha256}`);
      }
      return report.missing.length === 0 ? 0 : 1;
    } catch (error) {
      if (!isDomainError(error)) throw error;
      console.error(`${error.messageVi} — ${error.message}${error.details.length ? ` (${error.details.map((d) => d.message).join('; ')})` : ''}`);
      return 3;
    } finally { await app?.close(); }
  },
};
