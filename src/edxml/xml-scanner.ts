// A strict, streaming XML 1.0 scanner over UTF-8 bytes for the edXML signature profile. It refuses what a
// signed edXML package never needs and an attacker loves: DOCTYPE and entity declarations (XXE, billion
// laughs), processing instructions, unbound prefixes, duplicate attributes, mismatched tags, content
// outside the root. Text is reported as byte ranges of the input (no copies), so a 50 MB attachment is
// canonicalized and hashed in place.
import { isUtf8 } from 'node:buffer';

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export class XmlFormatError extends Error {}

export interface ScannedAttr {
  readonly prefix: string;
  readonly local: string;
  readonly uri: string; // '' for unprefixed attributes (Namespaces in XML §6.2)
  readonly value: string; // entity-decoded, whitespace-normalized (XML 1.0 §3.3.3)
}

export interface ScannedElement {
  readonly qname: string;
  readonly prefix: string;
  readonly local: string;
  readonly uri: string;
  readonly attrs: readonly ScannedAttr[];
  readonly nsDecls: ReadonlyArray<readonly [string, string]>; // [prefix ('' = default), uri]
  readonly parent: ScannedElement | null;
  readonly start: number; // offset of '<'
  readonly startTagEnd: number; // offset just past the start tag's '>'
  endTagEnd: number; // offset just past the end tag (set when closed)
}

export interface ScanHandler {
  startElement(el: ScannedElement): void;
  endElement(el: ScannedElement): void;
  /** Character data in [start, end) of the input; `cdata` for a CDATA section's content. */
  text(bytes: Buffer, start: number, end: number, cdata: boolean): void;
}

/** Resolves a prefix in the scope of `el` ('' = default namespace; undefined when unbound). */
export function lookupNamespace(el: ScannedElement | null, prefix: string): string | undefined {
  if (prefix === 'xml') return XML_NS;
  for (let e = el; e; e = e.parent) for (const [p, uri] of e.nsDecls) if (p === prefix) return uri;
  return prefix === '' ? '' : undefined;
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeReferences(s: string, at: number): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&<]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new XmlFormatError(`unterminated reference near offset ${at}`);
    const predefined = PREDEFINED[name];
    if (predefined) return predefined;
    const m = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(name);
    if (!m) throw new XmlFormatError(`undeclared entity &${name}; (entities are forbidden)`);
    const code = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2] as string, 10);
    if (!(code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff))) {
      throw new XmlFormatError(`character reference to an illegal character near offset ${at}`);
    }
    return String.fromCodePoint(code);
  });
}

/** Character data as the parser reports it: line ends normalized (XML 1.0 §2.11), references decoded. */
export function decodeText(bytes: Buffer, start: number, end: number, cdata: boolean): string {
  const raw = bytes.toString('utf8', start, end).replace(/\r\n?/g, '\n');
  return cdata ? raw : decodeReferences(raw, start);
}

