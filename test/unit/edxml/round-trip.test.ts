// parse(build(x)) equals x for every field (issue 4, item 3), over generated packages: Vietnamese text
// with every diacritic, XML-special characters, empty optional parts, many recipients, ZIP and raw
// attachments; and the nine status codes.
import fc from 'fast-check';
import { expect } from 'chai';
import { statusCodes } from '../../../src/domain/edxml-codes.ts';
import type { OrganId } from '../../../src/domain/organ-id.ts';
import type { DateOnly } from '../../../src/edxml/edxml-dates.ts';
import type { OutgoingDocumentPackage, Organization, StatusMessage } from '../../../src/edxml/model.ts';
import { buildDocumentPackage, buildStatusMessage } from '../../../src/edxml/package-builder.ts';
import { parseEdxml } from '../../../src/edxml/parse-package.ts';
import { samplePackage } from './sample-package.ts';

const VIETNAMESE = 'aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ';
const CHARS = [...VIETNAMESE, ...VIETNAMESE.toUpperCase(), ...'bcghklmnpqrstvx0123456789 ,.;:/-()<>&"\'\n'];
const text = fc
  .array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 40 })
  .map((cs) => cs.join('').trim())
  .filter((s) => s.length > 0);
const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
const organId = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.constantFrom('G', 'H', 'A'), fc.integer({ min: 1, max: 99 })).map(([l, k, j, m, x]) => `${String(l).padStart(3, '0')}.${String(k).padStart(2, '0')}.${String(j).padStart(2, '0')}.${m}${String(x).padStart(2, '0')}` as OrganId),
  fc.constantFrom('28.22.H17', '14.00.W00', 'H53.35.01') as fc.Arbitrary<OrganId>,
);
const day = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10) as DateOnly);
const instant = fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }).map((s) => new Date(s * 1000));
const int = fc.integer({ min: 0, max: 10_000 });

const organization: fc.Arbitrary<Organization> = fc.record({
  organId,
  organizationInCharge: opt(text),
  organName: opt(text),
  organAdd: opt(text),
  email: opt(text),
  telephone: opt(text),
  fax: opt(text),
  website: opt(text),
});
const staffInfo = fc.record({ department: opt(text), staff: opt(text), mobile: opt(text), email: opt(text) });
const responseFor = fc.record({ organId, code: opt(text), promulgationDate: opt(day), documentId: text });

const attachment = fc.record({
  contentId: fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
  name: text.map((s) => s.replace(/[/\\\n]/g, '_')).filter((s) => s !== '.' && s !== '..' && !/^[A-Za-z]:/.test(s)), // the builder refuses the rest
  description: opt(text),
  contentType: opt(fc.constantFrom('application/pdf', 'application/zip', 'application/msword')),
  // Raw content that happens to start with the ZIP magic would be read as a ZIP: the sniffing rule.
  content: fc.uint8Array({ maxLength: 3000 }).filter((b) => !(b[0] === 0x50 && b[1] === 0x4b && b[2] === 3 && b[3] === 4)),
  transferEncoding: fc.constantFrom('zip' as const, 'raw' as const),
});

const documentPackage: fc.Arbitrary<OutgoingDocumentPackage> = fc.record({
  header: fc.record({
    from: organization,
    to: fc.array(organization, { minLength: 1, maxLength: 30 }),
    documentId: text,
    code: fc.record({ codeNumber: text, codeNotation: text }),
    promulgationInfo: fc.record({ place: opt(text), promulgationDate: day }),
    documentType: fc.record({ type: int, typeDetail: opt(int), typeName: opt(text) }),
    subject: text,
    content: opt(text),
    signerInfo: opt(fc.record({ competence: opt(text), position: opt(text), fullName: opt(text) })),
    dueDate: opt(day),
    toPlaces: fc.array(text, { maxLength: 5 }),
    otherInfo: opt(
      fc.record({
        priority: opt(fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const, 4 as const)),
        sphereOfPromulgation: opt(text),
        typerNotation: opt(text),
        promulgationAmount: opt(int),
        pageAmount: opt(int),
        direction: opt(fc.boolean()),
        appendixes: fc.array(text, { maxLength: 3 }),
      }),
    ),
    responseFor: fc.array(responseFor, { maxLength: 3 }),
    steeringType: opt(int),
  }),
  traceHeaders: fc.array(fc.record({ organId, timestamp: instant }), { maxLength: 3 }),
  business: opt(
    fc.record({
      documentId: opt(text),
      businessDocType: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
      businessDocReason: opt(text),
      paper: opt(fc.boolean()),
      businessDocumentInfo: opt(fc.record({ documentInfo: opt(fc.boolean()), documentReceiver: opt(fc.boolean()), receivers: fc.array(fc.record({ organId, receiverType: fc.constantFrom(0 as const, 1 as const) }), { maxLength: 4 }) })),
      staffInfo: opt(staffInfo),
      replacementInfoList: fc.array(fc.record({ documentId: text, organIds: fc.array(organId, { maxLength: 3 }) }), { maxLength: 2 }),
    }),
  ),
  attachments: fc.uniqueArray(attachment, { maxLength: 3, selector: (a) => a.contentId }),
});

/** Drops undefined members and turns dates into ISO strings, so that absent and undefined compare equal. */
const plain = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

