// Exclusive XML Canonicalization 1.0 without comments (W3C REC xml-exc-c14n-20020718), written as a
// streaming sink for the events of src/edxml/xml-scanner.ts. Only namespaces visibly utilized by an element or its
// attributes are rendered (§3), and only where the nearest output ancestor has not rendered the same
// binding; attributes are sorted by namespace URI then local name (C14N 1.0 §2.2). Character data that
// needs no escaping is passed through as a view of the input bytes.
import { decodeText, lookupNamespace, type ScannedElement } from '../../edxml/xml-scanner.ts';

export type C14nSink = (chunk: string | Uint8Array) => void;

const escapeText = (s: string): string => s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
const escapeAttr = (s: string): string => s.replace(/[&<"\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' })[c] as string);

export class ExclusiveCanonicalizer {
  // Namespace bindings rendered on each open output element (innermost last).
  private readonly rendered: Array<ReadonlyArray<readonly [string, string]>> = [];

  constructor(private readonly sink: C14nSink) {}

  private renderedUri(prefix: string): string | undefined {
    for (let d = this.rendered.length - 1; d >= 0; d -= 1) {
      for (const [p, uri] of this.rendered[d] as ReadonlyArray<readonly [string, string]>) if (p === prefix) return uri;
    }
    return undefined;
  }

  startElement(el: ScannedElement): void {
    const utilized = new Set<string>([el.prefix]);
    for (const a of el.attrs) if (a.prefix !== '' && a.prefix !== 'xml') utilized.add(a.prefix);
    const decls: Array<[string, string]> = [];
    for (const prefix of utilized) {
      const uri = lookupNamespace(el, prefix) ?? '';
      const already = this.renderedUri(prefix);
      if (prefix === '' ? (already ?? '') !== uri : already !== uri) decls.push([prefix, uri]);
    }
    decls.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.rendered.push(decls);
    let out = `<${el.qname}`;
    for (const [p, uri] of decls) out += `${p === '' ? ' xmlns' : ` xmlns:${p}`}="${escapeAttr(uri)}"`;
    const attrs = el.attrs.length > 1 ? [...el.attrs].sort((a, b) => (a.uri === b.uri ? (a.local < b.local ? -1 : a.local > b.local ? 1 : 0) : a.uri < b.uri ? -1 : 1)) : el.attrs;
    for (const a of attrs) out += ` ${a.prefix === '' ? '' : `${a.prefix}:`}${a.local}="${escapeAttr(a.value)}"`;
    this.sink(`${out}>`);
  }

  endElement(el: ScannedElement): void {
    this.rendered.pop();
    this.sink(`</${el.qname}>`);
  }

  text(bytes: Buffer, start: number, end: number, cdata: boolean): void {
    if (start === end) return;
    if (!cdata && end - start < 512) { // short text (indentation, field values): one decode, string checks
      const s = bytes.toString('utf8', start, end);
      if (!s.includes('&') && !s.includes('>') && !s.includes('\r')) { this.sink(s); return; }
    } else if (!cdata) {
      const view = bytes.subarray(start, end);
      if (view.indexOf(0x26) < 0 && view.indexOf(0x3e) < 0 && view.indexOf(0x0d) < 0) {
        this.sink(view);
        return;
      }
    }
    this.sink(escapeText(decodeText(bytes, start, end, cdata)));
  }
}
