// Parsing an edXML package or status message: scan (limits, no DTD, attachments streamed out), then read
// the envelope namespace-aware but tolerant exactly where real packages differ (fixtures/edxml-vendor
// README): prefixed or not, `cid:` or not, ZIP or raw attachments, a Signature with or without the
// XML-DSig namespace, unknown elements ignored, order free. Every tolerated deviation becomes a
// conformance warning; every rejection a catalogue error code.
import { DomainError } from '../domain/errors.ts';
import type { AttachmentSink, DecodedAttachmentDigest } from './attachment-decoder.ts';
import { childElements, parseEnvelope, qcvnChildren, textOf, type Element } from './envelope-dom.ts';
import { FieldReader, missing } from './field-reader.ts';
import { readDocumentHeader, readTraceHeaderList } from './header-reader.ts';
import { resolveEdxmlLimits, type EdxmlLimits } from './limits.ts';
import { MemoryAttachmentSink } from './memory-attachment-sink.ts';
import { QCVN_102_NAMESPACE, XMLDSIG_NAMESPACE, type EnvelopeSignaturePresence, type ManifestReference, type ParsedEdxml, type ReceivedAttachment } from './model.ts';
import { PackageScanner } from './package-scanner.ts';
import { readStatusHeader } from './status-reader.ts';

/** The package bytes (or text), whole or as a stream of chunks. */
export type EdxmlInput = Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

export interface ParseEdxmlOptions {
  readonly limits?: Partial<EdxmlLimits>;
  /** Where decoded attachments go; by default they are kept in memory and returned as `content`. */
  readonly sink?: AttachmentSink;
}

const SLICE = 48 * 1024;

async function* chunksOf(input: EdxmlInput): AsyncIterable<Uint8Array> {
  if (typeof input === 'string') input = Buffer.from(input, 'utf8');
  if (input instanceof Uint8Array) {
    // Slices, so that limits stop a hostile package early and attachments stream even from a buffer.
    for (let i = 0; i < input.length; i += SLICE) yield input.subarray(i, i + SLICE);
    return;
  }
  yield* input;
}

export async function parseEdxml(input: EdxmlInput, options: ParseEdxmlOptions = {}): Promise<ParsedEdxml> {
  const limits = resolveEdxmlLimits(options.limits);
  const memory = options.sink ? undefined : new MemoryAttachmentSink();
  const scanner = new PackageScanner(limits, options.sink ?? (memory as MemoryAttachmentSink));
  try {
    for await (const chunk of chunksOf(input)) await Promise.all(scanner.push(chunk));
    const { scan, pending } = scanner.end();
    await Promise.all(pending);
    const r = new FieldReader();
    for (const prefix of scan.undeclaredPrefixes) r.warn('undeclared_prefix', `namespace prefix ${prefix} is used where it is not declared`);
    return readPackage(r, parseEnvelope(scan.envelopeXml), scan.attachments, memory);
  } catch (e) {
    scanner.abort(e);
    throw e;
  }
}

function readPackage(r: FieldReader, root: Element, digests: readonly DecodedAttachmentDigest[], memory: MemoryAttachmentSink | undefined): ParsedEdxml {
  if (root.localName !== 'edXML' || root.namespaceURI !== QCVN_102_NAMESPACE) {
    throw new DomainError('edxml.wrong_namespace', { details: [{ field: 'edXML', message: `root is {${root.namespaceURI ?? ''}}${root.localName}, expected {${QCVN_102_NAMESPACE}}edXML` }] });
  }
  const envelope = r.child(root, 'edXMLEnvelope', 'edXML');
  if (!envelope) throw missing('edXML/edXMLEnvelope');
  const header = r.requiredChild(envelope, 'edXMLHeader', 'edXMLEnvelope');
  const mh = r.requiredChild(header, 'MessageHeader', 'edXMLHeader');
  const signature = findSignature(r, root, header);
  const { traceHeaders, business } = readTraceHeaderList(r, r.child(header, 'TraceHeaderList', 'edXMLHeader'));

  if (qcvnChildren(mh, 'StatusCode').length > 0) {
    const status = readStatusHeader(r, mh, traceHeaders);
    if (digests.length > 0) r.warn('status_with_attachments', 'a status message carries attachments; they were ignored');
    return { kind: 'status', status, signature, warnings: r.warnings };
  }
  const documentHeader = readDocumentHeader(r, mh);
  const manifest = readManifest(r, envelope);
  const attachments = readAttachments(r, root, digests, manifest, memory);
  return { kind: 'document', header: documentHeader, traceHeaders, business, manifest: manifest.map((m) => m.reference), attachments, signature, warnings: r.warnings };
}

/** The enveloped signature sits in edXMLHeader (vendor) or directly under the root (xml-crypto's default). */
function findSignature(r: FieldReader, root: Element, header: Element): EnvelopeSignaturePresence {
  const candidates = [...childElements(header), ...childElements(root)].filter((e) => e.localName === 'Signature');
  if (candidates.length === 0) return 'absent';
  if (candidates.length > 1) r.warn('several_signatures', `${candidates.length} envelope Signature elements`);
  if (candidates.some((e) => e.namespaceURI === XMLDSIG_NAMESPACE)) return 'xmldsig';
  r.warn('signature_namespace', `Signature is outside the XML-DSig namespace (in ${candidates[0]?.namespaceURI ?? 'no namespace'}): it cannot verify as XML-DSig`, 'edXMLHeader/Signature');
  return 'outside-xmldsig-namespace';
}

