// The outbox in PostgreSQL (table axis_outbox, migration 20261123130000). `enqueue` runs inside the issuing
// transaction; the relay's calls run on their own. Two relays (two processes) never publish the same
// row at once: `claimDue` locks candidate rows with FOR UPDATE SKIP LOCKED and leases them.
// A package up to 256 KB (every status, most documents) is kept in the row and comes back with its claim,
// in the same statement. A larger one is in the blob store (migration 20261123180000), written there once
// by the sender for all its recipients, and is streamed from it. (A row written before that migration with
// a large `package` is streamed out in 1 MB slices: substring on an EXTERNAL bytea, never loaded whole.)
// A small document package is kept as its parts (migration 20261207234500, PackageParts in
// src/domain/outbox.ts): its signed skeleton and its files' names; a claim makes its bytes again
// (`PackageAssembler`) and checks them against the digest before anything is published.
import type { FailedOutboxEntry } from '../domain/exchange.ts';
import type { Knex } from 'knex';
import { SEND_WITH_NEXT } from './pipelined-statements.ts';
import { bytesPayload, type AxisHeaders, type AxisMessageType, type AxisPayload } from '../domain/axis-transport.ts';
import { OUTBOX_INLINE_MAX_BYTES, type NewOutboxEntry, type OutboxEntry, type OutboxStore, type OutboxWriter, type PackageAssembler, type PackagePartFile } from '../domain/outbox.ts';
import { readBlob, type BlobStore } from '../domain/registry-ports.ts';
import { createHash } from 'node:crypto';
import { DomainError } from '../domain/errors.ts';
import { translateDatabaseError } from './knex-unit-of-work.ts';
import { insertRows, runSql } from './sql-text.ts';

const SLICE_BYTES = 1024 * 1024;
/** Packages up to this size are read with their claim (a pass of 100 entries holds at most 25 MB). */
const INLINE_BYTES = OUTBOX_INLINE_MAX_BYTES;
/**
 * The claim reads an inline package in slices of this size, each its own column: PostgreSQL sends bytea as
 * hex text, and a field over 128 KB of text becomes a V8 large-object string (fresh pages, ~14 µs a page
 * on this VM: ~0.8 ms for a 150 KB package, against ~0.05 ms in 48 KB slices).
 */
const INLINE_SLICE_BYTES = 48 * 1024;
const INLINE_SLICES = Math.ceil(INLINE_BYTES / INLINE_SLICE_BYTES);
const INLINE_COLUMNS = Array.from({ length: INLINE_SLICES }, (_, i) =>
  `CASE WHEN octet_length(package) <= ${INLINE_BYTES} AND octet_length(package) > ${i * INLINE_SLICE_BYTES} THEN substring(package from ${i * INLINE_SLICE_BYTES + 1} for ${INLINE_SLICE_BYTES}) END AS inline_${i}`).join(', ');

interface ClaimedRow {
  seq: string | number; // bigint: a string from pg
  id: string;
  message_id: string;
  sender_organ_id: string;
  recipient_organ_id: string;
  message_type: AxisMessageType;
  service_type: string;
  package_digest: string;
  attempts: number;
  size: number;
  package_blob: string | null;
  package_skeleton: Buffer | null;
  package_parts: PackagePartFile[] | string | null; // jsonb: parsed by pg, text from some drivers
  [inline: `inline_${number}`]: Buffer | null;
}

/** The inline package from its slices; null when the package is not read with the claim. */
function inlinePackage(row: ClaimedRow): Buffer | null {
  const slices: Buffer[] = [];
  for (let i = 0; i < INLINE_SLICES; i += 1) {
    const slice = row[`inline_${i}`];
    if (slice) slices.push(slice);
  }
  return slices.length === 0 ? null : slices.length === 1 ? (slices[0] as Buffer) : Buffer.concat(slices);
}

