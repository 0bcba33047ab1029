// Signs an edXML package with the agency certificate (issue 3 item 5): enveloped XML-DSig, RSA-SHA256,
// exclusive c14n, one Reference URI="" with [enveloped-signature, exc-c14n], the certificate chain in
// KeyInfo/X509Data; the Signature goes into edXMLHeader right after TraceHeaderList, where the vendor
// packages put it. It is inserted without surrounding white space, so the canonical form of the signed
// document minus the Signature is exactly that of the input: one pass computes the digest.
import type { SigningCredentials } from '../cms/signer.ts';
import { ALG } from './algorithms.ts';
import { DSIG_NS, runEnvelopePass } from './envelope-pass.ts';

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

/**
 * The signed package as three parts — the input up to the insertion point, the Signature element, the
 * rest of the input — so a caller writing to a file or a socket never copies a 50 MB package.
 */
export async function signEnvelopeParts(bytes: Uint8Array, credentials: SigningCredentials): Promise<[Buffer, Buffer, Buffer]> {
  const document = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pass = runEnvelopePass(document, 'sha256');
  if (pass.dsigSignatureCount > 0 || pass.foreignSignatureCount > 0) throw new EnvelopeSigningError('the package already carries a Signature; build it unsigned');
  if (pass.shapeErrors.length > 0) throw new EnvelopeSigningError(`not an edXML package of the expected shape: ${pass.shapeErrors.join('; ')}`);
  if (pass.insertAt === undefined || !pass.documentDigest) throw new EnvelopeSigningError('edXMLHeader has no MessageHeader to place the Signature after');
  const ecdsa = credentials.keyAlgorithm === 'ec';
  const signedInfo = canonicalSignedInfo(pass.documentDigest.toString('base64'), ecdsa);
  let signature: Buffer = Buffer.from(await credentials.sign(Buffer.from(signedInfo, 'utf8')));
  if (ecdsa) signature = ecdsaDerToRaw(signature);
  const certificates = [credentials.certificate, ...credentials.chain].map((c) => `<X509Certificate>${Buffer.from(c).toString('base64')}</X509Certificate>`).join('');
  const element = `<Signature xmlns="${DSIG_NS}">${signedInfo.replace(` xmlns="${DSIG_NS}"`, '')}<SignatureValue>${signature.toString('base64')}</SignatureValue>`
    + `<KeyInfo><X509Data>${certificates}</X509Data></KeyInfo></Signature>`;
  return [document.subarray(0, pass.insertAt), Buffer.from(element, 'utf8'), document.subarray(pass.insertAt)];
}

export async function signEnvelope(document: Uint8Array, credentials: SigningCredentials): Promise<Buffer> {
  return Buffer.concat(await signEnvelopeParts(document, credentials));
}