describe('edXML round trip', () => {
  it('parse(build(x)) equals x for generated document packages', async () => {
    await fc.assert(
      fc.asyncProperty(documentPackage, async (x) => {
        const parsed = await parseEdxml(buildDocumentPackage(x));
        expect(parsed.kind).to.equal('document');
        if (parsed.kind !== 'document') return;
        expect(plain(parsed.header)).to.deep.equal(plain(x.header));
        expect(plain(parsed.traceHeaders)).to.deep.equal(plain(x.traceHeaders));
        expect(plain(parsed.business)).to.deep.equal(plain(x.business));
        expect(parsed.attachments.map((a) => ({ contentId: a.contentId, name: a.name, description: a.description, contentType: a.contentType, transferEncoding: a.transferEncoding, content: Buffer.from(a.content ?? []).toString('hex') }))).to.deep.equal(
          x.attachments.map((a) => ({ contentId: a.contentId, name: a.name, description: a.description, contentType: a.contentType, transferEncoding: a.transferEncoding, content: Buffer.from(a.content as Uint8Array).toString('hex') })),
        );
        for (const a of parsed.attachments) if (a.transferEncoding === 'zip') expect(a.zipEntryName).to.equal(a.name);
        expect(parsed.signature).to.equal('absent');
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips every status code with its ResponseFor', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ from: organization, responseFor, staffInfo: opt(staffInfo), statusCode: fc.constantFrom(...statusCodes), description: opt(text), timestamp: instant, traceHeaders: fc.array(fc.record({ organId, timestamp: instant }), { maxLength: 2 }) }), async (s: StatusMessage) => {
        const parsed = await parseEdxml(buildStatusMessage(s));
        expect(parsed.kind).to.equal('status');
        if (parsed.kind === 'status') expect(plain(parsed.status)).to.deep.equal(plain(s));
      }),
      { numRuns: 100 },
    );
  });

  it('keeps five hundred recipients in order', async () => {
    const to = Array.from({ length: 500 }, (_, i) => ({ organId: `000.00.${String(i % 100).padStart(2, '0')}.H${String(10 + (i % 89)).padStart(2, '0')}` as OrganId, organName: `UBND xã số ${i}` }));
    const parsed = await parseEdxml(buildDocumentPackage(samplePackage({ header: { ...samplePackage().header, to } })));
    if (parsed.kind !== 'document') throw new Error('not a document');
    expect(parsed.header.to.map((t) => t.organName)).to.deep.equal(to.map((t) => t.organName));
  });

  it('writes the vendor shape: edXML-prefixed envelope, unprefixed AttachmentEncoded beside it, cid: ContentIds', () => {
    const xml = buildDocumentPackage(samplePackage()).toString('utf8');
    expect(xml).to.match(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<edXML xmlns="http:\/\/www.mic.gov.vn\/TBT\/QCVN_102_2016">\n {2}<edXML:edXMLEnvelope xmlns:edXML="http:\/\/www.mic.gov.vn\/TBT\/QCVN_102_2016">/);
    expect(xml).to.include('<edXML:Bussiness>');
    expect(xml).to.include('<edXML:edXMLManifest version="1.0">');
    expect(xml).to.include('<edXML:ContentId>cid:a1</edXML:ContentId>');
    expect(xml).to.match(/<\/edXML:edXMLEnvelope>\n {2}<AttachmentEncoded>\n {4}<Attachment>\n {6}<ContentId>cid:a1<\/ContentId>/);
    expect(xml).to.match(/<edXML:ContentTransferEncoded xmlns:edXML="http:\/\/www.mic.gov.vn\/TBT\/QCVN_102_2016">UEsDB[A-Za-z0-9+/=]+<\/edXML:ContentTransferEncoded>/);
    expect(xml).to.include('<edXML:PromulgationDate>2026/11/20</edXML:PromulgationDate>');
    expect(xml).to.include('<edXML:Timestamp>2026/11/20 09:15:00</edXML:Timestamp>');
  });
});

// Regression (fast-check seed 2020418901): text that looks like an entity reference ("&a;") was written
// unescaped by the serialiser and the package then failed to parse as an undefined entity.
describe('edXML text that looks like markup', () => {
  for (const value of ['&a;', '&amp;', 'A & B', '&#65;', '&lt;tag&gt;', 'x <y> "z" \'w\'']) {
    it(`round-trips ${JSON.stringify(value)}`, async () => {
      const pkg = samplePackage();
      const input = { ...pkg, header: { ...pkg.header, subject: value, from: { ...pkg.header.from, fax: value } } };
      const parsed = await parseEdxml(await buildDocumentPackage(input));
      expect(parsed.kind).to.equal('document');
      if (parsed.kind !== 'document') return;
      expect(parsed.header.subject).to.equal(value);
      expect(parsed.header.from.fax).to.equal(value);
    });
  }
});

// Regression (found by the round-trip property): an attachment named "a:" was built into a ZIP that every
// receiver refuses (a Windows drive prefix is an unsafe entry name). The builder now refuses it first.
describe('attachment names the receiver would refuse', () => {
  for (const name of ['a:', 'C:thư.pdf', '../x.pdf', 'dir/x.pdf', '..']) {
    it(`refuses to build ${JSON.stringify(name)}`, () => {
      const pkg = samplePackage();
      const attachments = [{ ...(pkg.attachments[0] as OutgoingDocumentPackage['attachments'][number]), name }];
      expect(() => buildDocumentPackage({ ...pkg, attachments })).to.throw().with.property('code', 'edxml.invalid_field');
    });
  }
});
