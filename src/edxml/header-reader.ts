// MessageHeader and TraceHeaderList of a document package, read into the model (DOMAIN.md §3).
// Cardinalities are those observed in the vendor packages; the order of children is free.
import { isBusinessDocType, isEdxmlPriority, type ReceiverChange } from '../domain/edxml-codes.ts';
import { qcvnChildren, textOf, type Element } from './envelope-dom.ts';
import { invalid, missing, type FieldReader } from './field-reader.ts';
import type { Business, BusinessDocumentInfo, DocumentHeader, Organization, OtherInfo, ReplacementInfo, ResponseFor, StaffInfo, TraceHeader } from './model.ts';

/** The usual DocumentId: `<sender OrganId>,<yyyy/MM/dd>,<số>/<ký hiệu>` (opaque all the same). */
const USUAL_DOCUMENT_ID = /^[.0-9A-Z]+,\d{4}\/\d{2}\/\d{2},[^/,]+\/.+$/;

export function readOrganization(r: FieldReader, el: Element, path: string): Organization {
  return {
    organId: r.partyOrganId(el, 'OrganId', path),
    organizationInCharge: r.text(el, 'OrganizationInCharge', path),
    organName: r.text(el, 'OrganName', path),
    organAdd: r.text(el, 'OrganAdd', path),
    email: r.text(el, 'Email', path),
    telephone: r.text(el, 'Telephone', path),
    fax: r.text(el, 'Fax', path),
    website: r.text(el, 'Website', path),
  };
}

export function readStaffInfo(r: FieldReader, el: Element | undefined, path: string): StaffInfo | undefined {
  if (!el) return undefined;
  return { department: r.text(el, 'Department', path), staff: r.text(el, 'Staff', path), mobile: r.text(el, 'Mobile', path), email: r.text(el, 'Email', path) };
}

/** ResponseFor; an entirely empty one (the vendor's older packages carry such a placeholder) is dropped. */
export function readResponseFor(r: FieldReader, el: Element, path: string): ResponseFor | undefined {
  if (textOf(el) === undefined) {
    r.warn('empty_response_for', 'an empty ResponseFor placeholder was ignored', path);
    return undefined;
  }
  return {
    organId: r.requiredOrganId(el, 'OrganId', path),
    code: r.text(el, 'Code', path),
    promulgationDate: r.date(el, 'PromulgationDate', path),
    documentId: r.requiredText(el, 'DocumentId', path),
  };
}

function readOtherInfo(r: FieldReader, el: Element | undefined, path: string): OtherInfo | undefined {
  if (!el) return undefined;
  const priority = r.integer(el, 'Priority', path);
  if (priority !== undefined && !isEdxmlPriority(priority)) throw invalid(`${path}/Priority`, `priority ${priority} is not 0–4`);
  const appendixes = r.child(el, 'Appendixes', path);
  return {
    priority,
    sphereOfPromulgation: r.text(el, 'SphereOfPromulgation', path),
    typerNotation: r.text(el, 'TyperNotation', path),
    promulgationAmount: r.integer(el, 'PromulgationAmount', path),
    pageAmount: r.integer(el, 'PageAmount', path),
    direction: r.flag(el, 'Direction', path),
    appendixes: appendixes ? qcvnChildren(appendixes, 'Appendix').map(textOf).filter((t): t is string => t !== undefined) : [],
  };
}

export function readDocumentHeader(r: FieldReader, mh: Element): DocumentHeader {
  const path = 'MessageHeader';
  const fromEl = r.child(mh, 'From', path);
  if (!fromEl) throw missing(`${path}/From`);
  const toEls = qcvnChildren(mh, 'To');
  if (toEls.length === 0) throw missing(`${path}/To`);
  const documentId = r.requiredText(mh, 'DocumentId', path);
  if (!USUAL_DOCUMENT_ID.test(documentId)) r.warn('document_id_form', `DocumentId ${JSON.stringify(documentId)} is not in the usual form <OrganId>,<yyyy/MM/dd>,<số>/<ký hiệu>`, `${path}/DocumentId`);
  const codeEl = r.requiredChild(mh, 'Code', path);
  const promulgation = r.requiredChild(mh, 'PromulgationInfo', path);
  const typeEl = r.requiredChild(mh, 'DocumentType', path);
  const type = r.integer(typeEl, 'Type', `${path}/DocumentType`);
  if (type === undefined) throw missing(`${path}/DocumentType/Type`);
  const signer = r.child(mh, 'SignerInfo', path);
  if (!signer) r.warn('missing_signer_info', 'SignerInfo is absent', `${path}/SignerInfo`);
  const toPlaces = r.child(mh, 'ToPlaces', path);
  const responseFor = qcvnChildren(mh, 'ResponseFor')
    .map((el, i) => readResponseFor(r, el, `${path}/ResponseFor[${i + 1}]`))
    .filter((x): x is ResponseFor => x !== undefined);
  return {
    from: readOrganization(r, fromEl, `${path}/From`),
    to: toEls.map((el, i) => readOrganization(r, el, `${path}/To[${i + 1}]`)),
    documentId,
    code: { codeNumber: r.requiredText(codeEl, 'CodeNumber', `${path}/Code`), codeNotation: r.requiredText(codeEl, 'CodeNotation', `${path}/Code`) },
    promulgationInfo: { place: r.text(promulgation, 'Place', `${path}/PromulgationInfo`), promulgationDate: r.requiredDate(promulgation, 'PromulgationDate', `${path}/PromulgationInfo`) },
    documentType: { type, typeDetail: r.integer(typeEl, 'TypeDetail', `${path}/DocumentType`), typeName: r.text(typeEl, 'TypeName', `${path}/DocumentType`) },
    subject: r.requiredText(mh, 'Subject', path),
    content: r.text(mh, 'Content', path),
    signerInfo: signer ? { competence: r.text(signer, 'Competence', `${path}/SignerInfo`), position: r.text(signer, 'Position', `${path}/SignerInfo`), fullName: r.text(signer, 'FullName', `${path}/SignerInfo`) } : undefined,
    dueDate: r.date(mh, 'DueDate', path),
    toPlaces: toPlaces ? qcvnChildren(toPlaces, 'Place').map(textOf).filter((t): t is string => t !== undefined) : [],
    otherInfo: readOtherInfo(r, r.child(mh, 'OtherInfo', path), `${path}/OtherInfo`),
    responseFor,
    steeringType: r.integer(mh, 'SteeringType', path),
  };
}

