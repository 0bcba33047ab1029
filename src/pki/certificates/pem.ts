// PEM (RFC 7468) ↔ DER. Files may hold PEM blocks or one DER object.

const block = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export function pemBlocks(text: string, label?: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(block)) {
    if (label !== undefined && m[1] !== label) continue;
    out.push(new Uint8Array(Buffer.from((m[2] ?? '').replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Certificates (or CRLs) from a file's bytes: every PEM block with the label, else the bytes as one DER object. */
export function derObjects(bytes: Uint8Array, label: 'CERTIFICATE' | 'X509 CRL'): Uint8Array[] {
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN ')) return pemBlocks(text, label);
  return bytes.length > 0 ? [bytes] : [];
}
