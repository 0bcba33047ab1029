// The PDF object syntax (ISO 32000-1 §7.3) we need to read catalogs, pages, forms and signature
// dictionaries and to write them back in an incremental update. Strings keep their raw source so that
// what we copy is byte-for-byte what was there.

export type PdfValue =
  | { readonly t: 'dict'; readonly v: Map<string, PdfValue> }
  | { readonly t: 'array'; readonly v: PdfValue[] }
  | { readonly t: 'name'; readonly v: string } // without the slash, still #-escaped as in the source
  | { readonly t: 'num'; readonly v: string }
  | { readonly t: 'str'; readonly raw: string } // "(...)" with its escapes
  | { readonly t: 'hex'; readonly raw: string } // "<...>"
  | { readonly t: 'ref'; readonly n: number; readonly g: number }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'null' };

export class PdfSyntaxError extends Error {}

const WS = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIM = new Set([0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]);

/** A cursor over latin1 text (one char per byte, so offsets are byte offsets). */
export class PdfLexer {
  constructor(readonly s: string, public pos = 0) {}

  skipSpace(): void {
    for (;;) {
      const c = this.s.charCodeAt(this.pos);
      if (WS.has(c)) { this.pos += 1; continue; }
      if (c === 0x25) { // comment to end of line
        while (this.pos < this.s.length && this.s[this.pos] !== '\n' && this.s[this.pos] !== '\r') this.pos += 1;
        continue;
      }
      return;
    }
  }

  private regular(): string {
    const start = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (WS.has(c) || DELIM.has(c)) break;
      this.pos += 1;
    }
    return this.s.slice(start, this.pos);
  }

  peekKeyword(word: string): boolean {
    this.skipSpace();
    return this.s.startsWith(word, this.pos);
  }

  expectKeyword(word: string): void {
    this.skipSpace();
    if (!this.s.startsWith(word, this.pos)) throw new PdfSyntaxError(`expected "${word}" at ${this.pos}`);
    this.pos += word.length;
  }

  readInt(): number {
    this.skipSpace();
    const w = this.regular();
    if (!/^\d+$/.test(w)) throw new PdfSyntaxError(`expected an integer at ${this.pos}, got "${w}"`);
    return Number(w);
  }

  readValue(depth = 0): PdfValue {
    if (depth > 64) throw new PdfSyntaxError('objects nested too deeply');
    this.skipSpace();
    const c = this.s[this.pos];
    if (c === undefined) throw new PdfSyntaxError('unexpected end of data');
    if (c === '<' && this.s[this.pos + 1] === '<') {
      this.pos += 2;
      const v = new Map<string, PdfValue>();
      for (;;) {
        this.skipSpace();
        if (this.s.startsWith('>>', this.pos)) { this.pos += 2; return { t: 'dict', v }; }
        if (this.s[this.pos] !== '/') throw new PdfSyntaxError(`dictionary key expected at ${this.pos}`);
        this.pos += 1;
        const key = this.regular();
        v.set(key, this.readValue(depth + 1));
      }
    }
    if (c === '[') {
      this.pos += 1;
      const v: PdfValue[] = [];
      for (;;) {
        this.skipSpace();
        if (this.s[this.pos] === ']') { this.pos += 1; return { t: 'array', v }; }
        v.push(this.readValue(depth + 1));
      }
    }
    if (c === '/') { this.pos += 1; return { t: 'name', v: this.regular() }; }
    if (c === '(') {
      const start = this.pos;
      let level = 0;
      for (; this.pos < this.s.length; this.pos += 1) {
        const ch = this.s[this.pos];
        if (ch === '\\') { this.pos += 1; continue; }
        if (ch === '(') level += 1;
        else if (ch === ')' && (level -= 1) === 0) { this.pos += 1; return { t: 'str', raw: this.s.slice(start, this.pos) }; }
      }
      throw new PdfSyntaxError('unterminated string');
    }
    if (c === '<') {
      const close = this.s.indexOf('>', this.pos);
      if (close < 0) throw new PdfSyntaxError('unterminated hex string');
      const raw = this.s.slice(this.pos, close + 1);
      this.pos = close + 1;
      return { t: 'hex', raw };
    }
    const word = this.regular();
    if (word === '') throw new PdfSyntaxError(`unexpected "${c}" at ${this.pos}`);
    if (word === 'true' || word === 'false') return { t: 'bool', v: word === 'true' };
    if (word === 'null') return { t: 'null' };
    if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(word)) throw new PdfSyntaxError(`unexpected "${word}" at ${this.pos}`);
    // "n g R" is a reference
    const save = this.pos;
    if (/^\d+$/.test(word)) {
      this.skipSpace();
      const g = this.regular();
      if (/^\d+$/.test(g)) {
        this.skipSpace();
        if (this.s[this.pos] === 'R' && (this.pos + 1 >= this.s.length || WS.has(this.s.charCodeAt(this.pos + 1)) || DELIM.has(this.s.charCodeAt(this.pos + 1)))) {
          this.pos += 1;
          return { t: 'ref', n: Number(word), g: Number(g) };
        }
      }
      this.pos = save;
    }
    return { t: 'num', v: word };
  }
}

export function serialize(value: PdfValue): string {
  switch (value.t) {
    case 'dict': return `<<${[...value.v].map(([k, v]) => `/${k} ${serialize(v)}`).join(' ')}>>`;
    case 'array': return `[${value.v.map(serialize).join(' ')}]`;
    case 'name': return `/${value.v}`;
    case 'num': return value.v;
    case 'str': case 'hex': return value.raw;
    case 'ref': return `${value.n} ${value.g} R`;
    case 'bool': return String(value.v);
    case 'null': return 'null';
  }
}

export const ref = (n: number, g = 0): PdfValue => ({ t: 'ref', n, g });
export const name = (v: string): PdfValue => ({ t: 'name', v });
export const num = (v: number): PdfValue => ({ t: 'num', v: String(v) });

/** A PDF literal string from text (UTF-16BE with BOM when not plain ASCII, ISO 32000-1 §7.9.2.2). */
export function textString(text: string): PdfValue {
  if (/^[\x20-\x7e]*$/.test(text)) return { t: 'str', raw: `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})` };
  const utf16 = Buffer.from(text, 'utf16le').swap16();
  return { t: 'hex', raw: `<FEFF${utf16.toString('hex').toUpperCase()}>` };
}

export function dictGet(dict: PdfValue | undefined, key: string): PdfValue | undefined {
  return dict?.t === 'dict' ? dict.v.get(key) : undefined;
}

export const isName = (v: PdfValue | undefined, n: string): boolean => v?.t === 'name' && v.v === n;