/** At most this many bytes of inline packages in one insert (but always one entry). */
const STATEMENT_INLINE_BYTES = 1024 * 1024;
// The statements of every document sent, written as SQL text (`insertRows` for the entries): knex's
// builder spends ~0.1 ms of CPU compiling each one (docs/exchange.md, Figures, 7 Dec).
const MARK_SENT = "UPDATE axis_outbox SET state = 'sent', sent_at = ?, lease_until = NULL WHERE id = ANY(?::uuid[])";

export class KnexOutboxStore implements OutboxStore, OutboxWriter<Knex.Transaction> {
  /**
   * `blobs`: where large packages are; `assemble`: makes a package kept as its parts again. Both needed by
   * the relay's claims; a writer-only store may go without.
   */
  constructor(private readonly knex: Knex, private readonly blobs?: BlobStore, private readonly assemble?: PackageAssembler) {}

  /** `leaseUntil`: the entry is handed off to this process's relay (OutboxHandOff), leased until then. */
  async enqueue(trx: Knex.Transaction, entry: NewOutboxEntry, leaseUntil?: Date): Promise<void> {
    await this.enqueueAll(trx, [{ entry, leaseUntil }]);
  }

  /**
   * Several entries in one statement (a document's recipients, the statuses of one action), in their
   * order; a statement carries at most ~1 MB of inline packages (a document to sixty agencies is not one
   * 15 MB message), so many recipients of a large package take several.
   */
  async enqueueAll(trx: Knex.Transaction, entries: ReadonlyArray<{ readonly entry: NewOutboxEntry; readonly leaseUntil?: Date | undefined }>): Promise<void> {
    let rows: Record<string, unknown>[] = [];
    let inlineBytes = 0;
    for (const { entry, leaseUntil } of entries) {
      const { headers } = entry;
      const whole = 'package' in entry ? Buffer.from(entry.package.buffer, entry.package.byteOffset, entry.package.byteLength) : null;
      const parts = 'package' in entry ? entry.parts : undefined;
      const inline = parts ? null : whole;
      if (rows.length > 0 && inlineBytes + (inline?.length ?? 0) > STATEMENT_INLINE_BYTES) {
        await insertRows(trx, 'axis_outbox', rows, '', SEND_WITH_NEXT);
        rows = [];
        inlineBytes = 0;
      }
      const blob = 'package' in entry ? null : entry.packageBlob;
      rows.push({
        id: entry.id, message_id: headers.messageId, sender_organ_id: headers.from, recipient_organ_id: headers.to, message_type: headers.messageType,
        service_type: headers.serviceType, package_digest: headers.packageDigest, package: inline, package_blob: blob?.sha256 ?? null,
        package_size: blob?.size ?? (parts ? whole?.length : null) ?? null, document_id: entry.documentId,
        package_skeleton: parts ? Buffer.from(parts.skeleton.buffer, parts.skeleton.byteOffset, parts.skeleton.byteLength) : null,
        package_parts: parts ? JSON.stringify(parts.attachments) : null,
        next_attempt_at: new Date(0), // due at once whatever the skew between this node's clock (the relay's `now`) and the database's
        lease_until: leaseUntil ?? null,
      });
      inlineBytes += inline?.length ?? 0;
    }
    if (rows.length > 0) await insertRows(trx, 'axis_outbox', rows, '', SEND_WITH_NEXT);
  }

  async retryFailed(trx: Knex.Transaction, senderOrganId: string, documentId: string | null): Promise<Array<{ recipientOrganId: string; messageType: string; documentId: string | null }>> {
    const rows = await trx('axis_outbox')
      .where({ sender_organ_id: senderOrganId, state: 'failed' })
      .modify((q) => { if (documentId !== null) q.where({ document_id: documentId }); })
      .update({ state: 'pending', attempts: 0, next_attempt_at: new Date(0), failed_at: null, lease_until: null })
      .returning(['recipient_organ_id', 'message_type', 'document_id']) as Array<{ recipient_organ_id: string; message_type: string; document_id: string | null }>;
    return rows.map((r) => ({ recipientOrganId: r.recipient_organ_id, messageType: r.message_type, documentId: r.document_id }));
  }

