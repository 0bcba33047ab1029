// Which signature form a file holds (issue 3 item 7): a PDF (%PDF-), an XML document (edXML envelope),
// or a CMS SignedData in DER or PEM (detached: the content comes separately).
export type DetectedForm = { readonly form: 'pdf' } | { readonly form: 'xml' } | { readonly form: 'cms'; readonly der: Buffer } | { readonly form: 'unknown' };

export function detectForm(bytes: Buffer): DetectedForm {
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return { form: 'pdf' };
  const head = bytes.subarray(0, 256).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
  const pem = /-----BEGIN (PKCS7|CMS|PKCS #7 SIGNED DATA)-----([\s\S]*?)-----END \1-----/.exec(head.startsWith('-----BEGIN') ? bytes.toString('latin1') : '');
  if (pem) return { form: 'cms', der: Buffer.from((pem[2] ?? '').replace(/\s+/g, ''), 'base64') };
  if (head.startsWith('<')) return { form: 'xml' };
  if (bytes[0] === 0x30 && bytes.length > 16) return { form: 'cms', der: bytes };
  return { form: 'unknown' };
}
