// The envelope as a small element tree, read strictly by the scanner that also checks signatures
// (xml-scanner.ts: no DTD, no entity other than the predefined ones and character references, no unbound
// prefix, no duplicate attribute; processing instructions skipped) once the package scanner has removed
// attachment contents. Readers match elements by namespace and local name, never by position or prefix:
// QCVN 102 receivers do not enforce the order of children. (It replaced @xmldom/xmldom, which compiled a
// Unicode name pattern for every end tag: ~1 ms per small envelope, four envelopes per exchanged document.)
import { DomainError } from '../domain/errors.ts';
import { QCVN_102_NAMESPACE } from './model.ts';
import { decodeText, scanXml, XmlFormatError, type ScanHandler, type ScannedElement } from './xml-scanner.ts';

/** An element of the envelope: its expanded name, parent, child elements and text. */
export class Element {
  readonly children: Element[] = [];
  private readonly parts: Array<string | Element> = [];

  constructor(readonly localName: string, readonly namespaceURI: string | null, readonly parentNode: Element | null) {}

  /** All character data inside, in document order (the DOM's textContent). */
  get textContent(): string {
    let text = '';
    for (const part of this.parts) text += typeof part === 'string' ? part : part.textContent;
    return text;
  }

  append(part: string | Element): void {
    this.parts.push(part);
    if (typeof part !== 'string') this.children.push(part);
  }
}

class TreeBuilder implements ScanHandler {
  root: Element | null = null;
  private current: Element | null = null;

  startElement(el: ScannedElement): void {
    const element = new Element(el.local, el.uri === '' ? null : el.uri, this.current);
    if (this.current) this.current.append(element);
    else this.root = element;
    this.current = element;
  }

  endElement(): void {
    this.current = this.current?.parentNode ?? null;
  }

  text(bytes: Buffer, start: number, end: number, cdata: boolean): void {
    this.current?.append(decodeText(bytes, start, end, cdata));
  }
}

/** Envelope depth and attributes stay far below these; a hostile one stops here. Processing instructions
 * are skipped, as a DOM reader would (a signed package carrying one fails its signature check instead). */
const LIMITS = { maxDepth: 64, maxAttributes: 64, skipProcessingInstructions: true };

export function parseEnvelope(xml: string): Element {
  const builder = new TreeBuilder();
  try {
    scanXml(Buffer.from(xml, 'utf8'), builder, LIMITS);
  } catch (e) {
    if (e instanceof XmlFormatError) throw new DomainError('edxml.malformed', { cause: e, details: [{ message: e.message }] });
    throw e;
  }
  if (!builder.root) throw new DomainError('edxml.malformed', { details: [{ message: 'no root element' }] });
  return builder.root;
}

export function childElements(parent: Element): Element[] {
  return parent.children;
}

/** Children in the QCVN 102 namespace with this local name, in document order. */
export const qcvnChildren = (parent: Element, localName: string): Element[] =>
  parent.children.filter((e) => e.localName === localName && e.namespaceURI === QCVN_102_NAMESPACE);

/** The element's text, trimmed; undefined when empty. */
export function textOf(el: Element | undefined): string | undefined {
  const text = el?.textContent.trim();
  return text ? text : undefined;
}
