// Reading the structure of an existing PDF (ISO 32000-1 §7.5): the cross-reference chain (classic tables
// and cross-reference streams, §7.5.8, with object streams §7.5.7), the trailer and any object by number.
// Just enough to append an incremental update and to find signature dictionaries; we never rewrite the
// original bytes (§7.5.6: incremental updates keep earlier signatures valid).
import { inflateSync } from 'node:zlib';
import { dictGet, PdfLexer, PdfSyntaxError, type PdfValue } from './pdf-objects.ts';
import { bufferSource, type PdfSource } from './pdf-source.ts';

type XrefEntry = { readonly kind: 'offset'; readonly offset: number } | { readonly kind: 'compressed'; readonly stream: number; readonly index: number };

export class PdfStructure {
  readonly xref = new Map<number, XrefEntry>();
  readonly trailer: Map<string, PdfValue>;
  readonly startxref: number;
  readonly usesXrefStreams: boolean;
  private readonly objectStreams = new Map<number, { text: string; offsets: Map<number, number> }>();

  /** Where the bytes are read from: the whole file in memory, or a file read a window at a time. */
  readonly source: PdfSource;

  constructor(input: Buffer | PdfSource) {
    const bytes = this.source = Buffer.isBuffer(input) ? bufferSource(input) : input;
    if (bytes.latin1(0, 5) !== '%PDF-') throw new PdfSyntaxError('not a PDF (no %PDF- header)');
    const tail = bytes.latin1(Math.max(0, bytes.length - 2048), bytes.length);
    const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
    if (!m) throw new PdfSyntaxError('no startxref / %%EOF at the end of the file');
    this.startxref = Number(m[1]);
    let offset: number | undefined = this.startxref;
    let latest: Map<string, PdfValue> | undefined;
    let streams = false;
    const seen = new Set<number>();
    while (offset !== undefined) {
      if (seen.has(offset) || seen.size > 1000) throw new PdfSyntaxError('cross-reference chain loops');
      seen.add(offset);
      const section: { trailer: Map<string, PdfValue>; stream: boolean } = bytes.latin1(offset, offset + 4).startsWith('xref') ? this.readXrefTable(offset) : this.readXrefStream(offset);
      streams ||= section.stream;
      latest ??= section.trailer;
      const prev: PdfValue | undefined = section.trailer.get('Prev');
      offset = prev?.t === 'num' ? Number(prev.v) : undefined;
    }
    this.trailer = latest as Map<string, PdfValue>;
    this.usesXrefStreams = streams;
    if (this.trailer.has('Encrypt')) throw new PdfSyntaxError('encrypted PDFs are not supported');
  }

  private add(n: number, entry: XrefEntry): void {
    if (!this.xref.has(n)) this.xref.set(n, entry); // newest section first: later (older) entries lose
  }

  private readXrefTable(offset: number): { trailer: Map<string, PdfValue>; stream: boolean } {
    const trailerAt = this.source.indexOf('trailer', offset);
    if (trailerAt < 0) throw new PdfSyntaxError('xref table without trailer');
    const lex = new PdfLexer(this.source.latin1(offset, trailerAt + 16384));
    lex.expectKeyword('xref');
    const free = new Set<number>();
    while (!lex.peekKeyword('trailer')) {
      const first = lex.readInt();
      const count = lex.readInt();
      for (let i = 0; i < count; i += 1) {
        lex.skipSpace();
        const line = lex.s.slice(lex.pos, lex.pos + 18);
        const e = /^(\d{10}) (\d{5}) ([nf])/.exec(line);
        if (!e) throw new PdfSyntaxError(`bad xref entry at ${offset + lex.pos}`);
        lex.pos += 18;
        if (e[3] === 'n') { if (!free.has(first + i)) this.add(first + i, { kind: 'offset', offset: Number(e[1]) }); } else free.add(first + i);
      }
    }
    lex.expectKeyword('trailer');
    const trailer = lex.readValue();
    if (trailer.t !== 'dict') throw new PdfSyntaxError('trailer is not a dictionary');
    return { trailer: trailer.v, stream: false };
  }

  /** Reads "n g obj <<dict>> stream … endstream" at `offset`, returning the dict and decoded data. */
  private readStreamObject(offset: number): { dict: Map<string, PdfValue>; data: Buffer } {
    const head = this.source.latin1(offset, offset + 65536);
    const lex = new PdfLexer(head);
    lex.readInt(); lex.readInt(); lex.expectKeyword('obj');
    const dict = lex.readValue();
    if (dict.t !== 'dict') throw new PdfSyntaxError('stream object without a dictionary');
    lex.expectKeyword('stream');
    if (head[lex.pos] === '\r') lex.pos += 1;
    if (head[lex.pos] === '\n') lex.pos += 1;
    const start = offset + lex.pos;
    const lengthValue = dict.v.get('Length');
    const length = lengthValue?.t === 'num' ? Number(lengthValue.v) : this.source.indexOf('endstream', start) - start;
    let data = this.source.bytes(start, start + length);
    const filter = dict.v.get('Filter');
    const filterName = filter?.t === 'name' ? filter.v : filter?.t === 'array' && filter.v.length === 1 && filter.v[0]?.t === 'name' ? filter.v[0].v : filter ? 'unsupported' : undefined;
    if (filterName === 'FlateDecode') data = inflateSync(data);
    else if (filterName !== undefined) throw new PdfSyntaxError(`stream filter ${filterName} is not supported`);
    const parms = dictGet(dict, 'DecodeParms');
    const predictor = dictGet(parms, 'Predictor');
    if (predictor?.t === 'num' && Number(predictor.v) >= 10) {
      const columns = dictGet(parms, 'Columns');
      data = unpredictPng(data, columns?.t === 'num' ? Number(columns.v) : 1);
    }
    return { dict: dict.v, data };
  }

