// XmlElement (src/edxml/xml-fragment.ts) prints what xmlbuilder2 printed for the same tree, byte for byte:
// the packages this node sends did not change when the DOM builder was replaced (7 Dec). xmlbuilder2 is
// kept as a dev dependency for this comparison only.
import { expect } from 'chai';
import fc from 'fast-check';
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { XmlElement } from '../../../src/edxml/xml-fragment.ts';

const NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';

interface Tree { readonly name: string; readonly attributes: ReadonlyArray<readonly [string, string]>; readonly content: string | readonly Tree[] | undefined }

const CHARS = [...'aàáảãạăđêôơưỹ AZ09-_.,;:/()<>&"\'\n\t', '\r\n', '&amp;', '&#x41;', ']]>'];
const text = fc.array(fc.constantFrom(...CHARS), { maxLength: 12 }).map((cs) => cs.join(''));
const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/);
const attributes = fc.uniqueArray(fc.tuple(name, text), { maxLength: 2, selector: ([n]) => n });
const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.record({
    name,
    attributes,
    content: fc.oneof({ depthSize: 'small' }, fc.constant(undefined), text, fc.array(tie('tree'), { minLength: 1, maxLength: 4 })),
  }),
})).tree;

/** Every `&` escaped, as src/edxml/xml-writer.ts did before calling xmlbuilder2 (which leaves an `&` that looks like a reference as it is). */
const ampersands = (value: string): string => value.replace(/&/g, '&amp;');

/** The same tree through xmlbuilder2, as the writer called it (it used only constant attribute values). */
function viaXmlbuilder2(parent: XMLBuilder, t: Tree, prefix: string): void {
  const e = prefix ? parent.ele(NS, `${prefix}:${t.name}`) : parent.ele(t.name);
  for (const [n, v] of t.attributes) e.att(n, ampersands(v));
  if (typeof t.content === 'string') e.txt(ampersands(t.content));
  else for (const child of t.content ?? []) viaXmlbuilder2(e, child, prefix);
}

function viaXmlElement(parent: XmlElement, t: Tree, prefix: string): void {
  const e = parent.ele(prefix ? `${prefix}:${t.name}` : t.name);
  fill(e, t, prefix);
}

function fill(e: XmlElement, t: Tree, prefix: string): void {
  for (const [n, v] of t.attributes) e.att(n, v);
  if (typeof t.content === 'string') e.txt(t.content);
  else for (const child of t.content ?? []) viaXmlElement(e, child, prefix);
}

describe('XmlElement (the edXML envelope writer)', () => {
  it('prints a namespaced fragment as xmlbuilder2 did, for any tree (text with &, <, >, quotes, line ends, entity-like text)', () => {
    fc.assert(fc.property(tree, fc.constantFrom('edXML', ''), (t, prefix) => {
      const reference = prefix ? create().ele(NS, `${prefix}:${t.name}`) : create().ele(t.name);
      for (const [n, v] of t.attributes) reference.att(n, ampersands(v));
      if (typeof t.content === 'string') reference.txt(ampersands(t.content));
      else for (const child of t.content ?? []) viaXmlbuilder2(reference, child, prefix);
      const mine = new XmlElement(prefix ? `${prefix}:${t.name}` : t.name, prefix ? { prefix, uri: NS } : undefined);
      fill(mine, t, prefix);
      expect(mine.toXml(1)).to.equal(reference.end({ headless: true, prettyPrint: true, indent: '  ', offset: 1 }));
    }), { numRuns: 300 });
  });

  it('lays out and escapes as the vendor packages do', () => {
    const root = new XmlElement('edXML:edXMLEnvelope', { prefix: 'edXML', uri: NS });
    const header = root.ele('edXML:edXMLHeader');
    header.ele('edXML:Subject').txt('V/v A & B <2026> "x"');
    header.ele('edXML:Empty');
    header.ele('edXML:EmptyText').txt('');
    root.ele('edXML:edXMLBody').ele('edXML:edXMLManifest').att('version', '1.0 & "<2>"');
    expect(root.toXml(1)).to.equal([
      `  <edXML:edXMLEnvelope xmlns:edXML="${NS}">`,
      '    <edXML:edXMLHeader>',
      '      <edXML:Subject>V/v A &amp; B &lt;2026&gt; "x"</edXML:Subject>',
      '      <edXML:Empty/>',
      '      <edXML:EmptyText/>',
      '    </edXML:edXMLHeader>',
      '    <edXML:edXMLBody>',
      '      <edXML:edXMLManifest version="1.0 &amp; &quot;&lt;2&gt;&quot;"/>',
      '    </edXML:edXMLBody>',
      '  </edXML:edXMLEnvelope>',
    ].join('\n'));
  });

  it('refuses mixed content (text beside child elements)', () => {
    expect(() => new XmlElement('a').txt('x').ele('b')).to.throw(/no mixed content/);
    const withChild = new XmlElement('a');
    withChild.ele('b');
    expect(() => withChild.txt('x')).to.throw(/no mixed content/);
  });
});
