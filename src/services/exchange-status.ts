// Status messages about a received document (DOMAIN.md §4), signed like packages and written to the
// outbox in the caller's transaction, so a status leaves exactly when the action that caused it commits.
// 03 carries the số đến in its Description ("Đã tiếp nhận, số đến: 12"): the status header has no
// field for it, and the systems in use put it there in practice.
import { createHash, randomUUID } from 'node:crypto';
import { statusCodeLabels, type StatusCode } from '../domain/edxml-codes.ts';
import type { ExchangeRepositories, PackageSigner, ReceivedRecord } from '../domain/exchange.ts';
import type { NewOutboxEntry } from '../domain/outbox.ts';
import { buildStatusMessage } from '../edxml/package-builder.ts';
import type { DocumentHeader, Organization, StaffInfo } from '../edxml/model.ts';
import { statusMessageFor } from '../edxml/status-message.ts';

const ARRIVAL_NUMBER = /số đến:\s*(\d+)/i;

export const describeStatus = (code: StatusCode, arrivalNumber?: number | null, reason?: string | null): string => {
  if (code === '03' && arrivalNumber) return `${statusCodeLabels['03']}, số đến: ${arrivalNumber}`;
  if (reason) return `${statusCodeLabels[code]}: ${reason}`;
  return statusCodeLabels[code];
};

/** The số đến a 03 carries, if any. */
export const arrivalNumberOf = (description: string | undefined): number | null => {
  const match = description ? ARRIVAL_NUMBER.exec(description) : null;
  return match ? Number(match[1]) : null;
};

export interface StatusToSend {
  readonly from: Organization;
  /** The original document's header (its sender and DocumentId are the ResponseFor). */
  readonly original: DocumentHeader;
  readonly code: StatusCode;
  readonly at: Date;
  readonly description?: string | undefined;
  readonly staffInfo?: StaffInfo | undefined;
  /** The incoming registry document, for the outbox entry (null when quarantined). */
  readonly documentId: string | null;
  /** Where to send it (the original sender). */
  readonly to: string;
}

export class StatusEmitter {
  constructor(private readonly signer: PackageSigner) {}

  /** Builds, signs and enqueues one status message in the caller's transaction. */
  async emit(repos: ExchangeRepositories, status: StatusToSend): Promise<void> {
    await repos.outbox.enqueue(await this.signed(status));
  }

  /** The outbox entry of one status message, built and signed. */
  private async signed(status: StatusToSend): Promise<NewOutboxEntry> {
    const unsigned = buildStatusMessage(statusMessageFor({
      from: status.from, original: status.original, statusCode: status.code, at: status.at,
      description: status.description, staffInfo: status.staffInfo,
    }));
    const signed = await this.signer.signPackage(status.from.organId, unsigned);
    return {
      id: randomUUID(), documentId: status.documentId, package: signed,
      headers: {
        from: status.from.organId, to: status.to, messageType: 'status', serviceType: 'eDoc', messageId: randomUUID(),
        packageDigest: createHash('sha256').update(signed).digest('hex'),
      },
    };
  }

  /**
   * Statuses about a received package, in order (e.g. 03 then 05 on registration); the last one is
   * recorded as the last status given (one update, none when it is already the one recorded).
   */
  async emitFor(repos: ExchangeRepositories, received: ReceivedRecord, from: Organization, at: Date, ...statuses: ReadonlyArray<{ readonly code: StatusCode; readonly description?: string }>): Promise<void> {
    // Signed side by side (each signature on the thread pool), written in their order in one statement.
    await repos.outbox.enqueue(...await Promise.all(statuses.map(({ code, description }) =>
      this.signed({ from, original: received.header as DocumentHeader, code, at, description: description ?? describeStatus(code), documentId: received.documentId, to: received.senderOrganId }))));
    const last = statuses.at(-1)?.code;
    if (last && last !== received.lastStatus) await repos.exchange.setReceivedStatus(received.documentId, last);
  }
}
