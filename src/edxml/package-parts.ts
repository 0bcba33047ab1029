// The outbox's form of a document package (PackageParts, domain/outbox.ts): taken from the package as it is
// signed, and made into the package's bytes again when the relay claims the entry. The same bytes: the
// splice is the signer's (each marker of the signed skeleton replaced by its attachment's base64), and the
// transfer encoding is the builder's own (`transferOf`); the caller checks the package digest all the same.
import type { PackagePartFile, PackageParts } from '../domain/outbox.ts';
import type { OutgoingDocumentPackage } from './model.ts';
import { transferOf, zipModifiedAt } from './package-builder.ts';
import { base64Strings, type PackageSkeleton } from './xml-writer.ts';

/**
 * The parts of `pkg`, built as `unsigned` (`buildDocumentPackageSkeleton`) and signed as `signedSkeleton`;
 * `files`: each attachment's SHA-256 in the blob store, in the order of `pkg.attachments`. Null when an
 * attachment has no file there (then the package is kept whole).
 */
export function packageParts(pkg: OutgoingDocumentPackage, unsigned: PackageSkeleton, signedSkeleton: Uint8Array, files: ReadonlyArray<string | undefined>): PackageParts | null {
  const modifiedAt = zipModifiedAt(pkg).toISOString();
  const attachments: PackagePartFile[] = [];
  for (const [i, a] of pkg.attachments.entries()) {
    const sha256 = files[i];
    const marker = unsigned.attachments[i]?.marker;
    if (!sha256 || !marker) return null;
    attachments.push({ marker, sha256, name: a.name, transferEncoding: a.transferEncoding ?? 'zip', modifiedAt });
  }
  return { skeleton: signedSkeleton, attachments };
}

/** The package's bytes from its parts; `read` gives a file's bytes by its SHA-256. */
export async function assemblePackage(parts: PackageParts, read: (sha256: string) => Promise<Uint8Array>): Promise<Buffer> {
  const skeleton = Buffer.from(parts.skeleton.buffer, parts.skeleton.byteOffset, parts.skeleton.byteLength);
  const out: Buffer[] = [];
  let from = 0;
  for (const file of parts.attachments) {
    const at = skeleton.indexOf(file.marker, from, 'latin1');
    if (at < 0) throw new Error(`the package's skeleton lacks the marker of ${file.name} (or has it out of order)`);
    out.push(skeleton.subarray(from, at));
    const transfer = transferOf(file.name, await read(file.sha256), file.transferEncoding, new Date(file.modifiedAt));
    for (const text of base64Strings(transfer)) out.push(Buffer.from(text, 'latin1'));
    from = at + file.marker.length;
  }
  out.push(skeleton.subarray(from));
  return Buffer.concat(out);
}
