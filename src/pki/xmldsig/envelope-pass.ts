// One streaming pass over an edXML package (DOMAIN.md §3) that does, at once: the strict parse, the edXML
// shape checks the signature profile relies on, the enveloped-signature transform plus exclusive c14n
// of the whole document hashed as it goes (the Reference URI="" digest), the capture of the Signature
// element (small) with its SignedInfo canonicalized separately, and the sending agency's organ id
// (MessageHeader/From/OrganId, a node the signature covers).
import { createHash } from 'node:crypto';
import { ExclusiveCanonicalizer } from './exclusive-c14n.ts';
import { decodeText, scanXml, type ScannedAttr, type ScannedElement, type ScanHandler } from '../../edxml/xml-scanner.ts';

export const EDXML_NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

/** A captured element of the Signature subtree. */
export interface SignatureNode {
  readonly uri: string;
  readonly local: string;
  readonly attrs: readonly ScannedAttr[];
  readonly children: SignatureNode[];
  text: string;
}

export interface EnvelopePassResult {
  readonly shapeErrors: readonly string[];
  readonly dsigSignatureCount: number;
  /** `Signature` elements in another namespace (the vendor SDK omits the XML-DSig namespace). */
  readonly foreignSignatureCount: number;
  readonly signature?: SignatureNode;
  /** Canonical SignedInfo (exclusive c14n, apex with an empty rendered namespace context). */
  readonly canonicalSignedInfo?: Buffer;
  /** Digest of the canonicalized document without the Signature; undefined when no digest was asked for. */
  readonly documentDigest?: Buffer;
  /** Where a Signature is inserted when signing: just after TraceHeaderList (or MessageHeader). */
  readonly insertAt?: number;
  readonly fromOrganId?: string;
}

/** What takes the canonical form: `update` in document order, then `digest` once at the end. */
export interface CanonicalSink {
  update(chunk: string | Uint8Array): unknown;
  digest(): Buffer;
}

/**
 * A hash name known up front (signing), a sink of the canonical form (signing a skeleton: the sink
 * splices the attachments in), a choice made from the captured Signature (verifying), or none.
 */
export type DigestChoice = string | CanonicalSink | ((signature: SignatureNode | undefined) => string | undefined) | null;

const isEdxml = (el: ScannedElement | null, local: string): boolean => el !== null && el.uri === EDXML_NS && el.local === local;
const isDsig = (el: ScannedElement | null, local: string): boolean => el !== null && el.uri === DSIG_NS && el.local === local;
const asBytes = (c: string | Uint8Array): Uint8Array => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c);

class EnvelopePass implements ScanHandler {
  readonly shapeErrors: string[] = [];
  dsigSignatureCount = 0;
  foreignSignatureCount = 0;
  signature?: SignatureNode;
  canonicalSignedInfo?: Buffer;
  insertAt?: number;
  fromOrganId?: string;
  private readonly counts = new Map<string, number>();
  private readonly document: ExclusiveCanonicalizer;
  private pending: Array<string | Uint8Array> | null = [];
  private hash: CanonicalSink | null = null;
  private sigStack: SignatureNode[] = [];
  private signedInfo: { c14n: ExclusiveCanonicalizer; chunks: Array<string | Uint8Array>; depth: number } | null = null;
  private headerElementsAfterSignature = 0;
  private previousHeaderChild: string | null = null;
  private organIdText: string | null = null;

  constructor(private readonly digestAlgorithm: DigestChoice) {
    if (typeof digestAlgorithm === 'string') { this.hash = createHash(digestAlgorithm); this.pending = null; }
    if (typeof digestAlgorithm === 'object' && digestAlgorithm !== null) { this.hash = digestAlgorithm; this.pending = null; }
    if (digestAlgorithm === null) this.pending = null;
    // A prototype method, bound: a closure made per pass would lose its optimised code at each full GC.
    this.document = new ExclusiveCanonicalizer(this.documentChunk.bind(this));
  }

  /** Small strings are batched: one hash update per ~16 KB of markup instead of one per tag. */
  private documentChunk(chunk: string | Uint8Array): void {
    if (typeof chunk === 'string') {
      this.batch += chunk;
      if (this.batch.length > 16384) this.flush();
      return;
    }
    if (chunk.length < 4096) { // short text (mostly indentation): cheaper to batch than to hash alone
      this.batch += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('utf8');
      if (this.batch.length > 16384) this.flush();
      return;
    }
    this.flush();
    this.emit(chunk);
  }

  private batch = '';

  private emit(chunk: string | Uint8Array): void {
    if (this.hash) this.hash.update(chunk);
    else if (this.pending) this.pending.push(chunk);
  }

  private flush(): void {
    if (this.batch.length > 0) { this.emit(this.batch); this.batch = ''; }
  }

  private get insideSignature(): boolean { return this.sigStack.length > 0; }