  async listFailed(trx: Knex.Transaction, senderOrganId: string, limit: number): Promise<FailedOutboxEntry[]> {
    const rows = await trx('axis_outbox').where({ sender_organ_id: senderOrganId, state: 'failed' }).orderBy('failed_at', 'desc').limit(limit)
      .select('message_id', 'recipient_organ_id', 'message_type', 'document_id', 'attempts', 'last_error', 'failed_at') as Array<{ message_id: string; recipient_organ_id: string; message_type: string; document_id: string | null; attempts: number; last_error: string | null; failed_at: Date | string | null }>;
    return rows.map((r) => ({
      messageId: r.message_id, recipientOrganId: r.recipient_organ_id, messageType: r.message_type, documentId: r.document_id, attempts: r.attempts, lastError: r.last_error,
      failedAt: r.failed_at === null ? null : new Date(r.failed_at).toISOString(),
    }));
  }

  /** Entries not sent: waiting (pending) and given up (failed), for /health. */
  async backlog(): Promise<{ pending: number; failed: number }> {
    const rows = await this.guard(() => this.knex('axis_outbox').whereIn('state', ['pending', 'failed']).groupBy('state').select('state').count('* as n')) as Array<{ state: string; n: string | number }>;
    const of = (state: string): number => Number(rows.find((r) => r.state === state)?.n ?? 0);
    return { pending: of('pending'), failed: of('failed') };
  }

