// The outbox's form of a document package (PackageParts, domain/outbox.ts), taken from the package as it is
// signed. Made into the package's bytes again by `joinSignedParts` (pki/xmldsig/envelope-signer.ts: the
// signer's own splice, over the builder's own transfer encoding, `transferOf`).
import type { PackagePartFile, PackageParts } from '../domain/outbox.ts';
import type { OutgoingDocumentPackage } from './model.ts';
import { zipModifiedAt } from './package-builder.ts';
import type { PackageSkeleton } from './xml-writer.ts';

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
