// The cryptographic and structural half of verifying an edXML envelope signature: strict parse, edXML
// shape, signature profile, Reference digest over the canonical document, SignatureValue over the
// canonical SignedInfo. Certificate path, time and organisation are judged by src/pki/verify.
import { createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { digestMethods } from './algorithms.ts';
import { splicedDigest, type SplitPackage } from './base64-runs.ts';
import { canonicalForm } from './canonical-splice.ts';
import { DSIG_NS, runEnvelopePass, type EnvelopePassResult, type SignatureNode } from './envelope-pass.ts';
import { checkSignatureProfile, ProfileError } from './signature-profile.ts';
import { XmlFormatError } from '../../edxml/xml-scanner.ts';

export type EnvelopeCheck =
  | { readonly kind: 'format'; readonly message: string }
  | { readonly kind: 'no-certificate'; readonly message: string; readonly fromOrganId?: string }
  | {
    readonly kind: 'checked';
    readonly certificates: readonly Buffer[];
    readonly digestOk: boolean;
    readonly signatureOk: boolean;
    readonly fromOrganId?: string;
  };

function digestOf(signature: SignatureNode | undefined): string | undefined {
  const reference = signature?.children.find((c) => c.uri === DSIG_NS && c.local === 'SignedInfo')?.children.find((c) => c.local === 'Reference');
  const method = reference?.children.find((c) => c.local === 'DigestMethod')?.attrs.find((a) => a.local === 'Algorithm')?.value;
  return method ? digestMethods[method] : undefined;
}

/** `keyOf` turns the signer certificate into a public key (callers may cache it). */
export function checkEnvelopeSignature(document: Buffer, keyOf: (certificate: Buffer) => KeyObject): EnvelopeCheck {
  let pass;
  try {
    pass = runEnvelopePass(document, digestOf);
  } catch (error) {
    if (error instanceof XmlFormatError) return { kind: 'format', message: `not well-formed or not allowed XML: ${error.message}` };
    throw error;
  }
  return judge(pass, pass.documentDigest, keyOf);
}

/**
 * The same check for a package too large to read whole (base64-runs.ts): the skeleton is canonicalized,
 * the digest taken with the runs read again from `read`. Null when the split cannot be used (a run's
 * marker is not rendered exactly once, in order): the caller reads the package whole.
 */
export async function checkSplitEnvelopeSignature(split: SplitPackage, read: () => AsyncIterable<Uint8Array>, keyOf: (certificate: Buffer) => KeyObject): Promise<EnvelopeCheck | null> {
  let pass;
  let canonical;
  try {
    ({ pass, canonical } = canonicalForm(split.skeleton));
  } catch (error) {
    if (error instanceof XmlFormatError) return null; // the whole package gives the error, with offsets of its own
    throw error;
  }
  const algorithm = digestOf(pass.signature);
  let documentDigest: Buffer | undefined;
  if (algorithm) {
    const digest = await splicedDigest(canonical, split, read, createHash(algorithm));
    if (!digest) return null;
    documentDigest = digest;
  }
  return judge(pass, documentDigest, keyOf);
}

/** Everything after the pass: one Signature, its profile and certificate, the digest and the SignatureValue. */
function judge(pass: EnvelopePassResult, documentDigest: Buffer | undefined, keyOf: (certificate: Buffer) => KeyObject): EnvelopeCheck {
  if (pass.dsigSignatureCount === 0) {
    return { kind: 'format', message: pass.foreignSignatureCount > 0 ? 'the Signature element lacks the XML-DSig namespace (legacy vendor package): it cannot be verified' : 'the package carries no XML-DSig Signature' };
  }
  if (pass.dsigSignatureCount > 1) return { kind: 'format', message: `exactly one Signature is allowed, found ${pass.dsigSignatureCount}` };
  if (pass.foreignSignatureCount > 0) return { kind: 'format', message: 'a second, non-XML-DSig Signature element is present' };
  if (pass.shapeErrors.length > 0) return { kind: 'format', message: pass.shapeErrors.join('; ') };
  let profile;
  try {
    profile = checkSignatureProfile(pass.signature as SignatureNode);
  } catch (error) {
    if (error instanceof ProfileError) return { kind: 'format', message: error.message };
    throw error;
  }
  const organ = pass.fromOrganId !== undefined ? { fromOrganId: pass.fromOrganId } : {};
  const signer = profile.certificates[0];
  if (!signer) return { kind: 'no-certificate', message: 'KeyInfo carries no X509Certificate', ...organ };
  let key: KeyObject;
  try {
    key = keyOf(signer);
  } catch {
    return { kind: 'no-certificate', message: 'the X509Certificate in KeyInfo cannot be parsed', ...organ };
  }
  const digestOk = documentDigest !== undefined && documentDigest.equals(profile.digestValue);
  const signatureOk = cryptoVerify(profile.signatureHash, pass.canonicalSignedInfo as Buffer, profile.ecdsa ? { key, dsaEncoding: 'ieee-p1363' } : key, profile.signatureValue);
  return { kind: 'checked', certificates: profile.certificates, digestOk, signatureOk, ...organ };
}