  startElement(el: ScannedElement): void {
    if (el.parent === null && !isEdxml(el, 'edXML')) this.shapeErrors.push(`the root element is {${el.uri}}${el.local}, not edXML in the QCVN 102 namespace`);
    if (el.uri === EDXML_NS) this.counts.set(el.local, (this.counts.get(el.local) ?? 0) + 1);
    const inHeader = isEdxml(el.parent, 'edXMLHeader');
    if (inHeader && this.dsigSignatureCount > 0 && !this.insideSignature) this.headerElementsAfterSignature += 1;
    if (isDsig(el, 'Signature')) {
      this.dsigSignatureCount += 1;
      if (!this.insideSignature) this.checkSignaturePlace(el);
    } else if (el.local === 'Signature' && !this.insideSignature) {
      this.foreignSignatureCount += 1;
    }
    if (isDsig(el, 'Signature') || this.insideSignature) {
      this.flush();
      const node: SignatureNode = { uri: el.uri, local: el.local, attrs: el.attrs, children: [], text: '' };
      this.sigStack.at(-1)?.children.push(node);
      this.sigStack.push(node);
      if (this.sigStack.length === 1) this.signature ??= node;
      if (this.sigStack.length === 2 && isDsig(el, 'SignedInfo') && !this.signedInfo && !this.canonicalSignedInfo) {
        const chunks: Array<string | Uint8Array> = [];
        this.signedInfo = { c14n: new ExclusiveCanonicalizer(chunks.push.bind(chunks)), chunks, depth: 0 };
      }
      if (this.signedInfo) { this.signedInfo.depth += 1; this.signedInfo.c14n.startElement(el); }
    } else {
      this.document.startElement(el);
      if (inHeader) this.previousHeaderChild = el.local;
    }
    if (isEdxml(el, 'OrganId') && isEdxml(el.parent, 'From') && isEdxml(el.parent?.parent ?? null, 'MessageHeader') && isEdxml(el.parent?.parent?.parent ?? null, 'edXMLHeader')) this.organIdText = '';
  }

  private checkSignaturePlace(el: ScannedElement): void {
    const header = el.parent;
    if (!isEdxml(header, 'edXMLHeader') || !isEdxml(header?.parent ?? null, 'edXMLEnvelope') || !isEdxml(header?.parent?.parent ?? null, 'edXML') || header?.parent?.parent?.parent !== null) {
      this.shapeErrors.push(`the Signature is inside ${el.parent ? `{${el.parent.uri}}${el.parent.local}` : 'nothing'}, not edXML/edXMLEnvelope/edXMLHeader`);
    }
  }

  endElement(el: ScannedElement): void {
    if (this.insideSignature) {
      if (this.signedInfo) {
        this.signedInfo.c14n.endElement(el);
        this.signedInfo.depth -= 1;
        if (this.signedInfo.depth === 0) {
          this.canonicalSignedInfo = Buffer.concat(this.signedInfo.chunks.map(asBytes));
          this.signedInfo = null;
        }
      }
      this.sigStack.pop();
      if (!this.insideSignature) {
        if (this.previousHeaderChild !== (this.counts.get('TraceHeaderList') ? 'TraceHeaderList' : 'MessageHeader')) this.shapeErrors.push('the Signature must follow TraceHeaderList (or MessageHeader when there is none) in edXMLHeader');
        this.startHashing();
      }
      return;
    }
    this.document.endElement(el);
    if (this.organIdText !== null && isEdxml(el, 'OrganId')) { this.fromOrganId ??= this.organIdText.trim(); this.organIdText = null; }
    if (isEdxml(el.parent, 'edXMLHeader') && (el.local === 'TraceHeaderList' || (el.local === 'MessageHeader' && this.insertAt === undefined))) this.insertAt = el.endTagEnd;
  }

  text(bytes: Buffer, start: number, end: number, cdata: boolean): void {
    if (this.insideSignature) {
      const node = this.sigStack.at(-1) as SignatureNode;
      if (node.text.length < 1_000_000) node.text += decodeText(bytes, start, end, cdata);
      this.signedInfo?.c14n.text(bytes, start, end, cdata);
      return;
    }
    if (this.organIdText !== null) this.organIdText += decodeText(bytes, start, end, cdata);
    this.document.text(bytes, start, end, cdata);
  }

  private startHashing(): void {
    this.flush();
    if (this.hash || !this.pending || typeof this.digestAlgorithm !== 'function') return;
    this.hash = createHash(this.digestAlgorithm(this.signature) ?? 'sha256');
    for (const c of this.pending) this.hash.update(c);
    this.pending = null;
  }

  finish(): EnvelopePassResult {
    this.flush();
    for (const local of ['edXMLEnvelope', 'edXMLHeader', 'MessageHeader']) {
      const count = this.counts.get(local) ?? 0;
      if (count !== 1) this.shapeErrors.push(`exactly one ${local} expected, found ${count}`);
    }
    if ((this.counts.get('TraceHeaderList') ?? 0) > 1) this.shapeErrors.push('more than one TraceHeaderList');
    if (this.headerElementsAfterSignature > 0) this.shapeErrors.push('elements follow the Signature in edXMLHeader');
    if (this.hash === null && this.pending && typeof this.digestAlgorithm === 'function') this.startHashing();
    return {
      shapeErrors: this.shapeErrors, dsigSignatureCount: this.dsigSignatureCount, foreignSignatureCount: this.foreignSignatureCount,
      ...(this.signature ? { signature: this.signature } : {}),
      ...(this.canonicalSignedInfo ? { canonicalSignedInfo: this.canonicalSignedInfo } : {}),
      ...(this.hash ? { documentDigest: this.hash.digest() } : {}),
      ...(this.insertAt !== undefined ? { insertAt: this.insertAt } : {}),
      ...(this.fromOrganId !== undefined ? { fromOrganId: this.fromOrganId } : {}),
    };
  }
}

/**
 * Runs the pass. `digestAlgorithm`: a node:crypto hash name when known up front (signing), a function
 * asked once the Signature has been read (verifying: the DigestMethod decides), or null for no digest.
 */
export function runEnvelopePass(bytes: Buffer, digestAlgorithm: DigestChoice): EnvelopePassResult {
  const pass = new EnvelopePass(digestAlgorithm);
  scanXml(bytes, pass);
  return pass.finish();
}
