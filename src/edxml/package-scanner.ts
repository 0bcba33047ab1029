// The first pass over a package, byte by byte as it arrives: a bounded tokenizer that
//  - rejects DOCTYPE and any other `<!` declaration before a parser sees it (no DTD, so no external or
//    internal entities: XXE and billion laughs cannot start), and unsupported encodings;
//  - enforces the limits (package size, envelope size, depth, element count, attribute length, number
//    of attachments);
//  - splits the package: the envelope and the attachment metadata (small) are copied out for the DOM
//    parser, the text of each AttachmentEncoded/Attachment/ContentTransferEncoded is streamed through
//    the attachment decoder instead (base64 → ZIP → hash → caller's sink);
//  - notes namespace prefixes used where no declaration is in scope (the vendor's older packages write
//    `edXML:AttachmentEncoded` outside the element declaring `edXML`, and `xlink:href` with no
//    declaration at all), so that the envelope can be declared-for and parsed namespace-aware.
// The caller's package bytes are never modified: XML-DSig verification (src/pki) works on them.
import { DomainError } from '../domain/errors.ts';
import { ByteAccumulator } from './byte-accumulator.ts';
import { AttachmentDecoder, type AttachmentSink, type DecodedAttachmentDigest } from './attachment-decoder.ts';
import type { EdxmlLimits } from './limits.ts';
import { QCVN_102_NAMESPACE } from './model.ts';

const LT = 0x3c;
const GT = 0x3e;
const ATTACHMENT_PIECE = 64 * 1024;

/** Well-known namespaces for prefixes that vendors use without declaring them. */
const KNOWN_PREFIXES: Readonly<Record<string, string>> = {
  edXML: QCVN_102_NAMESPACE,
  xlink: 'http://www.w3.org/1999/xlink',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
};

type MarkupKind = 'start' | 'end' | 'comment' | 'cdata' | 'pi' | undefined;

interface Frame {
  readonly qname: string;
  readonly localName: string;
  readonly namespace: string | undefined;
  readonly declarations: ReadonlyMap<string, string> | undefined;
}

export interface EnvelopeScan {
  /** The package with attachment contents left out, ready for the DOM parser. */
  readonly envelopeXml: string;
  readonly attachments: readonly DecodedAttachmentDigest[];
  /** Prefixes used without a declaration in scope, declared on the root for parsing. */
  readonly undeclaredPrefixes: readonly string[];
}

const malformed = (message: string): DomainError => new DomainError('edxml.malformed', { details: [{ message }] });
const tooLarge = (limit: keyof EdxmlLimits, message: string): DomainError => new DomainError('edxml.too_large', { details: [{ message, limit }] });

