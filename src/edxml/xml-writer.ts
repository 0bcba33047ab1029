// Writing edXML in the vendor shape (fixtures/edxml-vendor): root `edXML` with the QCVN namespace as
// default, the envelope `edXML:`-prefixed with its own declaration, `AttachmentEncoded` unprefixed beside
// the envelope, and each `edXML:ContentTransferEncoded` declaring the prefix again. xmlbuilder2 would
// normalise those prefixes away inside one document, so the envelope and the attachment list are
// serialised as separate fragments and joined; base64 content is spliced in, never escaped or copied
// through the XML serialiser.
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { QCVN_102_NAMESPACE } from './model.ts';

export type { XMLBuilder };

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * xmlbuilder2 leaves an `&` that looks like an entity reference (`&a;`, `&amp;`) as it is, which would
 * turn user text such as "&a;" into an undefined entity. Every `&` is escaped here first; the serialiser
 * then keeps the `&amp;` it sees and escapes `<` and `>` itself.
 */
const escapeAmpersands = (value: string): string => value.replace(/&/g, '&amp;');

/** A fresh `edXML:edXMLEnvelope` fragment; add children with {@link el}. */
export const envelopeFragment = (): XMLBuilder => create().ele(QCVN_102_NAMESPACE, 'edXML:edXMLEnvelope');

/** Appends `edXML:<name>` (and its text, when given and non-empty). */
export function el(parent: XMLBuilder, name: string, text?: string | number | boolean): XMLBuilder {
  const child = parent.ele(QCVN_102_NAMESPACE, `edXML:${name}`);
  if (text !== undefined && text !== '') child.txt(escapeAmpersands(String(text)));
  return child;
}

/** Appends `edXML:<name>` with its text only when the value is present. */
export function optional(parent: XMLBuilder, name: string, text: string | number | boolean | undefined): void {
  if (text !== undefined && text !== '') el(parent, name, text);
}

export interface AttachmentFragment {
  readonly contentId: string;
  readonly name: string;
  readonly description?: string | undefined;
  readonly contentType?: string | undefined;
  readonly base64: string;
}

const marker = (i: number): string => `@@${i}@@`;
const transferElement = (body: string): string => `<edXML:ContentTransferEncoded xmlns:edXML="${QCVN_102_NAMESPACE}">${body}</edXML:ContentTransferEncoded>`;

function attachmentsXml(attachments: readonly AttachmentFragment[]): string {
  const list = create().ele('AttachmentEncoded');
  attachments.forEach((a, i) => {
    const att = list.ele('Attachment');
    att.ele('ContentId').txt(escapeAmpersands(`cid:${a.contentId}`));
    att.ele('AttachmentName').txt(escapeAmpersands(a.name));
    if (a.description !== undefined) att.ele('Description').txt(escapeAmpersands(a.description));
    if (a.contentType !== undefined) att.ele('ContentType').txt(escapeAmpersands(a.contentType));
    att.ele('ContentTransferEncoded').txt(marker(i));
  });
  let xml = list.end({ headless: true, prettyPrint: true, indent: '  ', offset: 1 });
  // User text cannot contain a raw `<`, so the marker element is unambiguous.
  attachments.forEach((a, i) => {
    xml = xml.replace(`<ContentTransferEncoded>${marker(i)}</ContentTransferEncoded>`, () => transferElement(a.base64));
  });
  return xml;
}

/** Joins the envelope fragment and the attachments into the package text. */
export function packageXml(envelope: XMLBuilder, attachments: readonly AttachmentFragment[]): string {
  const envelopeXml = envelope.end({ headless: true, prettyPrint: true, indent: '  ', offset: 1 });
  const parts = [XML_DECLARATION, `<edXML xmlns="${QCVN_102_NAMESPACE}">\n`, envelopeXml, '\n'];
  if (attachments.length > 0) parts.push(attachmentsXml(attachments), '\n');
  parts.push('</edXML>\n');
  return parts.join('');
}
