// Building document packages and status messages in the vendor shape (DOMAIN.md §3–§4, the element
// order of fixtures/edxml-vendor), so that the vendor SDK and this project's parser both accept them.
// Each attachment is sent as the vendor SDK sends it: base64 of a ZIP holding the one file (or, on
// request, base64 of the raw file), with manifest and attachment ContentIds written `cid:<id>`.
import { writeEdxmlDate, writeEdxmlTimestamp } from './edxml-dates.ts';
import { invalid, missing } from './field-reader.ts';
import type { Business, DocumentHeader, OutgoingDocumentPackage, Organization, RandomAccessContent, ResponseFor, StaffInfo, StatusMessage, TraceHeader, TransferEncoding } from './model.ts';
import { singleFileZipParts } from './single-file-zip.ts';
import { el, envelopeFragment, optional, packageSkeleton, packageXml, type AttachmentFragment, type PackageSkeleton, type TransferPart, type XmlElement } from './xml-writer.ts';

function writeOrganization(parent: XmlElement, name: 'From' | 'To', o: Organization): void {
  const e = el(parent, name);
  el(e, 'OrganId', o.organId);
  optional(e, 'OrganizationInCharge', o.organizationInCharge);
  optional(e, 'OrganName', o.organName);
  optional(e, 'OrganAdd', o.organAdd);
  optional(e, 'Email', o.email);
  optional(e, 'Telephone', o.telephone);
  optional(e, 'Fax', o.fax);
  optional(e, 'Website', o.website);
}

function writeResponseFor(parent: XmlElement, r: ResponseFor): void {
  const e = el(parent, 'ResponseFor');
  el(e, 'OrganId', r.organId);
  optional(e, 'Code', r.code);
  optional(e, 'PromulgationDate', r.promulgationDate && writeEdxmlDate(r.promulgationDate));
  el(e, 'DocumentId', r.documentId);
}

function writeStaffInfo(parent: XmlElement, s: StaffInfo | undefined): void {
  if (!s) return;
  const e = el(parent, 'StaffInfo');
  optional(e, 'Department', s.department);
  optional(e, 'Staff', s.staff);
  optional(e, 'Email', s.email);
  optional(e, 'Mobile', s.mobile);
}

const flag = (value: boolean | undefined): string | undefined => (value === undefined ? undefined : value ? '1' : '0');

function writeDocumentHeader(parent: XmlElement, h: DocumentHeader): void {
  if (h.to.length === 0) throw missing('MessageHeader/To');
  const mh = el(parent, 'MessageHeader');
  writeOrganization(mh, 'From', h.from);
  for (const to of h.to) writeOrganization(mh, 'To', to);
  el(mh, 'DocumentId', h.documentId);
  const code = el(mh, 'Code');
  el(code, 'CodeNumber', h.code.codeNumber);
  el(code, 'CodeNotation', h.code.codeNotation);
  const promulgation = el(mh, 'PromulgationInfo');
  optional(promulgation, 'Place', h.promulgationInfo.place);
  el(promulgation, 'PromulgationDate', writeEdxmlDate(h.promulgationInfo.promulgationDate));
  const type = el(mh, 'DocumentType');
  el(type, 'Type', h.documentType.type);
  optional(type, 'TypeDetail', h.documentType.typeDetail);
  optional(type, 'TypeName', h.documentType.typeName);
  el(mh, 'Subject', h.subject);
  optional(mh, 'Content', h.content);
  if (h.signerInfo) {
    const signer = el(mh, 'SignerInfo');
    optional(signer, 'Competence', h.signerInfo.competence);
    optional(signer, 'Position', h.signerInfo.position);
    optional(signer, 'FullName', h.signerInfo.fullName);
  }
  optional(mh, 'DueDate', h.dueDate && writeEdxmlDate(h.dueDate));
  if (h.otherInfo) {
    const o = h.otherInfo;
    const other = el(mh, 'OtherInfo');
    optional(other, 'Priority', o.priority);
    optional(other, 'SphereOfPromulgation', o.sphereOfPromulgation);
    optional(other, 'TyperNotation', o.typerNotation);
    optional(other, 'PromulgationAmount', o.promulgationAmount);
    optional(other, 'PageAmount', o.pageAmount);
    optional(other, 'Direction', o.direction);
    if (o.appendixes.length > 0) {
      const appendixes = el(other, 'Appendixes');
      for (const a of o.appendixes) el(appendixes, 'Appendix', a);
    }
  }
  for (const r of h.responseFor) writeResponseFor(mh, r);
  optional(mh, 'SteeringType', h.steeringType);
  if (h.toPlaces.length > 0) {
    const places = el(mh, 'ToPlaces');
    for (const p of h.toPlaces) el(places, 'Place', p);
  }
}

