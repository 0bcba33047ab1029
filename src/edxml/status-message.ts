// Status messages about a received document (DOMAIN.md §4): the ResponseFor points at the original
// document (its sender's organ id, số/ký hiệu, promulgation date and DocumentId, the dedupe key).
import { statusCodeLabels, type StatusCode } from '../domain/edxml-codes.ts';
import type { DocumentHeader, Organization, ResponseFor, StaffInfo, StatusMessage } from './model.ts';

/** The ResponseFor of a status or reply about `original`. */
export const responseForDocument = (original: DocumentHeader): ResponseFor => ({
  organId: original.from.organId,
  code: `${original.code.codeNumber}/${original.code.codeNotation}`,
  promulgationDate: original.promulgationInfo.promulgationDate,
  documentId: original.documentId,
});

export interface StatusInput {
  readonly from: Organization;
  readonly original: DocumentHeader;
  readonly statusCode: StatusCode;
  readonly at: Date;
  readonly staffInfo?: StaffInfo | undefined;
  /** Defaults to the Vietnamese label of the code; a reason is expected for 02 and 13. */
  readonly description?: string | undefined;
}

export const statusMessageFor = (input: StatusInput): StatusMessage => ({
  from: input.from,
  responseFor: responseForDocument(input.original),
  staffInfo: input.staffInfo,
  statusCode: input.statusCode,
  description: input.description ?? statusCodeLabels[input.statusCode],
  timestamp: input.at,
  traceHeaders: [],
});
