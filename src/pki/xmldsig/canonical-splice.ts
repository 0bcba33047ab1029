// What signing a package skeleton (sender) and verifying a split package (receiver) share: the canonical
// form of a small skeleton kept whole, and where each marker stands in it (or in the skeleton itself).
import { runEnvelopePass, type EnvelopePassResult } from './envelope-pass.ts';

/** The envelope pass over a (small) document, with its canonical form — the document without the Signature — kept whole. */
export function canonicalForm(document: Buffer): { pass: EnvelopePassResult; canonical: Buffer } {
  const chunks: Buffer[] = [];
  const pass = runEnvelopePass(document, {
    update: (chunk) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk)),
    digest: () => Buffer.alloc(0),
  });
  return { pass, canonical: Buffer.concat(chunks) };
}

/** Where each marker stands in `text`, in the order given; null unless each stands there exactly once, in that order. */
export function markerPositions(text: Buffer, markers: readonly string[]): number[] | null {
  const positions: number[] = [];
  let from = 0;
  for (const marker of markers) {
    const at = text.indexOf(marker, 0, 'latin1');
    if (at < from || text.indexOf(marker, at + 1, 'latin1') >= 0) return null;
    positions.push(at);
    from = at + marker.length;
  }
  return positions;
}