  private readXrefStream(offset: number): { trailer: Map<string, PdfValue>; stream: boolean } {
    const { dict, data } = this.readStreamObject(offset);
    const w = dict.get('W');
    if (w?.t !== 'array' || w.v.length !== 3) throw new PdfSyntaxError('xref stream without /W');
    const widths = w.v.map((x) => (x.t === 'num' ? Number(x.v) : 0)) as [number, number, number];
    const size = dict.get('Size');
    const index = dict.get('Index');
    const ranges = index?.t === 'array' ? index.v.map((x) => (x.t === 'num' ? Number(x.v) : 0)) : [0, size?.t === 'num' ? Number(size.v) : 0];
    const rowLength = widths[0] + widths[1] + widths[2];
    let at = 0;
    const field = (width: number, fallback: number): number => {
      if (width === 0) return fallback;
      let v = 0;
      for (let i = 0; i < width; i += 1) v = v * 256 + (data[at + i] as number);
      at += width;
      return v;
    };
    for (let r = 0; r + 1 < ranges.length; r += 2) {
      const first = ranges[r] as number;
      for (let i = 0; i < (ranges[r + 1] as number); i += 1) {
        if (at + rowLength > data.length) throw new PdfSyntaxError('xref stream shorter than its /Index');
        const type = field(widths[0], 1);
        const a = field(widths[1], 0);
        const b = field(widths[2], 0);
        if (type === 1) this.add(first + i, { kind: 'offset', offset: a });
        else if (type === 2) this.add(first + i, { kind: 'compressed', stream: a, index: b });
        else if (type === 0 && !this.xref.has(first + i)) this.xref.set(first + i, { kind: 'offset', offset: -1 });
      }
    }
    return { trailer: dict, stream: true };
  }

  /** The object numbered `n` (its value; a stream's dictionary). */
  getObject(n: number): PdfValue {
    const entry = this.xref.get(n);
    if (!entry || (entry.kind === 'offset' && entry.offset < 0)) return { t: 'null' };
    if (entry.kind === 'offset') {
      const endobj = this.source.indexOf('endobj', entry.offset);
      const lex = new PdfLexer(this.source.latin1(entry.offset, endobj < 0 ? this.source.length : endobj));
      if (lex.readInt() !== n) throw new PdfSyntaxError(`xref for object ${n} points elsewhere`);
      lex.readInt();
      lex.expectKeyword('obj');
      return lex.readValue();
    }
    let objstm = this.objectStreams.get(entry.stream);
    if (!objstm) {
      const at = this.xref.get(entry.stream);
      if (!at || at.kind !== 'offset') throw new PdfSyntaxError(`object stream ${entry.stream} not found`);
      const { dict, data } = this.readStreamObject(at.offset);
      const count = dict.get('N');
      const first = dict.get('First');
      const text = data.toString('latin1');
      const lex = new PdfLexer(text);
      const offsets = new Map<number, number>();
      for (let i = 0; i < (count?.t === 'num' ? Number(count.v) : 0); i += 1) {
        const num = lex.readInt();
        offsets.set(num, (first?.t === 'num' ? Number(first.v) : 0) + lex.readInt());
      }
      objstm = { text, offsets };
      this.objectStreams.set(entry.stream, objstm);
    }
    const pos = objstm.offsets.get(n);
    if (pos === undefined) throw new PdfSyntaxError(`object ${n} missing from its object stream`);
    return new PdfLexer(objstm.text, pos).readValue();
  }

  resolve(value: PdfValue | undefined): PdfValue | undefined {
    let v = value;
    for (let hops = 0; v?.t === 'ref' && hops < 32; hops += 1) v = this.getObject(v.n);
    return v;
  }

  get size(): number {
    const s = this.trailer.get('Size');
    return Math.max(s?.t === 'num' ? Number(s.v) : 0, ...[...this.xref.keys()].map((k) => k + 1));
  }
}

/** PNG predictors (RFC 2083 §6) as used by xref streams: None, Sub, Up. */
function unpredictPng(data: Buffer, columns: number): Buffer {
  const rowLength = columns + 1;
  const rows = Math.floor(data.length / rowLength);
  const out = Buffer.alloc(rows * columns);
  for (let r = 0; r < rows; r += 1) {
    const type = data[r * rowLength];
    for (let c = 0; c < columns; c += 1) {
      const raw = data[r * rowLength + 1 + c] as number;
      const left = c > 0 ? (out[r * columns + c - 1] as number) : 0;
      const up = r > 0 ? (out[(r - 1) * columns + c] as number) : 0;
      if (type === 0) out[r * columns + c] = raw;
      else if (type === 1) out[r * columns + c] = (raw + left) & 0xff;
      else if (type === 2) out[r * columns + c] = (raw + up) & 0xff;
      else throw new PdfSyntaxError(`PNG predictor ${String(type)} is not supported`);
    }
  }
  return out;
}
