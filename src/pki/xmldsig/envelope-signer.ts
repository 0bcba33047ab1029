// Signs an edXML package with the agency certificate (issue 3 item 5): enveloped XML-DSig, RSA-SHA256,
// exclusive c14n, one Reference URI="" with [enveloped-signature, exc-c14n], the certificate chain in
// KeyInfo/X509Data; the Signature goes into edXMLHeader right after TraceHeaderList, where the vendor
// packages put it. It is inserted without surrounding white space, so the canonical form of the signed
// document minus the Signature is exactly that of the input: one pass computes the digest.
import { createHash } from 'node:crypto';
import type { PackageParts } from '../../domain/outbox.ts';
import { transferOf } from '../../edxml/package-builder.ts';
import { base64Slices, type PackageSkeleton } from '../../edxml/xml-writer.ts';
import type { SigningCredentials } from '../cms/signer.ts';
import { ALG } from './algorithms.ts';
import { canonicalForm, markerPositions } from './canonical-splice.ts';
import { DSIG_NS, runEnvelopePass, type EnvelopePassResult } from './envelope-pass.ts';

export class EnvelopeSigningError extends Error {}

/** The SignedInfo exactly as exclusive c14n renders it when it is the apex (so we sign these bytes). */
export function canonicalSignedInfo(digestB64: string, ecdsa: boolean): string {
  return `<SignedInfo xmlns="${DSIG_NS}"><CanonicalizationMethod Algorithm="${ALG.excC14n}"></CanonicalizationMethod>`
    + `<SignatureMethod Algorithm="${ecdsa ? ALG.ecdsaSha256 : ALG.rsaSha256}"></SignatureMethod><Reference URI=""><Transforms>`
    + `<Transform Algorithm="${ALG.enveloped}"></Transform><Transform Algorithm="${ALG.excC14n}"></Transform></Transforms>`
    + `<DigestMethod Algorithm="${ALG.sha256}"></DigestMethod><DigestValue>${digestB64}</DigestValue></Reference></SignedInfo>`;
}

/** Converts a DER ECDSA signature to the r||s form XML-DSig uses (RFC 4050 / XML Signature 1.1 §6.4.3). */
function ecdsaDerToRaw(der: Uint8Array, size = 32): Buffer {
  const b = Buffer.from(der);
  let i = 2;
  if ((b[1] as number) & 0x80) i += (b[1] as number) & 0x7f;
  const read = (): Buffer => { const len = b[i + 1] as number; const v = b.subarray(i + 2, i + 2 + len); i += 2 + len; return v; };
  const fix = (v: Buffer): Buffer => { const t = v.subarray(Math.max(0, v.length - size)); return Buffer.concat([Buffer.alloc(size - t.length), t]); };
  return Buffer.concat([fix(read()), fix(read())]);
}

/** The pass over an unsigned package, checked: where the Signature goes. */
function insertionPoint(pass: EnvelopePassResult): number {
  if (pass.dsigSignatureCount > 0 || pass.foreignSignatureCount > 0) throw new EnvelopeSigningError('the package already carries a Signature; build it unsigned');
  if (pass.shapeErrors.length > 0) throw new EnvelopeSigningError(`not an edXML package of the expected shape: ${pass.shapeErrors.join('; ')}`);
  if (pass.insertAt === undefined) throw new EnvelopeSigningError('edXMLHeader has no MessageHeader to place the Signature after');
  return pass.insertAt;
}

/** The Signature element over a document digest (SHA-256), as UTF-8 bytes. */
async function signatureElement(documentDigest: Buffer, credentials: SigningCredentials): Promise<Buffer> {
  const ecdsa = credentials.keyAlgorithm === 'ec';
  const signedInfo = canonicalSignedInfo(documentDigest.toString('base64'), ecdsa);
  let signature: Buffer = Buffer.from(await credentials.sign(Buffer.from(signedInfo, 'utf8')));
  if (ecdsa) signature = ecdsaDerToRaw(signature);
  const certificates = [credentials.certificate, ...credentials.chain].map((c) => `<X509Certificate>${Buffer.from(c).toString('base64')}</X509Certificate>`).join('');
  return Buffer.from(`<Signature xmlns="${DSIG_NS}">${signedInfo.replace(` xmlns="${DSIG_NS}"`, '')}<SignatureValue>${signature.toString('base64')}</SignatureValue>`
    + `<KeyInfo><X509Data>${certificates}</X509Data></KeyInfo></Signature>`, 'utf8');
}

