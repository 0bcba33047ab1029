// Hostile or broken packages, one row each with the expected catalogue code (STYLE.md habit 10). Large
// inputs are generated at run time and streamed, never committed; each row must stop early.
import { zipSync } from 'fflate';
import { expect } from 'chai';
import { isDomainError, type ErrorCode } from '../../../src/domain/errors.ts';
import { buildDocumentPackage, buildStatusMessage } from '../../../src/edxml/package-builder.ts';
import { parseEdxml, type EdxmlInput } from '../../../src/edxml/parse-package.ts';
import type { AttachmentSink } from '../../../src/edxml/attachment-decoder.ts';
import { singleFileZip } from '../../../src/edxml/single-file-zip.ts';
import type { DateOnly } from '../../../src/edxml/edxml-dates.ts';
import type { OrganId } from '../../../src/domain/organ-id.ts';
import { samplePackage } from './sample-package.ts';

const QCVN = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
const valid = (): string => buildDocumentPackage(samplePackage()).toString('utf8');
const withAttachment = (base64: string): string => valid().replace(/(<edXML:ContentTransferEncoded[^>]*>)[^<]*/, (_m, open: string) => `${open}${base64}`);
const zipB64 = (files: Record<string, Uint8Array>): string => Buffer.from(zipSync(files)).toString('base64');

/** A package whose one attachment is `size` bytes of base64, streamed in 1 MiB pieces; counts what was pulled. */
function streamedAttachment(size: number): { input: AsyncIterable<Uint8Array>; pulled: () => number } {
  const [head, tail] = withAttachment('@@').split('@@') as [string, string];
  let pulled = 0;
  const piece = Buffer.alloc(1024 * 1024, 'A');
  async function* generate(): AsyncIterable<Uint8Array> {
    yield Buffer.from(head);
    for (let sent = 0; sent < size; sent += piece.length) {
      pulled += piece.length;
      yield piece;
    }
    yield Buffer.from(tail);
  }
  return { input: generate(), pulled: () => pulled };
}

let bombCache: Buffer | undefined;
/** 60 MB of zeros compressed once (about 60 KB), sizes declared in the local header. */
const zipBomb = (): Buffer => Buffer.from((bombCache ??= singleFileZip('bomb.pdf', new Uint8Array(60 * 1024 * 1024), new Date(), 9)));

const remove = (xml: string, element: string): string => xml.replace(new RegExp(`<edXML:${element}>[\\s\\S]*?</edXML:${element}>`), '');

interface Row {
  readonly name: string;
  readonly input: () => EdxmlInput;
  readonly code: ErrorCode;
  readonly field?: string;
}