interface ManifestEntry {
  readonly reference: ManifestReference;
  readonly cidPrefixed: boolean;
}

const stripCid = (value: string): { id: string; prefixed: boolean } => (/^cid:/i.test(value) ? { id: value.slice(4), prefixed: true } : { id: value, prefixed: false });

function readManifest(r: FieldReader, envelope: Element): ManifestEntry[] {
  const body = r.child(envelope, 'edXMLBody', 'edXMLEnvelope');
  const manifest = body ? r.child(body, 'edXMLManifest', 'edXMLBody') : undefined;
  if (!manifest) return [];
  return qcvnChildren(manifest, 'Reference').map((ref, i) => {
    const path = `edXMLManifest/Reference[${i + 1}]`;
    const cid = stripCid(r.requiredText(ref, 'ContentId', path));
    return {
      reference: { contentId: cid.id, contentType: r.text(ref, 'ContentType', path), description: r.text(ref, 'Description', path), attachmentName: r.text(ref, 'AttachmentName', path) },
      cidPrefixed: cid.prefixed,
    };
  });
}

/** The ContentTransferEncoded elements the scanner streamed, in the same document order. */
function transferElements(root: Element): Element[] {
  const out: Element[] = [];
  collectTransferElements(root, undefined, undefined, out);
  return out;
}

// A module-level function, not a closure per call: those lose their optimised code at each full GC.
function collectTransferElements(el: Element, parent: Element | undefined, grandparent: Element | undefined, out: Element[]): void {
  if (el.localName === 'ContentTransferEncoded' && el.namespaceURI === QCVN_102_NAMESPACE && parent?.localName === 'Attachment' && grandparent?.localName === 'AttachmentEncoded') out.push(el);
  for (const c of childElements(el)) collectTransferElements(c, el, parent, out);
}

const invalidAttachment = (field: string, message: string): DomainError => new DomainError('edxml.attachment_invalid', { details: [{ field, message }] });
const UNSAFE_NAME = /[\\/\0]|^\.\.?$/;

function readAttachments(r: FieldReader, root: Element, digests: readonly DecodedAttachmentDigest[], manifest: readonly ManifestEntry[], memory: MemoryAttachmentSink | undefined): ReceivedAttachment[] {
  const elements = transferElements(root);
  if (elements.length !== digests.length) throw new DomainError('edxml.malformed', { details: [{ message: 'attachment contents and elements do not line up' }] });
  const seen = new Set<string>();
  const attachments = elements.map((transfer, i): ReceivedAttachment => {
    const att = transfer.parentNode as Element;
    const path = `AttachmentEncoded/Attachment[${i + 1}]`;
    if (att.parentNode?.parentNode !== root) r.warn('attachment_location', 'AttachmentEncoded is not a child of the root element', path);
    const cid = stripCid(r.requiredText(att, 'ContentId', path));
    if (seen.has(cid.id)) throw invalidAttachment(`${path}/ContentId`, `ContentId ${cid.id} is used twice`);
    seen.add(cid.id);
    const ref = manifest.find((m) => m.reference.contentId === cid.id);
    if (!ref) throw invalidAttachment(`${path}/ContentId`, `ContentId ${cid.id} has no Reference in the manifest`);
    if (ref.cidPrefixed !== cid.prefixed) r.warn('content_id_form', `ContentId ${cid.id} is written with cid: in one place and without it in the other`, `${path}/ContentId`);
    const name = r.text(att, 'AttachmentName', path) ?? ref.reference.attachmentName;
    if (name === undefined) throw missing(`${path}/AttachmentName`);
    if (UNSAFE_NAME.test(name)) throw invalidAttachment(`${path}/AttachmentName`, `unsafe file name ${JSON.stringify(name)}`);
    if ([...name].length > 50) r.warn('attachment_name_length', `attachment name is longer than 50 characters (provincial rule)`, `${path}/AttachmentName`);
    const digest = digests[i] as DecodedAttachmentDigest;
    return {
      contentId: cid.id,
      name,
      description: r.text(att, 'Description', path) ?? ref.reference.description,
      contentType: r.text(att, 'ContentType', path) ?? ref.reference.contentType,
      transferEncoding: digest.transferEncoding,
      zipEntryName: digest.zipEntryName,
      size: digest.size,
      sha256: digest.sha256,
      content: memory?.content(i),
    };
  });
  for (const m of manifest) if (!seen.has(m.reference.contentId)) throw invalidAttachment('edXMLManifest/Reference', `the manifest lists ${m.reference.contentId} but no attachment carries it`);
  // An unused Attachment element without content is a broken package, not a tolerated variation.
  for (const ae of qcvnChildren(root, 'AttachmentEncoded')) {
    for (const att of qcvnChildren(ae, 'Attachment')) if (qcvnChildren(att, 'ContentTransferEncoded').length === 0) throw missing(`AttachmentEncoded/Attachment(${textOf(qcvnChildren(att, 'ContentId')[0]) ?? '?'})/ContentTransferEncoded`);
  }
  return attachments;
}
