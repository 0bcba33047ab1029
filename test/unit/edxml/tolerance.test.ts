// The parser is namespace-aware but tolerant exactly where real packages differ (fixtures/edxml-vendor
// README): prefixed or not, `cid:` or not, ZIP or raw, Signature with or without the XML-DSig namespace,
// unknown elements ignored, order free, any chunking of the input stream.
import { expect } from 'chai';
import { buildDocumentPackage } from '../../../src/edxml/package-builder.ts';
import { parseEdxml } from '../../../src/edxml/parse-package.ts';
import type { ParsedDocumentPackage } from '../../../src/edxml/model.ts';
import { samplePackage } from './sample-package.ts';

const QCVN = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const built = (): string => buildDocumentPackage(samplePackage()).toString('utf8');
const parseDoc = async (input: string | Uint8Array | AsyncIterable<Uint8Array>): Promise<ParsedDocumentPackage> => {
  const p = await parseEdxml(input);
  if (p.kind !== 'document') throw new Error('not a document');
  return p;
};
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('edXML tolerance', () => {
  let reference: ParsedDocumentPackage;
  before(async () => {
    reference = await parseDoc(built());
  });

  it('reads an envelope written without the edXML: prefix (default namespace) as the same model', async () => {
    const unprefixed = built()
      .replace(/<(\/?)edXML:/g, '<$1')
      .replace(/ xmlns:edXML="[^"]*"/g, '');
    expect(unprefixed).not.to.include('edXML:');
    const p = await parseDoc(unprefixed);
    expect(plain(p.header)).to.deep.equal(plain(reference.header));
    expect(p.attachments[0]?.sha256).to.equal(reference.attachments[0]?.sha256);
    expect(p.warnings).to.deep.equal([]);
  });

  it('reads another prefix bound to the QCVN namespace', async () => {
    const other = built().replace(/<(\/?)edXML:/g, '<$1q:').replace(/xmlns:edXML=/g, 'xmlns:q=');
    expect(plain((await parseDoc(other)).header)).to.deep.equal(plain(reference.header));
  });

  it('ignores unknown elements and does not depend on the order of children', async () => {
    const shuffled = built()
      .replace(/(<edXML:Subject>[^<]*<\/edXML:Subject>)([\s\S]*?)(<edXML:From>[\s\S]*?<\/edXML:From>)/, '$3$2$1')
      .replace('<edXML:MessageHeader>', `<edXML:MessageHeader><edXML:VendorExtra>x</edXML:VendorExtra><other:Note xmlns:other="urn:other">n</other:Note>`)
      .replace('<edXML:DocumentId>', '<edXML:Unknown><edXML:Deep/></edXML:Unknown><edXML:DocumentId>');
    const p = await parseDoc(shuffled);
    expect(plain(p.header)).to.deep.equal(plain(reference.header));
  });

  it('does not take an element of another namespace for an edXML one', async () => {
    const foreign = built().replace(/<edXML:Subject>[^<]*<\/edXML:Subject>/, '<x:Subject xmlns:x="urn:other">Không phải trích yếu</x:Subject>');
    try {
      await parseEdxml(foreign);
      expect.fail('accepted a Subject outside the QCVN namespace');
    } catch (e) {
      expect((e as { code?: string }).code).to.equal('edxml.missing_field');
    }
  });

  it('accepts ContentId with cid: in one place and without it in the other, with a warning', async () => {
    const mixed = built().replace('<ContentId>cid:a1</ContentId>', '<ContentId>a1</ContentId>');
    const p = await parseDoc(mixed);
    expect(p.attachments[0]?.contentId).to.equal('a1');
    expect(p.warnings.map((w) => w.code)).to.deep.equal(['content_id_form']);
  });

  it('reports where the envelope signature is and whether it is in the XML-DSig namespace', async () => {
    const sig = (ns: string): string => built().replace('</edXML:edXMLHeader>', `<Signature${ns}><SignedInfo/></Signature></edXML:edXMLHeader>`);
    expect((await parseDoc(sig(` xmlns="${DSIG}"`))).signature).to.equal('xmldsig');
    const legacy = await parseDoc(sig(''));
    expect(legacy.signature).to.equal('outside-xmldsig-namespace');
    expect(legacy.warnings.map((w) => w.code)).to.deep.equal(['signature_namespace']);
    const atRoot = built().replace('</edXML>', `<ds:Signature xmlns:ds="${DSIG}"/></edXML>`);
    expect((await parseDoc(atRoot)).signature).to.equal('xmldsig');
  });

  it('reads base64 wrapped in lines (CRLF) and given in a CDATA section', async () => {
    const b64 = /<edXML:ContentTransferEncoded[^>]*>([^<]*)</.exec(built())?.[1] ?? '';
    const wrapped = built().replace(b64, `\r\n${(b64.match(/.{1,76}/g) ?? []).join('\r\n')}\r\n`);
    expect((await parseDoc(wrapped)).attachments[0]?.sha256).to.equal(reference.attachments[0]?.sha256);
    const cdata = built().replace(b64, `<![CDATA[${b64}]]>`);
    expect((await parseDoc(cdata)).attachments[0]?.sha256).to.equal(reference.attachments[0]?.sha256);
  });

  it('gives the same result whatever the chunking of the input stream (7-byte chunks)', async () => {
    const bytes = Buffer.from(built());
    async function* sevenBytes(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    }
    const p = await parseDoc(sevenBytes());
    expect(plain({ ...p, attachments: p.attachments.map((a) => ({ ...a, content: undefined })) })).to.deep.equal(plain({ ...reference, attachments: reference.attachments.map((a) => ({ ...a, content: undefined })) }));
  });

  it('finds the end of comments, processing instructions and CDATA across any chunk boundary', async () => {
    const tricky = built()
      .replace('<edXML:MessageHeader>', '<edXML:MessageHeader><!-- a > b - > c --><?vendor x > y ?>')
      .replace(/<edXML:Subject>[^<]*</, '<edXML:Subject><![CDATA[Trích yếu ]> có <thẻ> & ]] ký tự]]><');
    const whole = await parseDoc(tricky);
    expect(whole.header.subject).to.equal('Trích yếu ]> có <thẻ> & ]] ký tự');
    const bytes = Buffer.from(tricky);
    for (const size of [1, 2, 3, 5, 8, 13]) {
      async function* pieces(): AsyncIterable<Uint8Array> {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }
      const p = await parseDoc(pieces());
      expect(plain(p.header), `chunks of ${size}`).to.deep.equal(plain(whole.header));
    }
  });

  it('accepts dates in ISO form with a warning, and a UTF-8 byte order mark', async () => {
    const iso = built().replace('<edXML:DueDate>2026/12/01</edXML:DueDate>', '<edXML:DueDate>2026-12-01</edXML:DueDate>');
    const p = await parseDoc(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(iso)]));
    expect(p.header.dueDate).to.equal('2026-12-01');
    expect(p.warnings.map((w) => w.code)).to.deep.equal(['date_form']);
  });

  it('hands attachments to a caller-provided sink instead of keeping them', async () => {
    const opened: unknown[] = [];
    const received: Buffer[] = [];
    const p = await parseEdxml(built(), {
      sink: {
        open: (a) => {
          opened.push(a);
          return { write: (c) => void received.push(Buffer.from(c)), close: async () => undefined };
        },
      },
    });
    if (p.kind !== 'document') throw new Error('not a document');
    expect(opened).to.deep.equal([{ index: 0, contentId: 'a1', name: 'cong-van-125.pdf', contentType: 'application/pdf' }]);
    expect(Buffer.concat(received).toString()).to.equal('%PDF-1.7 sample content\n');
    expect(p.attachments[0]?.content).to.equal(undefined);
    expect(p.attachments[0]?.size).to.equal(24);
  });

  it('never modifies the caller’s bytes (XML-DSig is verified over them)', async () => {
    const bytes = Buffer.from(built().replace('<edXML:Reference>', '<edXML:Reference xlink:href="">'));
    const copy = Buffer.from(bytes);
    const p = await parseDoc(bytes);
    expect(p.warnings.map((w) => w.code)).to.deep.equal(['undeclared_prefix']);
    expect(bytes.equals(copy)).to.equal(true);
  });

  it('declares QCVN for a root in the right namespace under another prefix too', async () => {
    const prefixedRoot = built().replace(`<edXML xmlns="${QCVN}">`, `<e:edXML xmlns:e="${QCVN}" xmlns="${QCVN}">`).replace(/<\/edXML>\n$/, '</e:edXML>\n');
    expect((await parseDoc(prefixedRoot)).header.subject).to.equal(reference.header.subject);
  });
});