/**
 * The signed package as three parts — the input up to the insertion point, the Signature element, the
 * rest of the input — so a caller writing to a file or a socket never copies a 50 MB package.
 */
export async function signEnvelopeParts(bytes: Uint8Array, credentials: SigningCredentials): Promise<[Buffer, Buffer, Buffer]> {
  const document = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pass = runEnvelopePass(document, 'sha256');
  const insertAt = insertionPoint(pass);
  return [document.subarray(0, insertAt), await signatureElement(pass.documentDigest as Buffer, credentials), document.subarray(insertAt)];
}

/** A signed package that is never whole in memory: its size, and its bytes as slices made on each call. */
export interface SignedPackageSlices {
  readonly size: number;
  slices(): Iterable<Uint8Array>;
  /** The signed package with each attachment's marker where its base64 goes (small: what the outbox keeps). */
  readonly skeleton: Buffer;
}

/**
 * Signs a package skeleton (edxml/xml-writer.ts `packageSkeleton`): the skeleton is canonicalized once
 * (small), and each attachment's base64 is hashed where its marker stands in the canonical form — base64
 * is text that exclusive c14n leaves as it is — then spliced in again where the marker stands in the
 * output. The bytes are exactly those of `signEnvelopeParts` over the joined package (RSA signatures are
 * deterministic: the test compares them), with only the skeleton and one slice in memory at a time.
 */
export async function signEnvelopeSkeleton(pkg: PackageSkeleton, credentials: SigningCredentials): Promise<SignedPackageSlices> {
  const { pass, canonical } = canonicalForm(pkg.skeleton);
  const insertAt = insertionPoint(pass);
  const hash = createHash('sha256');
  for (const slice of spliced(canonical, positionsIn(canonical, pkg, 'canonical form'), pkg)) hash.update(slice);
  const element = await signatureElement(hash.digest(), credentials);
  const rest = pkg.skeleton.subarray(insertAt);
  const positions = positionsIn(rest, pkg, 'package after the Signature'); // every marker after the Signature
  const size = pkg.skeleton.length + element.length + pkg.attachments.reduce((n, a) => n + a.size - a.marker.length, 0);
  return {
    size,
    skeleton: Buffer.concat([pkg.skeleton.subarray(0, insertAt), element, rest]),
    *slices() {
      yield pkg.skeleton.subarray(0, insertAt);
      yield element;
      yield* spliced(rest, positions, pkg);
    },
  };
}

/**
 * A signed package kept as its parts (PackageParts: the `skeleton` above and its files) made whole again:
 * each file's transfer bytes as the builder makes them (`transferOf`), their base64 spliced where the
 * markers stand, as `slices()` does. `read` gives a file's bytes by its SHA-256. Whether these are the bytes
 * that were signed is for the caller to check (the package digest).
 */
export async function joinSignedParts(parts: PackageParts, read: (sha256: string) => Promise<Uint8Array>): Promise<Buffer> {
  const skeleton = Buffer.from(parts.skeleton.buffer, parts.skeleton.byteOffset, parts.skeleton.byteLength);
  const attachments = [];
  for (const file of parts.attachments) {
    const transfer = transferOf(file.name, await read(file.sha256), file.transferEncoding, new Date(file.modifiedAt));
    attachments.push({ marker: file.marker, size: 0, base64: () => base64Slices(transfer) });
  }
  const pkg: PackageSkeleton = { skeleton, attachments };
  return Buffer.concat([...spliced(skeleton, positionsIn(skeleton, pkg, 'package kept as its parts'), pkg)]);
}

/** Where each attachment's marker stands in `text`; each must stand there exactly once, in order. */
function positionsIn(text: Buffer, pkg: PackageSkeleton, what: string): number[] {
  const positions = markerPositions(text, pkg.attachments.map((a) => a.marker));
  if (!positions) throw new EnvelopeSigningError(`an attachment's marker is not exactly once, in order, in the ${what}`);
  return positions;
}

/** `text` with each attachment's base64 in place of its marker (at `positions`), slice by slice. */
function* spliced(text: Buffer, positions: readonly number[], pkg: PackageSkeleton): Generator<Uint8Array> {
  let from = 0;
  for (const [i, a] of pkg.attachments.entries()) {
    const at = positions[i] as number;
    yield text.subarray(from, at);
    yield* a.base64();
    from = at + a.marker.length;
  }
  yield text.subarray(from);
}

export async function signEnvelope(document: Uint8Array, credentials: SigningCredentials): Promise<Buffer> {
  return Buffer.concat(await signEnvelopeParts(document, credentials));
}
