// The envelope as a DOM, parsed strictly (@xmldom/xmldom with an onError that throws) once the scanner
// has removed attachment contents and refused any DTD. Readers match elements by namespace and local
// name, never by position or prefix: QCVN 102 receivers do not enforce the order of children.
import { DOMParser, type Element } from '@xmldom/xmldom';
import { DomainError } from '../domain/errors.ts';
import { QCVN_102_NAMESPACE } from './model.ts';

export type { Element };

const ELEMENT_NODE = 1;

export function parseEnvelope(xml: string): Element {
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level === 'warning') return;
      throw new DomainError('edxml.malformed', { details: [{ message: String(message).split('\n')[0] ?? 'not well-formed XML' }] });
    },
  });
  let root: Element | null;
  try {
    root = parser.parseFromString(xml, 'text/xml').documentElement;
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw new DomainError('edxml.malformed', { cause: e, details: [{ message: (e as Error).message.split('\n')[0] ?? 'not well-formed XML' }] });
  }
  if (!root) throw new DomainError('edxml.malformed', { details: [{ message: 'no root element' }] });
  return root;
}

export function childElements(parent: Element): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (n.nodeType === ELEMENT_NODE) out.push(n as Element);
  return out;
}

/** Children in the QCVN 102 namespace with this local name, in document order. */
export const qcvnChildren = (parent: Element, localName: string): Element[] =>
  childElements(parent).filter((e) => e.localName === localName && e.namespaceURI === QCVN_102_NAMESPACE);

/** The element's text, trimmed; undefined when empty. */
export function textOf(el: Element | undefined): string | undefined {
  const text = el?.textContent?.trim();
  return text ? text : undefined;
}