const rows: Row[] = [
  { name: 'XXE with a file entity', code: 'edxml.dtd_forbidden', input: () => `<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><edXML xmlns="${QCVN}">&xxe;</edXML>` },
  {
    name: 'billion laughs',
    code: 'edxml.dtd_forbidden',
    input: () => `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><edXML xmlns="${QCVN}">&lol9;</edXML>`,
  },
  { name: 'a DOCTYPE without entities', code: 'edxml.dtd_forbidden', input: () => valid().replace('<edXML ', '<!DOCTYPE edXML SYSTEM "http://attacker.example/x.dtd"><edXML ') },
  { name: '10,000-deep nesting', code: 'edxml.too_large', input: () => `<edXML xmlns="${QCVN}">${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</edXML>` },
  { name: 'too many elements', code: 'edxml.too_large', input: () => `<edXML xmlns="${QCVN}">${'<a/>'.repeat(50_001)}</edXML>` },
  { name: 'an attribute too long', code: 'edxml.too_large', input: () => valid().replace('version="1.0">', `version="${'x'.repeat(5000)}">`) },
  { name: '21 attachments', code: 'edxml.too_large', input: () => valid().replace(/<AttachmentEncoded>/, `<AttachmentEncoded>${'<Attachment><ContentId>x</ContentId><edXML:ContentTransferEncoded>QQ==</edXML:ContentTransferEncoded></Attachment>'.repeat(21)}`) },
  { name: 'undefined entity reference', code: 'edxml.malformed', input: () => valid().replace('Công văn', '&foo;') },
  { name: 'truncated package', code: 'edxml.malformed', input: () => valid().slice(0, 900) },
  { name: 'mismatched end tag', code: 'edxml.malformed', input: () => valid().replace('</edXML:Subject>', '</edXML:Content>') },
  { name: 'UTF-16 byte order mark', code: 'edxml.malformed', input: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid(), 'utf16le')]) },
  { name: 'a declared encoding other than UTF-8', code: 'edxml.malformed', input: () => valid().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"') },
  { name: 'wrong namespace', code: 'edxml.wrong_namespace', input: () => valid().replaceAll(QCVN, 'http://example.org/not-qcvn') },
  { name: 'root not edXML', code: 'edxml.wrong_namespace', input: () => `<?xml version="1.0"?><Envelope xmlns="${QCVN}"/>` },
  { name: 'invalid base64', code: 'edxml.attachment_invalid', input: () => withAttachment('JVBERi0x$$$$') },
  { name: 'base64 with bad padding', code: 'edxml.attachment_invalid', input: () => withAttachment('QQ=A') },
  { name: 'a ZIP with two files', code: 'edxml.attachment_invalid', input: () => withAttachment(zipB64({ 'a.pdf': Buffer.from('one'), 'b.pdf': Buffer.from('two') })) },
  { name: 'a ZIP slip path', code: 'edxml.attachment_invalid', input: () => withAttachment(zipB64({ '../../etc/cron.d/evil': Buffer.from('* * * * * root sh') })) },
  { name: 'a truncated ZIP', code: 'edxml.attachment_invalid', input: () => withAttachment(zipB64({ 'a.pdf': Buffer.alloc(5000, 7) }).slice(0, 60)) },
  { name: 'an attachment missing from the manifest', code: 'edxml.attachment_invalid', input: () => valid().replace('<edXML:ContentId>cid:a1</edXML:ContentId>', '<edXML:ContentId>cid:other</edXML:ContentId>') },
  { name: 'missing From', code: 'edxml.missing_field', field: 'MessageHeader/From', input: () => remove(valid(), 'From') },
  { name: 'missing To', code: 'edxml.missing_field', field: 'MessageHeader/To', input: () => remove(remove(valid(), 'To'), 'To') },
  { name: 'missing Code', code: 'edxml.missing_field', field: 'MessageHeader/Code', input: () => remove(valid(), 'Code') },
  { name: 'missing DocumentId', code: 'edxml.missing_field', field: 'MessageHeader/DocumentId', input: () => remove(valid(), 'DocumentId') },
  { name: 'missing Subject', code: 'edxml.missing_field', field: 'MessageHeader/Subject', input: () => remove(valid(), 'Subject') },
  { name: 'invalid PromulgationDate (30 February)', code: 'edxml.invalid_field', field: 'MessageHeader/PromulgationInfo/PromulgationDate', input: () => valid().replace('2026/11/20</edXML:PromulgationDate>', '2026/02/30</edXML:PromulgationDate>') },
  { name: 'PromulgationDate not a date', code: 'edxml.invalid_field', field: 'MessageHeader/PromulgationInfo/PromulgationDate', input: () => valid().replace('2026/11/20</edXML:PromulgationDate>', '20/11/2026</edXML:PromulgationDate>') },
  { name: 'invalid TraceHeader Timestamp', code: 'edxml.invalid_field', field: 'TraceHeaderList/TraceHeader[1]/Timestamp', input: () => valid().replace(/<edXML:Timestamp>[^<]*</, '<edXML:Timestamp>2026/11/20 25:61:00<') },
  { name: 'bad organ id', code: 'edxml.invalid_field', field: 'MessageHeader/From/OrganId', input: () => valid().replace('<edXML:OrganId>000.00.13.H53</edXML:OrganId>', '<edXML:OrganId>not an organ id</edXML:OrganId>') },
  { name: 'BussinessDocType out of range', code: 'edxml.invalid_field', field: 'TraceHeaderList/Bussiness/BussinessDocType', input: () => valid().replace('<edXML:BussinessDocType>0<', '<edXML:BussinessDocType>7<') },
  { name: 'priority out of range', code: 'edxml.invalid_field', field: 'MessageHeader/OtherInfo/Priority', input: () => valid().replace('<edXML:Priority>1<', '<edXML:Priority>9<') },
  {
    name: 'status code not one of the nine',
    code: 'edxml.invalid_field',
    field: 'MessageHeader/StatusCode',
    input: () =>
      buildStatusMessage({ from: { organId: '000.00.00.H41' as OrganId }, responseFor: { organId: '000.00.00.G22' as OrganId, documentId: 'x', promulgationDate: '2026-01-02' as DateOnly }, statusCode: '01', timestamp: new Date(), traceHeaders: [] })
        .toString()
        .replace('>01<', '>07<'),
  },
];