function readBusinessDocumentInfo(r: FieldReader, el: Element | undefined, path: string): BusinessDocumentInfo | undefined {
  if (!el) return undefined;
  const list = r.child(el, 'ReceiverList', path);
  const receivers = (list ? qcvnChildren(list, 'Receiver') : []).map((rc, i) => {
    const p = `${path}/ReceiverList/Receiver[${i + 1}]`;
    const type = r.integer(rc, 'ReceiverType', p);
    if (type !== 0 && type !== 1) throw type === undefined ? missing(`${p}/ReceiverType`) : invalid(`${p}/ReceiverType`, `ReceiverType ${type} is not 0 (removed) or 1 (added)`);
    return { organId: r.requiredOrganId(rc, 'OrganId', p), receiverType: type as ReceiverChange };
  });
  return { documentInfo: r.flag(el, 'DocumentInfo', path), documentReceiver: r.flag(el, 'DocumentReceiver', path), receivers };
}

function readReplacements(r: FieldReader, el: Element | undefined, path: string): ReplacementInfo[] {
  if (!el) return [];
  return qcvnChildren(el, 'ReplacementInfo').map((ri, i) => {
    const p = `${path}/ReplacementInfo[${i + 1}]`;
    const list = r.child(ri, 'OrganIdList', p);
    const organIds = (list ? qcvnChildren(list, 'OrganId') : []).map((o, j) => {
      const value = textOf(o);
      if (value === undefined) throw missing(`${p}/OrganIdList/OrganId[${j + 1}]`);
      return r.organId(value, `${p}/OrganIdList/OrganId[${j + 1}]`);
    });
    return { documentId: r.requiredText(ri, 'DocumentId', p), organIds };
  });
}

function readBusiness(r: FieldReader, el: Element | undefined, path: string): Business | undefined {
  if (!el) return undefined;
  const type = r.integer(el, 'BussinessDocType', path);
  if (type === undefined) throw missing(`${path}/BussinessDocType`);
  if (!isBusinessDocType(type)) throw invalid(`${path}/BussinessDocType`, `BussinessDocType ${type} is not 0 (new), 1 (revocation), 2 (update) or 3 (replacement)`);
  return {
    documentId: r.text(el, 'DocumentId', path),
    businessDocType: type,
    businessDocReason: r.text(el, 'BussinessDocReason', path),
    paper: r.flag(el, 'Paper', path),
    businessDocumentInfo: readBusinessDocumentInfo(r, r.child(el, 'BussinessDocumentInfo', path), `${path}/BussinessDocumentInfo`),
    staffInfo: readStaffInfo(r, r.child(el, 'StaffInfo', path), `${path}/StaffInfo`),
    replacementInfoList: readReplacements(r, r.child(el, 'ReplacementInfoList', path), `${path}/ReplacementInfoList`),
  };
}

export function readTraceHeaderList(r: FieldReader, el: Element | undefined): { traceHeaders: TraceHeader[]; business: Business | undefined } {
  const path = 'TraceHeaderList';
  if (!el) return { traceHeaders: [], business: undefined };
  const traceHeaders = qcvnChildren(el, 'TraceHeader').map((th, i) => {
    const p = `${path}/TraceHeader[${i + 1}]`;
    return { organId: r.requiredOrganId(th, 'OrganId', p), timestamp: r.requiredTimestamp(th, 'Timestamp', p) };
  });
  return { traceHeaders, business: readBusiness(r, r.child(el, 'Bussiness', path), `${path}/Bussiness`) };
}
