// Reads a CMS SignedData (RFC 5652 §5) with exactly one SignerInfo and signed attributes, keeping DER
// views of what is signed. Anything outside this profile is a format error (ETSI EN 319 102-1
// FORMAT_FAILURE): several signers, no signed attributes, an unknown or weak algorithm.
import { children, content, DerError, encoded, end, expectTag, parseOid, parseTime, readNode, Tag, type DerNode } from './der.ts';
import { certificateFields, sameBytes } from './certificate-fields.ts';
import { allowedDigests, allowedSignatureAlgorithms, OID } from './oids.ts';

export class CmsFormatError extends Error {}

export interface CmsSignatureParts {
  readonly certificates: readonly Uint8Array[];
  readonly signerCertificate?: Uint8Array; // found by IssuerAndSerialNumber among `certificates`
  readonly digestAlgorithm: 'sha256' | 'sha384' | 'sha512';
  readonly signatureAlgorithmOid: string;
  /** The signed attributes re-encoded with the SET tag, as the signature covers them (§5.4). */
  readonly signedAttributes: Uint8Array;
  readonly contentType: string;
  readonly messageDigest: Uint8Array;
  readonly signingTime?: Date;
  /** ESS signing-certificate(-v2) first certHash, with its hash algorithm. */
  readonly essCertId?: { readonly algorithm: 'sha1' | 'sha256' | 'sha384' | 'sha512'; readonly hash: Uint8Array };
  readonly signature: Uint8Array;
  readonly timeStampToken?: Uint8Array;
  readonly encapsulatedContent?: Uint8Array; // present when the CMS is not detached
}

function attributesOf(node: DerNode): Map<string, DerNode[]> {
  const map = new Map<string, DerNode[]>();
  for (const attr of children(node)) {
    const [type, values] = children(expectTag(attr, Tag.SEQUENCE, 'Attribute'));
    const id = parseOid(expectTag(type, Tag.OID, 'attrType'));
    if (map.has(id)) throw new CmsFormatError(`attribute ${id} appears twice`);
    map.set(id, children(expectTag(values, Tag.SET, 'attrValues')));
  }
  return map;
}

/** The OID of an AlgorithmIdentifier whose parameters are absent or NULL, as for every allowed algorithm. */
function algorithmOid(node: DerNode | undefined, what: string): string {
  const [algorithm, parameters, ...rest] = children(expectTag(node, Tag.SEQUENCE, what));
  if (rest.length > 0 || (parameters && (parameters.tag !== Tag.NULL || content(parameters).length !== 0))) {
    throw new CmsFormatError(`${what}: parameters must be absent or NULL`);
  }
  return parseOid(expectTag(algorithm, Tag.OID, what));
}

const single = (attrs: Map<string, DerNode[]>, id: string): DerNode | undefined => {
  const values = attrs.get(id);
  if (!values) return undefined;
  if (values.length !== 1) throw new CmsFormatError(`attribute ${id} must have exactly one value`);
  return values[0];
};

function essCertId(attrs: Map<string, DerNode[]>): CmsSignatureParts['essCertId'] {
  const v2 = single(attrs, OID.signingCertificateV2);
  const v1 = single(attrs, OID.signingCertificate);
  if (!v2 && !v1) return undefined;
  const certs = children(expectTag(children(expectTag((v2 ?? v1) as DerNode, Tag.SEQUENCE, 'SigningCertificate'))[0], Tag.SEQUENCE, 'certs'));
  const first = children(expectTag(certs[0], Tag.SEQUENCE, 'ESSCertID'));
  if (!v2) return { algorithm: 'sha1', hash: content(expectTag(first[0], Tag.OCTET_STRING, 'certHash')) };
  let algorithm: 'sha256' | 'sha384' | 'sha512' = 'sha256';
  let i = 0;
  if (first[0]?.tag === Tag.SEQUENCE) {
    const alg = allowedDigests[parseOid(children(first[0])[0] as DerNode)];
    if (!alg) throw new CmsFormatError('signing-certificate-v2 uses a hash algorithm outside the allow-list');
    algorithm = alg;
    i = 1;
  }
  return { algorithm, hash: content(expectTag(first[i], Tag.OCTET_STRING, 'certHash')) };
}