async function rejection(input: EdxmlInput, limits?: Parameters<typeof parseEdxml>[1]): Promise<unknown> {
  try {
    await parseEdxml(input, limits);
  } catch (e) {
    return e;
  }
  throw new Error('the package was accepted');
}

describe('edXML hostile and broken inputs', () => {
  for (const row of rows) {
    it(`${row.name} → ${row.code}`, async () => {
      const e = await rejection(row.input());
      expect(isDomainError(e), String(e)).to.equal(true);
      if (!isDomainError(e)) return;
      expect(e.code).to.equal(row.code);
      if (row.field) expect(e.details.map((d) => d.field)).to.include(row.field);
    });
  }

  it('a 200 MB base64 attachment → edxml.too_large after reading little more than the limit', async () => {
    const { input, pulled } = streamedAttachment(200 * 1024 * 1024);
    const e = await rejection(input);
    expect(isDomainError(e, 'edxml.too_large')).to.equal(true);
    // 50 MiB of file is ~67 MiB of base64: the parser stopped there, not at 200 MB.
    expect(pulled()).to.be.below(72 * 1024 * 1024);
  });

  it('a zip bomb (60 MB of zeros in a few KB, sizes declared) → edxml.too_large before inflating', async () => {
    const bomb = zipBomb();
    expect(bomb.length).to.be.below(200_000);
    const e = await rejection(withAttachment(Buffer.from(bomb).toString('base64')));
    expect(isDomainError(e, 'edxml.too_large')).to.equal(true);
    expect((e as { details: { message: string }[] }).details[0]?.message).to.match(/declared/);
  });

  it('a zip bomb lying about its size → edxml.too_large while inflating, and the sink is aborted', async () => {
    const bomb = zipBomb();
    bomb.writeUInt32LE(1000, 22); // local header: uncompressed size
    let written = 0;
    let aborted = false;
    const sink: AttachmentSink = { open: () => ({ write: (c) => void (written += c.length), close: () => undefined, abort: () => void (aborted = true) }) };
    const e = await rejection(withAttachment(bomb.toString('base64')), { sink });
    expect(isDomainError(e, 'edxml.too_large')).to.equal(true);
    expect(written).to.be.at.most(50 * 1024 * 1024);
    expect(aborted).to.equal(true);
  });

  it('limits are configurable', async () => {
    const e = await rejection(withAttachment(Buffer.alloc(3000, 1).toString('base64')), { limits: { maxAttachmentBytes: 1000 } });
    expect(isDomainError(e, 'edxml.too_large')).to.equal(true);
  });

  it('leaves the process healthy: a valid package still parses after the rejections', async () => {
    const p = await parseEdxml(valid());
    expect(p.kind).to.equal('document');
    if (p.kind === 'document') expect(p.attachments[0]?.size).to.equal(24);
  });
});
