// The edXML envelope signature profile, checked on the captured Signature element: one SignedInfo, one
// Reference with URI="" and transforms [enveloped-signature, exc-c14n], allow-listed algorithms, the
// certificate in KeyInfo/X509Data, no ds:Object nor anything else that could carry unsigned payload
// (defence against XML signature wrapping: the signature must cover the whole document and nothing else
// may claim to be signed).
import { ALG, digestMethods, signatureMethods } from './algorithms.ts';
import { DSIG_NS, type SignatureNode } from './envelope-pass.ts';

export class ProfileError extends Error {}

export interface EnvelopeSignatureProfile {
  readonly digestHash: string; // node:crypto name
  readonly signatureHash: string;
  readonly ecdsa: boolean;
  readonly digestValue: Buffer;
  readonly signatureValue: Buffer;
  readonly certificates: readonly Buffer[]; // KeyInfo/X509Data/X509Certificate, signer first
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeBase64Strict(text: string, what: string): Buffer {
  const compact = text.replace(/[\s]+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) throw new ProfileError(`${what} is not valid base64`);
  return Buffer.from(compact, 'base64');
}

function only(node: SignatureNode, locals: readonly string[], where: string): SignatureNode[] {
  const names = node.children.map((c) => (c.uri === DSIG_NS ? c.local : `{${c.uri}}${c.local}`));
  if (names.length !== locals.length || names.some((n, i) => n !== locals[i])) {
    if (names.includes('Object')) throw new ProfileError('ds:Object is not allowed in the envelope signature (unsigned payload)');
    throw new ProfileError(`${where} must contain exactly ${locals.join(', ')}; found ${names.join(', ') || 'nothing'}`);
  }
  return node.children;
}

function attribute(node: SignatureNode, name: string): string | undefined {
  return node.attrs.find((a) => a.uri === '' && a.local === name)?.value;
}

function onlyAttributes(node: SignatureNode, allowed: readonly string[]): void {
  for (const a of node.attrs) if (a.uri !== '' || !allowed.includes(a.local)) throw new ProfileError(`attribute ${a.local} is not allowed on ${node.local}`);
}

function algorithmOf(node: SignatureNode): string {
  onlyAttributes(node, ['Algorithm']);
  if (node.children.length > 0) throw new ProfileError(`${node.local} must not have child elements`);
  return attribute(node, 'Algorithm') ?? '';
}

export function checkSignatureProfile(signature: SignatureNode): EnvelopeSignatureProfile {
  onlyAttributes(signature, ['Id']);
  const [signedInfo, signatureValue, keyInfo] = only(signature, ['SignedInfo', 'SignatureValue', 'KeyInfo'], 'Signature') as [SignatureNode, SignatureNode, SignatureNode];
  onlyAttributes(signedInfo, ['Id']);
  if (signedInfo.children.filter((c) => c.local === 'Reference').length !== 1) throw new ProfileError('exactly one Reference is required');
  const [c14n, sigMethod, reference] = only(signedInfo, ['CanonicalizationMethod', 'SignatureMethod', 'Reference'], 'SignedInfo') as [SignatureNode, SignatureNode, SignatureNode];
  if (algorithmOf(c14n) !== ALG.excC14n) throw new ProfileError(`canonicalization ${algorithmOf(c14n)} is not allowed (exclusive c14n only)`);
  const sigAlg = signatureMethods[algorithmOf(sigMethod)];
  if (!sigAlg) throw new ProfileError(`signature method ${algorithmOf(sigMethod)} is not allowed (RSA-SHA256 profile; SHA-1 is refused)`);
  onlyAttributes(reference, ['URI', 'Id']);
  if (attribute(reference, 'URI') !== '') throw new ProfileError(`the Reference must be URI="" (the whole document), not ${JSON.stringify(attribute(reference, 'URI') ?? null)}`);
  const [transforms, digestMethod, digestValue] = only(reference, ['Transforms', 'DigestMethod', 'DigestValue'], 'Reference') as [SignatureNode, SignatureNode, SignatureNode];
  onlyAttributes(transforms, []);
  const list = only(transforms, ['Transform', 'Transform'], 'Transforms').map(algorithmOf);
  if (list[0] !== ALG.enveloped || list[1] !== ALG.excC14n) throw new ProfileError(`transforms must be [enveloped-signature, exc-c14n], found [${list.join(', ')}]`);
  const digestHash = digestMethods[algorithmOf(digestMethod)];
  if (!digestHash) throw new ProfileError(`digest method ${algorithmOf(digestMethod)} is not allowed (SHA-1 is refused)`);
  onlyAttributes(signatureValue, ['Id']);
  const certificates: Buffer[] = [];
  for (const child of keyInfo.children) {
    if (child.uri !== DSIG_NS || !['X509Data', 'KeyName', 'KeyValue'].includes(child.local)) throw new ProfileError(`KeyInfo may not contain ${child.local}`);
    if (child.local === 'X509Data') for (const x of child.children) if (x.uri === DSIG_NS && x.local === 'X509Certificate') certificates.push(decodeBase64Strict(x.text, 'X509Certificate'));
  }
  return {
    digestHash, signatureHash: sigAlg.hash, ecdsa: sigAlg.ecdsa,
    digestValue: decodeBase64Strict(digestValue.text, 'DigestValue'),
    signatureValue: decodeBase64Strict(signatureValue.text, 'SignatureValue'),
    certificates,
  };
}