const NAME = /^[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?$/;
const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function splitName(qname: string, at: number, cache: Map<string, [string, string]>): [string, string] {
  let hit = cache.get(qname);
  if (!hit) {
    if (!NAME.test(qname)) throw new XmlFormatError(`invalid name "${qname}" at offset ${at}`);
    const colon = qname.indexOf(':');
    hit = colon < 0 ? ['', qname] : [qname.slice(0, colon), qname.slice(colon + 1)];
    if (cache.size < 1024) cache.set(qname, hit);
  }
  return hit;
}

export interface ScanLimits {
  readonly maxDepth: number;
  readonly maxAttributes: number;
  /** Skip processing instructions instead of refusing them (the edXML reader tolerates them; signatures do not). */
  readonly skipProcessingInstructions?: boolean;
}

const defaultLimits: ScanLimits = { maxDepth: 64, maxAttributes: 64 };

/** Scans the whole document, calling `handler`; throws XmlFormatError on anything not well-formed. */
export function scanXml(bytes: Buffer, handler: ScanHandler, limits: ScanLimits = defaultLimits): void {
  if (!isUtf8(bytes)) throw new XmlFormatError('the document is not valid UTF-8');
  new XmlScan(bytes, handler, limits).run();
}

const indexOfMarkup = (bytes: Buffer, needle: string, from: number): number => {
  const at = bytes.indexOf(needle, from, 'latin1');
  if (at < 0) throw new XmlFormatError(`unterminated markup: "${needle}" expected after offset ${from}`);
  return at;
};

/**
 * One scan's state. Its steps are methods, not functions nested in `scanXml`: a closure made per call
 * loses its optimised code at each full GC, and the start tag's scanner is the costliest to compile again.
 */
class XmlScan {
  private readonly n: number;
  private current: ScannedElement | null = null;
  private depth = 0;
  private rootSeen = false;
  private readonly names = new Map<string, [string, string]>(); // validated names of this document

  constructor(private readonly bytes: Buffer, private readonly handler: ScanHandler, private readonly limits: ScanLimits) {
    this.n = bytes.length;
  }

  run(): void {
    const { bytes, n, handler } = this;
    let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    let first = true;

    while (i < n) {
      if (bytes[i] !== 0x3c) {
        const next = bytes.indexOf(0x3c, i);
        const stop = next < 0 ? n : next;
        if (this.current) {
          if (bytes.subarray(i, stop).indexOf(0x26) >= 0) decodeText(bytes, i, stop, false); // references must be valid
          handler.text(bytes, i, stop, false);
        }
        else for (let k = i; k < stop; k += 1) if (!isSpace(bytes[k])) throw new XmlFormatError(`content outside the root element at offset ${k}`);
        i = stop;
        first = false;
        continue;
      }
      const c1 = bytes[i + 1];
      if (c1 === 0x3f) { // <?
        const close = indexOfMarkup(bytes, '?>', i + 2);
        const target = /^[^\s?]*/.exec(bytes.toString('utf8', i + 2, close))?.[0] ?? '';
        if (target === 'xml' && first) {
          const decl = bytes.toString('latin1', i, close);
          const enc = /encoding\s*=\s*["']([^"']+)["']/.exec(decl)?.[1];
          if (enc && enc.toUpperCase() !== 'UTF-8') throw new XmlFormatError(`encoding ${enc} is not allowed (UTF-8 only)`);
        } else if (!this.limits.skipProcessingInstructions || target.toLowerCase() === 'xml' || target === '') {
          throw new XmlFormatError(`processing instruction <?${target}?> is not allowed`);
        }
        i = close + 2;
      } else if (c1 === 0x21) { // <!
        if (bytes.toString('latin1', i, i + 4) === '<!--') {
          const close = indexOfMarkup(bytes, '-->', i + 4);
          i = close + 3;
        } else if (bytes.toString('latin1', i, i + 9) === '<![CDATA[') {
          if (!this.current) throw new XmlFormatError('CDATA outside the root element');
          const close = indexOfMarkup(bytes, ']]>', i + 9);
          handler.text(bytes, i + 9, close, true);
          i = close + 3;
        } else {
          throw new XmlFormatError('DOCTYPE and other declarations are forbidden (no DTD, no entities)');
        }
      } else if (c1 === 0x2f) { // </
        const close = bytes.indexOf(0x3e, i + 2);
        if (close < 0) throw new XmlFormatError(`unterminated end tag at offset ${i}`);
        const qname = bytes.toString('utf8', i + 2, close).trimEnd();
        const current = this.current;
        if (!current || qname !== current.qname) throw new XmlFormatError(`end tag </${qname}> does not match <${current?.qname ?? ''}> at offset ${i}`);
        current.endTagEnd = close + 1;
        handler.endElement(current);
        this.current = current.parent;
        this.depth -= 1;
        i = close + 1;
      } else {
        if (!this.current && this.rootSeen) throw new XmlFormatError('a second root element');
        i = this.scanStartTag(i);
      }
      first = false;
    }
    if (this.current) throw new XmlFormatError(`element <${this.current.qname}> is not closed`);
    if (!this.rootSeen) throw new XmlFormatError('no root element');
  }

  private scanStartTag(open: number): number {
    const { bytes, n, limits, names } = this;
    let k = open + 1;
    const nameStart = k;
    while (k < n && !isSpace(bytes[k]) && bytes[k] !== 0x3e && bytes[k] !== 0x2f) k += 1;
    const qname = bytes.toString('utf8', nameStart, k);
    const rawAttrs: Array<[string, string]> = [];
    let selfClosing = false;
    for (;;) {
      const before = k;
      while (isSpace(bytes[k])) k += 1;
      if (k >= n) throw new XmlFormatError(`unterminated start tag <${qname}>`);
      if (bytes[k] === 0x3e) { k += 1; break; }
      if (bytes[k] === 0x2f) {
        if (bytes[k + 1] !== 0x3e) throw new XmlFormatError(`bad "/" in <${qname}>`);
        selfClosing = true;
        k += 2;
        break;
      }
      if (k === before) throw new XmlFormatError(`attributes of <${qname}> must be separated by white space`);
      const eq = bytes.indexOf(0x3d, k);
      if (eq < 0) throw new XmlFormatError(`attribute without value in <${qname}>`);
      const name = bytes.toString('utf8', k, eq).trimEnd();
      let q = eq + 1;
      while (isSpace(bytes[q])) q += 1;
      const quote = bytes[q];
      if (quote !== 0x22 && quote !== 0x27) throw new XmlFormatError(`attribute ${name} of <${qname}> is not quoted`);
      const close = bytes.indexOf(quote, q + 1);
      if (close < 0) throw new XmlFormatError(`unterminated attribute ${name}`);
      const raw = bytes.toString('utf8', q + 1, close);
      if (raw.includes('<')) throw new XmlFormatError(`"<" in attribute ${name}`);
      const spaced = raw.includes('\n') || raw.includes('\r') || raw.includes('\t') ? raw.replace(/\r\n|[\r\n\t]/g, ' ') : raw;
      rawAttrs.push([name, decodeReferences(spaced, q)]);
      if (rawAttrs.length > limits.maxAttributes) throw new XmlFormatError(`too many attributes on <${qname}>`);
      k = close + 1;
    }
    const nsDecls: Array<[string, string]> = [];
    const plain: Array<[string, string, string]> = [];
    const seen = rawAttrs.length > 1 ? new Set<string>() : null;
    for (const [name, value] of rawAttrs) {
      if (seen?.has(name)) throw new XmlFormatError(`duplicate attribute ${name} on <${qname}>`);
      seen?.add(name);
      if (name === 'xmlns') nsDecls.push(['', value]);
      else if (name.startsWith('xmlns:')) {
        const p = name.slice(6);
        if (value === '' || p === 'xml' || p === 'xmlns') throw new XmlFormatError(`illegal namespace declaration ${name}`);
        nsDecls.push([p, value]);
      } else {
        const [prefix, local] = splitName(name, open, names);
        plain.push([prefix, local, value]);
      }
    }
    const [prefix, local] = splitName(qname, open, names);
    const parent: ScannedElement | null = this.current;
    const partial = { nsDecls, parent } as unknown as ScannedElement;
    const uri = lookupNamespace(partial, prefix);
    if (uri === undefined) throw new XmlFormatError(`unbound prefix ${prefix} on <${qname}>`);
    const attrs: ScannedAttr[] = plain.map(([p, l, value]) => {
      const u = p === '' ? '' : lookupNamespace(partial, p);
      if (u === undefined) throw new XmlFormatError(`unbound prefix ${p} on an attribute of <${qname}>`);
      return { prefix: p, local: l, uri: u, value };
    });
    const expanded = attrs.length > 1 ? new Set<string>() : null;
    if (expanded) for (const a of attrs) {
      const key = `${a.uri}|${a.local}`;
      if (expanded.has(key)) throw new XmlFormatError(`duplicate attribute {${a.uri}}${a.local} on <${qname}>`);
      expanded.add(key);
    }
    const el: ScannedElement = { qname, prefix, local, uri, attrs, nsDecls, parent, start: open, startTagEnd: k, endTagEnd: -1 };
    this.depth += 1;
    if (this.depth > limits.maxDepth) throw new XmlFormatError(`nesting deeper than ${limits.maxDepth}`);
    this.rootSeen = true;
    this.handler.startElement(el);
    if (selfClosing) {
      el.endTagEnd = k;
      this.handler.endElement(el);
      this.depth -= 1;
    } else {
      this.current = el;
    }
    return k;
  }
}