const ATTRIBUTE = /\s+([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;
const TAG_END = /\s*(\/?)>$/y;

export class PackageScanner {
  private totalBytes = 0;
  private started = false;
  private readonly envelope = new ByteAccumulator();
  private rootInsertAt = -1;
  private rootSeen = false;
  private readonly stack: Frame[] = [];
  private elements = 0;
  private inMarkup = false;
  private kind: MarkupKind;
  private markupHead = '';
  /** Copies of the markup bytes read from earlier chunks, when a tag straddles chunks. */
  private readonly markupCarry: Buffer[] = [];
  private markupBytes = 0;
  private quote = 0;
  private tail = 0; // the last two bytes of the markup, for `-->`, `]]>`, `?>`
  private attachment: AttachmentDecoder | undefined;
  private attachmentCount = 0;
  private readonly digests: DecodedAttachmentDigest[] = [];
  private meta: { contentId?: string; name?: string; contentType?: string } = {};
  private metaCapture: { key: 'contentId' | 'name' | 'contentType'; bytes: Buffer[]; length: number } | undefined;
  private readonly undeclared = new Set<string>();
  private pending: Promise<void>[] = [];

  constructor(
    private readonly limits: EdxmlLimits,
    private readonly sink: AttachmentSink,
  ) {}

  /** Scans one chunk; returns sink writes to await before the next chunk. */
  push(input: Uint8Array): Promise<void>[] {
    let chunk = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.totalBytes += chunk.length;
    if (this.totalBytes > this.limits.maxPackageBytes) throw tooLarge('maxPackageBytes', `the package exceeds ${this.limits.maxPackageBytes} bytes`);
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if ((chunk[0] === 0xfe && chunk[1] === 0xff) || (chunk[0] === 0xff && chunk[1] === 0xfe)) throw malformed('UTF-16 is not accepted: edXML is UTF-8');
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    let pos = 0;
    while (pos < chunk.length) pos = this.inMarkup ? this.scanMarkup(chunk, pos) : this.scanText(chunk, pos);
    return this.takePending();
  }

  end(): { scan: EnvelopeScan; pending: Promise<void>[] } {
    if (this.inMarkup || this.stack.length > 0 || !this.rootSeen) throw malformed('the package ends before its root element is closed');
    const declarations = [...this.undeclared].map((p) => ` xmlns:${p}="${KNOWN_PREFIXES[p] ?? `urn:edoc-node:undeclared-prefix:${p}`}"`).join('');
    const envelopeXml = this.envelope.toString(declarations ? { at: this.rootInsertAt, text: declarations } : undefined);
    return { scan: { envelopeXml, attachments: this.digests, undeclaredPrefixes: [...this.undeclared] }, pending: this.takePending() };
  }

  /** Releases the caller's sink when the package is rejected. */
  abort(reason: unknown): void {
    this.attachment?.abort(reason);
    this.attachment = undefined;
  }

  private takePending(): Promise<void>[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Bytes [start, end) of `bytes` go to the envelope. */
  private keep(bytes: Uint8Array, start: number, end: number): void {
    this.envelope.append(bytes, start, end);
    if (this.envelope.length > this.limits.maxEnvelopeBytes) throw tooLarge('maxEnvelopeBytes', `the envelope (everything but attachment contents) exceeds ${this.limits.maxEnvelopeBytes} bytes`);
  }

  private scanText(chunk: Buffer, pos: number): number {
    const lt = chunk.indexOf(LT, pos);
    const end = lt < 0 ? chunk.length : lt;
    if (end > pos) {
      if (this.attachment) {
        // Small pieces: strings under V8's large-object size die young instead of piling up in old space.
        for (let i = pos; i < end; i += ATTACHMENT_PIECE) this.pending.push(...this.attachment.pushEncoded(chunk.subarray(i, Math.min(i + ATTACHMENT_PIECE, end))));
      } else {
        this.keep(chunk, pos, end);
        if (this.metaCapture && this.metaCapture.length < 4096) {
          this.metaCapture.bytes.push(Buffer.from(chunk.subarray(pos, end)));
          this.metaCapture.length += end - pos;
        }
      }
    }
    if (lt < 0) return chunk.length;
    this.inMarkup = true;
    this.kind = undefined;
    this.markupHead = '';
    this.markupBytes = 0;
    this.quote = 0;
    this.tail = 0;
    return lt;
  }

  private scanMarkup(chunk: Buffer, pos: number): number {
    const start = pos;
    const len = chunk.length;
    let i = pos;
    let done = false;
    for (; this.kind === undefined && i < len; i += 1) {
      const b = chunk[i] as number;
      this.markupHead += String.fromCharCode(b);
      this.kind = this.classify();
      this.tail = ((this.tail << 8) | b) & 0xffff;
    }
    if (this.kind === 'start' || this.kind === 'end') {
      // A tag ends at the first `>` outside quoted attribute values (XML 1.0 §3.1).
      let quote = this.quote;
      for (; i < len; i += 1) {
        const b = chunk[i] as number;
        if (quote !== 0) {
          if (b === quote) quote = 0;
        } else if (b === 0x22 || b === 0x27) {
          quote = b;
        } else if (b === GT) {
          done = true;
          break;
        }
      }
      this.quote = quote;
    } else if (this.kind !== undefined) {
      // Comments, CDATA and processing instructions end at `-->`, `]]>`, `?>`: jump from `>` to `>`.
      let tail = this.tail;
      for (;;) {
        const gt = chunk.indexOf(GT, i);
        if (gt < 0) {
          if (len - i >= 2) tail = ((chunk[len - 2] as number) << 8) | (chunk[len - 1] as number);
          else if (len - i === 1) tail = ((tail << 8) | (chunk[len - 1] as number)) & 0xffff;
          i = len;
          break;
        }
        const before = gt - i >= 2 ? ((chunk[gt - 2] as number) << 8) | (chunk[gt - 1] as number) : gt - i === 1 ? ((tail << 8) | (chunk[gt - 1] as number)) & 0xffff : tail;
        const lengthSoFar = this.markupBytes + (gt + 1 - start);
        if ((this.kind === 'comment' && before === 0x2d2d && lengthSoFar >= 7) || (this.kind === 'cdata' && before === 0x5d5d) || (this.kind === 'pi' && (before & 0xff) === 0x3f)) {
          i = gt;
          done = true;
          break;
        }
        tail = ((before << 8) | GT) & 0xffff;
        i = gt + 1;
      }
      this.tail = tail;
    }
    const end = done ? i + 1 : i;
    this.markupBytes += end - start;
    const cap = this.kind === 'start' || this.kind === 'end' ? 16 * this.limits.maxAttributeLength + 1024 : this.limits.maxEnvelopeBytes;
    if (this.markupBytes > cap) throw tooLarge(this.kind === 'start' ? 'maxAttributeLength' : 'maxEnvelopeBytes', 'a single tag, comment or CDATA section is too long');
    if (!done) {
      this.markupCarry.push(Buffer.from(chunk.subarray(start, end)));
      return end;
    }
    this.inMarkup = false;
    // Markup is read as latin1: names, xmlns URIs and limits only need bytes; the DOM parser decodes UTF-8.
    if (this.markupCarry.length === 0) {
      this.completeMarkup(chunk.toString('latin1', start, end), chunk, start, end);
    } else {
      const whole = Buffer.concat([...this.markupCarry, chunk.subarray(start, end)]);
      this.markupCarry.length = 0;
      this.completeMarkup(whole.toString('latin1'), whole, 0, whole.length);
    }
    return end;
  }

  /** Decides the kind of markup from its first bytes; undefined while more bytes are needed. */
  private classify(): MarkupKind {
    const h = this.markupHead;
    if (h.length < 2) return undefined;
    const c = h[1];
    if (c === '/') return 'end';
    if (c === '?') return 'pi';
    if (c !== '!') return 'start';
    if ('<!--'.startsWith(h)) return h === '<!--' ? 'comment' : undefined;
    if ('<![CDATA['.startsWith(h)) return h === '<![CDATA[' ? 'cdata' : undefined;
    // `<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, `<!ATTLIST`, `<!NOTATION`: no DTD, ever (XXE, billion laughs).
    if (/^<![A-Z]/.test(h)) throw new DomainError('edxml.dtd_forbidden', { details: [{ message: 'the package contains a DOCTYPE or declaration (`<!…`)' }] });
    throw malformed('unexpected `<!` markup');
  }

  /** `text`: the markup as latin1; its bytes are [start, end) of `bytes`. */
  private completeMarkup(text: string, bytes: Uint8Array, start: number, end: number): void {
    switch (this.kind) {
      case 'start':
        return this.startTag(text, bytes, start, end);
      case 'end':
        return this.endTag(text, bytes, start, end);
      case 'pi':
        if (/^<\?xml\s/.test(text)) {
          const encoding = /encoding\s*=\s*["']([^"']*)["']/.exec(text)?.[1];
          if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) throw malformed(`encoding ${encoding} is not accepted: edXML is UTF-8`);
        }
        if (!this.attachment) this.keep(bytes, start, end);
        return;
      case 'cdata':
        if (this.attachment) this.pending.push(...this.attachment.pushEncoded(Buffer.from(text.slice(9, -3), 'latin1')));
        else this.keep(bytes, start, end);
        return;
      default: // comment: dropped inside attachment contents, kept elsewhere
        if (!this.attachment) this.keep(bytes, start, end);
    }
  }

  private resolve(prefix: string, own: ReadonlyMap<string, string> | undefined): string | undefined {
    const found = own?.get(prefix);
    if (found !== undefined) return found || undefined;
    for (let i = this.stack.length - 1; i >= 0; i -= 1) {
      const uri = this.stack[i]?.declarations?.get(prefix);
      if (uri !== undefined) return uri || undefined;
    }
    return undefined;
  }

  private noteUnbound(prefix: string, own: ReadonlyMap<string, string> | undefined): void {
    if (prefix === '' || prefix === 'xml' || prefix === 'xmlns') return;
    if (this.resolve(prefix, own) === undefined) this.undeclared.add(prefix);
  }

  private startTag(text: string, bytes: Uint8Array, start: number, end: number): void {
    if (this.attachment) throw malformed('an element inside attachment content');
    const nameMatch = /^<([^\s/>"'=]+)/.exec(text);
    if (!nameMatch) throw malformed('a start tag without a name');
    const qname = nameMatch[1] as string;
    let declarations: Map<string, string> | undefined;
    const attributeNames: string[] = [];
    ATTRIBUTE.lastIndex = nameMatch[0].length;
    let at = ATTRIBUTE.lastIndex;
    for (let m = ATTRIBUTE.exec(text); m; m = ATTRIBUTE.exec(text)) {
      const name = m[1] as string;
      const value = m[2] ?? m[3] ?? '';
      if (value.length > this.limits.maxAttributeLength) throw tooLarge('maxAttributeLength', `attribute ${name} is longer than ${this.limits.maxAttributeLength} bytes`);
      if (name === 'xmlns' || name.startsWith('xmlns:')) (declarations ??= new Map()).set(name === 'xmlns' ? '' : name.slice(6), value);
      else attributeNames.push(name);
      at = ATTRIBUTE.lastIndex;
    }
    TAG_END.lastIndex = at;
    const close = TAG_END.exec(text);
    if (!close) throw malformed(`a malformed start tag: ${text.slice(0, 80)}`);
    const selfClosing = close[1] === '/';

    if (this.stack.length === 0 && this.rootSeen) throw malformed('more than one root element');
    if (this.stack.length + 1 > this.limits.maxDepth) throw tooLarge('maxDepth', `elements nest deeper than ${this.limits.maxDepth}`);
    this.elements += 1;
    if (this.elements > this.limits.maxElements) throw tooLarge('maxElements', `more than ${this.limits.maxElements} elements`);

    const colon = qname.indexOf(':');
    const prefix = colon < 0 ? '' : qname.slice(0, colon);
    const localName = colon < 0 ? qname : qname.slice(colon + 1);
    this.noteUnbound(prefix, declarations);
    for (const a of attributeNames) if (a.includes(':')) this.noteUnbound(a.slice(0, a.indexOf(':')), declarations);
    const namespace = this.resolve(prefix, declarations) ?? (prefix === 'edXML' ? QCVN_102_NAMESPACE : undefined);
    const frame: Frame = { qname, localName, namespace, declarations };

    this.keep(bytes, start, end);
    if (!this.rootSeen) {
      this.rootSeen = true;
      this.rootInsertAt = this.envelope.length - (selfClosing ? 2 : 1);
    }
    const parent = this.stack[this.stack.length - 1];
    const grandparent = this.stack[this.stack.length - 2];
    if (parent?.localName === 'Attachment' && grandparent?.localName === 'AttachmentEncoded' && namespace === QCVN_102_NAMESPACE) {
      if (localName === 'ContentTransferEncoded') {
        this.openAttachment();
        if (selfClosing) this.closeAttachment();
      } else if (!selfClosing && (localName === 'ContentId' || localName === 'AttachmentName' || localName === 'ContentType')) {
        this.metaCapture = { key: localName === 'ContentId' ? 'contentId' : localName === 'AttachmentName' ? 'name' : 'contentType', bytes: [], length: 0 };
      }
    }
    if (localName === 'Attachment') this.meta = {};
    if (!selfClosing) this.stack.push(frame);
  }

  private endTag(text: string, bytes: Uint8Array, start: number, end: number): void {
    const m = /^<\/([^\s>]+)\s*>$/.exec(text);
    const top = this.stack.pop();
    if (!m || !top || m[1] !== top.qname) throw malformed(`end tag ${m?.[1] ?? text.slice(0, 40)} does not close ${top?.qname ?? 'any element'}`);
    if (this.attachment) this.closeAttachment();
    this.keep(bytes, start, end);
    if (this.metaCapture) {
      this.meta[this.metaCapture.key] = Buffer.concat(this.metaCapture.bytes).toString('utf8').trim().replace(/^cid:/i, '');
      this.metaCapture = undefined;
    }
  }

  private openAttachment(): void {
    this.attachmentCount += 1;
    if (this.attachmentCount > this.limits.maxAttachments) throw tooLarge('maxAttachments', `more than ${this.limits.maxAttachments} attachments`);
    const index = this.attachmentCount - 1;
    const writer = this.sink.open({ index, ...this.meta });
    this.attachment = new AttachmentDecoder(index, writer, this.limits.maxAttachmentBytes);
  }

  private closeAttachment(): void {
    const decoder = this.attachment as AttachmentDecoder;
    const { digest, pending } = decoder.finish();
    this.attachment = undefined;
    this.digests.push(digest);
    this.pending.push(...pending);
  }
}