function writeBusiness(parent: XmlElement, b: Business): void {
  const e = el(parent, 'Bussiness');
  optional(e, 'DocumentId', b.documentId);
  el(e, 'BussinessDocType', b.businessDocType);
  optional(e, 'BussinessDocReason', b.businessDocReason);
  optional(e, 'Paper', flag(b.paper));
  if (b.businessDocumentInfo) {
    const info = el(e, 'BussinessDocumentInfo');
    optional(info, 'DocumentInfo', flag(b.businessDocumentInfo.documentInfo));
    optional(info, 'DocumentReceiver', flag(b.businessDocumentInfo.documentReceiver));
    if (b.businessDocumentInfo.receivers.length > 0) {
      const list = el(info, 'ReceiverList');
      for (const r of b.businessDocumentInfo.receivers) {
        const rc = el(list, 'Receiver');
        el(rc, 'OrganId', r.organId);
        el(rc, 'ReceiverType', r.receiverType);
      }
    }
  }
  if (b.replacementInfoList.length > 0) {
    const list = el(e, 'ReplacementInfoList');
    for (const r of b.replacementInfoList) {
      const ri = el(list, 'ReplacementInfo');
      el(ri, 'DocumentId', r.documentId);
      const ids = el(ri, 'OrganIdList');
      for (const id of r.organIds) el(ids, 'OrganId', id);
    }
  }
  writeStaffInfo(e, b.staffInfo);
}

function writeTrace(parent: XmlElement, traceHeaders: readonly TraceHeader[], business: Business | undefined): void {
  if (traceHeaders.length === 0 && !business) return;
  const list = el(parent, 'TraceHeaderList');
  for (const t of traceHeaders) {
    const th = el(list, 'TraceHeader');
    el(th, 'OrganId', t.organId);
    el(th, 'Timestamp', writeEdxmlTimestamp(t.timestamp));
  }
  if (business) writeBusiness(list, business);
}

// What a receiver refuses as a ZIP entry name (attachment-decoder.ts) is refused here too: a path, `.`/`..`,
// or a Windows drive prefix (`C:`).
const UNSAFE_NAME = /[\\/\0]|^\.\.?$|^[A-Za-z]:/;

/** The time the ZIP entries carry: the time of sending (the first TraceHeader), so that a build is reproducible. */
export function zipModifiedAt(pkg: OutgoingDocumentPackage): Date {
  return pkg.traceHeaders[0]?.timestamp ?? new Date(Date.UTC(1980, 0, 1));
}

/** An attachment's transfer bytes, as parts: its ZIP (the default, as the vendor SDK sends) or the file itself. */
export function transferOf<T extends Uint8Array | RandomAccessContent>(name: string, content: T, transferEncoding: TransferEncoding | undefined, modifiedAt: Date): TransferPart[] {
  return (transferEncoding ?? 'zip') === 'zip' ? singleFileZipParts(name, content, modifiedAt) : [content];
}

function encodeAttachments(pkg: OutgoingDocumentPackage): AttachmentFragment[] {
  const modifiedAt = zipModifiedAt(pkg);
  const ids = new Set<string>();
  return pkg.attachments.map((a, i) => {
    const field = `attachments[${i}]`;
    if (!a.name || UNSAFE_NAME.test(a.name)) throw invalid(`${field}.name`, `not a plain file name: ${JSON.stringify(a.name)}`);
    const contentId = (a.contentId ?? String(i + 1)).replace(/^cid:/i, '');
    if (!contentId || /[\s<>]/.test(contentId) || ids.has(contentId)) throw invalid(`${field}.contentId`, `empty, repeated or not a token: ${JSON.stringify(contentId)}`);
    ids.add(contentId);
    const transfer = transferOf(a.name, a.content, a.transferEncoding, modifiedAt);
    return { contentId, name: a.name, description: a.description, contentType: a.contentType, transfer };
  });
}

/** The envelope of a document package and its attachments, encoded for transfer. */
function documentEnvelope(pkg: OutgoingDocumentPackage): { envelope: XmlElement; attachments: AttachmentFragment[] } {
  const attachments = encodeAttachments(pkg);
  const envelope = envelopeFragment();
  const header = el(envelope, 'edXMLHeader');
  writeDocumentHeader(header, pkg.header);
  writeTrace(header, pkg.traceHeaders, pkg.business);
  const manifest = el(el(envelope, 'edXMLBody'), 'edXMLManifest').att('version', '1.0');
  for (const a of attachments) {
    const ref = el(manifest, 'Reference');
    el(ref, 'ContentId', `cid:${a.contentId}`);
    optional(ref, 'ContentType', a.contentType);
    optional(ref, 'Description', a.description);
    el(ref, 'AttachmentName', a.name);
  }
  return { envelope, attachments };
}

/** A document package, as UTF-8 bytes. */
export function buildDocumentPackage(pkg: OutgoingDocumentPackage): Buffer {
  const { envelope, attachments } = documentEnvelope(pkg);
  return packageXml(envelope, attachments);
}

/** The same package as a skeleton with its attachments' base64 made on demand (signed without joining it). */
export function buildDocumentPackageSkeleton(pkg: OutgoingDocumentPackage): PackageSkeleton {
  const { envelope, attachments } = documentEnvelope(pkg);
  return packageSkeleton(envelope, attachments);
}

/** A status message (no body), as UTF-8 bytes. */
export function buildStatusMessage(status: StatusMessage): Buffer {
  const envelope = envelopeFragment();
  const header = el(envelope, 'edXMLHeader');
  const mh = el(header, 'MessageHeader');
  writeOrganization(mh, 'From', status.from);
  writeResponseFor(mh, status.responseFor);
  writeStaffInfo(mh, status.staffInfo);
  el(mh, 'StatusCode', status.statusCode);
  optional(mh, 'Description', status.description);
  el(mh, 'Timestamp', writeEdxmlTimestamp(status.timestamp));
  writeTrace(header, status.traceHeaders, undefined);
  return packageXml(envelope, []);
}