export function parseSignedData(der: Uint8Array): CmsSignatureParts {
  try {
    const top = expectTag(readNode(der), Tag.SEQUENCE, 'ContentInfo');
    if (end(top) !== der.length) throw new CmsFormatError('trailing bytes after the ContentInfo');
    const [ct, explicit] = children(top);
    if (parseOid(expectTag(ct, Tag.OID, 'contentType')) !== OID.signedData) throw new CmsFormatError('not a SignedData');
    const sd = children(expectTag(children(expectTag(explicit, 0xa0, '[0] content'))[0], Tag.SEQUENCE, 'SignedData'));
    let i = 2; // version, digestAlgorithms
    const encap = children(expectTag(sd[i++], Tag.SEQUENCE, 'encapContentInfo'));
    const eContentType = parseOid(encap[0] as DerNode);
    const encapsulatedContent = encap[1] ? content(expectTag(children(expectTag(encap[1], 0xa0, 'eContent'))[0], Tag.OCTET_STRING, 'eContent')) : undefined;
    const certificates: Uint8Array[] = [];
    if (sd[i]?.tag === 0xa0) for (const c of children(sd[i++] as DerNode)) if (c.tag === Tag.SEQUENCE) certificates.push(encoded(c));
    if (sd[i]?.tag === 0xa1) i += 1; // crls: revocation values come from the trust layer
    const signerInfos = children(expectTag(sd[i], Tag.SET, 'signerInfos'));
    if (signerInfos.length !== 1) throw new CmsFormatError(`exactly one SignerInfo expected, found ${signerInfos.length}`);
    const si = children(expectTag(signerInfos[0], Tag.SEQUENCE, 'SignerInfo'));
    const sid = expectTag(si[1], Tag.SEQUENCE, 'sid (only IssuerAndSerialNumber is supported)');
    const [sidIssuer, sidSerial] = children(sid);
    const digestAlgorithm = allowedDigests[algorithmOid(si[2], 'digestAlgorithm')];
    if (!digestAlgorithm) throw new CmsFormatError('digest algorithm outside the allow-list (SHA-256/384/512)');
    const signedAttrsNode = si[3];
    if (!signedAttrsNode || signedAttrsNode.tag !== 0xa0) throw new CmsFormatError('signed attributes are required (CAdES)');
    const signedAttributes = Buffer.concat([Buffer.from([Tag.SET]), der.subarray(signedAttrsNode.start + 1, end(signedAttrsNode))]);
    const signatureAlgorithmOid = algorithmOid(si[4], 'signatureAlgorithm');
    const sigAlg = allowedSignatureAlgorithms[signatureAlgorithmOid];
    if (!sigAlg) throw new CmsFormatError(`signature algorithm ${signatureAlgorithmOid} outside the allow-list`);
    if (sigAlg.digest && sigAlg.digest !== digestAlgorithm) throw new CmsFormatError('signature and digest algorithms disagree');
    const signature = content(expectTag(si[5], Tag.OCTET_STRING, 'signature'));
    let timeStampToken: Uint8Array | undefined;
    if (si[6]) {
      const unsigned = attributesOf(expectTag(si[6], 0xa1, 'unsignedAttrs'));
      const tst = single(unsigned, OID.signatureTimeStampToken);
      if (tst) timeStampToken = encoded(tst);
    }
    const attrs = attributesOf(signedAttrsNode);
    const ctNode = single(attrs, OID.contentType);
    const mdNode = single(attrs, OID.messageDigest);
    if (!ctNode || !mdNode) throw new CmsFormatError('content-type and message-digest attributes are required (RFC 5652 §5.3)');
    const contentType = parseOid(ctNode);
    if (contentType !== eContentType) throw new CmsFormatError('content-type attribute differs from eContentType');
    const stNode = single(attrs, OID.signingTime);
    const signerCertificate = certificates.find((c) => {
      const f = certificateFields(c);
      return sameBytes(f.issuer, encoded(sidIssuer as DerNode)) && sameBytes(f.serialNumber, encoded(sidSerial as DerNode));
    });
    return {
      certificates, digestAlgorithm, signatureAlgorithmOid, signedAttributes, contentType,
      messageDigest: content(expectTag(mdNode, Tag.OCTET_STRING, 'messageDigest')),
      essCertId: essCertId(attrs), signature,
      ...(signerCertificate ? { signerCertificate } : {}),
      ...(stNode ? { signingTime: parseTime(stNode) } : {}),
      ...(timeStampToken ? { timeStampToken } : {}),
      ...(encapsulatedContent ? { encapsulatedContent } : {}),
    };
  } catch (error) {
    if (error instanceof CmsFormatError) throw error;
    if (error instanceof DerError || error instanceof TypeError || error instanceof RangeError) throw new CmsFormatError(`malformed CMS: ${error.message}`, { cause: error });
    throw error;
  }
}