  async claimDue(now: Date, limit: number, leaseMs: number): Promise<OutboxEntry[]> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const result = await this.guard(() => this.knex.raw<{ rows: ClaimedRow[] }>(
      `UPDATE axis_outbox SET lease_until = ?
        WHERE id IN (SELECT id FROM axis_outbox
                      WHERE state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
                      ORDER BY next_attempt_at, seq LIMIT ? FOR UPDATE SKIP LOCKED)
        RETURNING seq, id, message_id, sender_organ_id, recipient_organ_id, message_type, service_type, package_digest, attempts,
                  COALESCE(octet_length(package), package_size) AS size, ${INLINE_COLUMNS}, package_blob, package_skeleton, package_parts`,
      [leaseUntil, now, now, limit],
    ));
    // RETURNING gives the rows in the heap's order: back to the order they were written (03 before 05).
    const written = result.rows.sort((a, b) => Number(a.seq) - Number(b.seq));
    return written.map((row) => ({ row, inline: inlinePackage(row) })).map(({ row, inline }) => ({
      id: row.id,
      headers: {
        from: row.sender_organ_id, to: row.recipient_organ_id, messageType: row.message_type, serviceType: row.service_type,
        messageId: row.message_id, packageDigest: row.package_digest,
      } satisfies AxisHeaders,
      payload: inline ? bytesPayload(inline) : row.package_blob ? this.blobPayload(row.package_blob, Number(row.size))
        : row.package_skeleton ? this.partsPayload(row) : this.payload(row.id, Number(row.size)),
      attempts: row.attempts,
    }));
  }

  async markSent(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.guard(() => runSql(this.knex, MARK_SENT, [at, [...ids]]));
  }

  async scheduleRetry(id: string, attempts: number, nextAttemptAt: Date, reason: string): Promise<void> {
    await this.guard(() => this.knex('axis_outbox').where({ id }).update({ attempts, next_attempt_at: nextAttemptAt, last_error: reason, lease_until: null }));
  }

  async markFailed(id: string, attempts: number, at: Date, reason: string): Promise<void> {
    await this.guard(() => this.knex('axis_outbox').where({ id }).update({ state: 'failed', attempts, failed_at: at, last_error: reason, lease_until: null }));
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.guard(() => this.knex('axis_outbox').whereIn('id', ids).where({ state: 'pending' }).update({ lease_until: null }));
  }

  /** Per-recipient delivery rows of a document, for the sender's tracking view. */
  async listByDocument(documentId: string): Promise<Array<{ recipient: string; state: string; attempts: number; lastError: string | null; sentAt: Date | null }>> {
    const rows = await this.knex('axis_outbox').where({ document_id: documentId }).orderBy('recipient_organ_id')
      .select('recipient_organ_id', 'state', 'attempts', 'last_error', 'sent_at');
    return rows.map((r: { recipient_organ_id: string; state: string; attempts: number; last_error: string | null; sent_at: Date | null }) => ({
      recipient: r.recipient_organ_id, state: r.state, attempts: r.attempts, lastError: r.last_error, sentAt: r.sent_at,
    }));
  }

  /** A package in the blob store, streamed from it (the transport cuts it into chunks as it reads). */
  private blobPayload(sha256: string, size: number): AxisPayload {
    const blobs = this.blobs;
    if (!blobs) throw new Error('this outbox store has no blob store to read large packages from');
    return {
      size,
      chunks: () => blobs.open(sha256),
      bytes: () => readBlob(blobs, sha256, size),
    };
  }

  /**
   * A package kept as its parts, made again when the transport first reads it and checked against the
   * row's size and digest: bytes that differ (a file missing or changed, a ZIP encoder that changed) are
   * never published; the attempt fails with `exchange.package_not_rebuilt` (retried, then failed, visibly).
   */
  private partsPayload(row: ClaimedRow): AxisPayload {
    const assemble = this.assemble ?? (() => Promise.reject(new Error('this outbox store was made without a PackageAssembler')));
    const size = Number(row.size);
    // Read when first needed, so that a row whose parts cannot be read fails its own publish, not the claim.
    const parts = async () => ({ skeleton: row.package_skeleton as Buffer, attachments: (typeof row.package_parts === 'string' ? JSON.parse(row.package_parts) : row.package_parts) as PackagePartFile[] });
    let made: Promise<Uint8Array> | undefined;
    const bytes = (): Promise<Uint8Array> => (made ??= parts().then(assemble).then((pkg) => {
      const digest = createHash('sha256').update(pkg).digest('hex');
      if (pkg.byteLength !== size || digest !== row.package_digest) {
        throw new DomainError('exchange.package_not_rebuilt', { details: [{ field: 'package', message: `outbox entry ${row.id}: ${pkg.byteLength} bytes, SHA-256 ${digest}; the entry records ${size} bytes, ${row.package_digest}` }] });
      }
      return pkg;
    }, (error: unknown) => {
      if (error instanceof DomainError && error.kind === 'unavailable') throw error; // a full or unreadable store: retried as such
      throw new DomainError('exchange.package_not_rebuilt', { cause: error, details: [{ field: 'package', message: `outbox entry ${row.id}: ${error instanceof Error ? error.message : String(error)}` }] });
    }));
    return { size, chunks: async function* () { yield await bytes(); }, bytes };
  }

  private payload(id: string, size: number): AxisPayload {
    const slice = async (offset: number, length: number): Promise<Buffer> => {
      const row = await this.knex.raw<{ rows: Array<{ part: Buffer }> }>('SELECT substring(package FROM ? FOR ?) AS part FROM axis_outbox WHERE id = ?', [offset + 1, length, id]);
      const part = row.rows[0]?.part;
      if (!part) throw new Error(`outbox entry ${id} has no package`);
      return part;
    };
    return {
      size,
      chunks: async function* () {
        for (let offset = 0; offset < size; offset += SLICE_BYTES) yield await slice(offset, Math.min(SLICE_BYTES, size - offset));
      },
      bytes: () => slice(0, size),
    };
  }

  private async guard<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}
