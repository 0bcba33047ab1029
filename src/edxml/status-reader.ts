// MessageHeader of a status message (DOMAIN.md §4): From, ResponseFor (the document the status is
// about), StaffInfo, StatusCode (two digits, one of nine), Description, Timestamp (Vietnam time).
import { isStatusCode } from '../domain/edxml-codes.ts';
import type { Element } from './envelope-dom.ts';
import { invalid, missing, type FieldReader } from './field-reader.ts';
import { readOrganization, readResponseFor, readStaffInfo } from './header-reader.ts';
import type { StatusMessage, TraceHeader } from './model.ts';

export function readStatusHeader(r: FieldReader, mh: Element, traceHeaders: readonly TraceHeader[]): StatusMessage {
  const path = 'MessageHeader';
  const from = r.requiredChild(mh, 'From', path);
  const responseForEl = r.requiredChild(mh, 'ResponseFor', path);
  const responseFor = readResponseFor(r, responseForEl, `${path}/ResponseFor`);
  if (!responseFor) throw missing(`${path}/ResponseFor/DocumentId`);
  const statusCode = r.requiredText(mh, 'StatusCode', path);
  if (!isStatusCode(statusCode)) throw invalid(`${path}/StatusCode`, `status code ${JSON.stringify(statusCode)} is not one of 01–06, 13, 15, 16`);
  return {
    from: readOrganization(r, from, `${path}/From`),
    responseFor,
    staffInfo: readStaffInfo(r, r.child(mh, 'StaffInfo', path), `${path}/StaffInfo`),
    statusCode,
    description: r.text(mh, 'Description', path),
    timestamp: r.requiredTimestamp(mh, 'Timestamp', path),
    traceHeaders,
  };
}
