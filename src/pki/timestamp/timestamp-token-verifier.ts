import { createHash } from 'node:crypto';
import type { Indication, RevocationEvidence, SubIndication } from '../../domain/validation-report.ts';
import type { CertificateCache } from '../certificates/certificate-cache.ts';
import { summarise } from '../certificates/certificate-summary.ts';
import { childrenOf, contentsOf, encodingOf, generalizedTime, objectIdentifier, readTlv, type Tlv } from '../certificates/der-reader.ts';
import { oid } from '../certificates/oids.ts';
import type { ParsedCertificate } from '../certificates/parsed-certificate.ts';
import { digestOfDigestAlgorithm, verifyCmsSignature } from '../certificates/signature-algorithms.ts';
import type { CertificatePathValidator, TimeStampTokenVerifier, TimeStampVerification } from '../trust-services.ts';
import { essCertIdMatches } from './ess-signing-certificate.ts';

// TimeStampToken verification (RFC 3161 §2.4.2, RFC 5816): a CMS SignedData over TSTInfo with exactly one
// signer; contentType and messageDigest signed attributes consistent with the content; the signature
// (node:crypto); the ESS signing-certificate(-v2) naming the TSA certificate; the imprint equal to the
// expected SHA-256; and the TSA certificate's path (critical EKU timeStamping) at genTime.
//   malformed / not a token              → TOTAL_FAILED / FORMAT_FAILURE
//   imprint over other data              → TOTAL_FAILED / HASH_FAILURE
//   digest or signature wrong            → TOTAL_FAILED / SIG_CRYPTO_FAILURE (HASH_FAILURE for messageDigest)
//   TSA certificate absent               → INDETERMINATE / NO_SIGNING_CERTIFICATE_FOUND
//   TSA path not passed                  → the path's indication

interface Attribute {
  readonly type: string;
  readonly values: readonly Tlv[];
}

interface ParsedToken {
  readonly bytes: Uint8Array;
  readonly eContent: Uint8Array;
  readonly certificates: readonly Uint8Array[];
  readonly sid: { readonly issuer: Uint8Array; readonly serial: Uint8Array } | { readonly keyId: Uint8Array };
  readonly digestAlgorithm: string;
  readonly signedAttrs?: { readonly der: Uint8Array; readonly attributes: readonly Attribute[] };
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly info: { readonly genTime: Date; readonly imprintAlgorithm: string; readonly imprint: Uint8Array };
}

class TokenFormatError extends Error {}

const firstOid = (bytes: Uint8Array, sequence: Tlv | undefined): string => {
  const first = sequence?.tag === 0x30 ? childrenOf(bytes, sequence)[0] : undefined;
  if (first?.tag !== 0x06) throw new TokenFormatError('malformed AlgorithmIdentifier');
  // The accepted algorithms (SHA-2 digests, RSA PKCS#1 v1.5, ECDSA) take no parameters: absent or NULL.
  const rest = childrenOf(bytes, sequence as Tlv).slice(1);
  const parameters = rest[0];
  if (rest.length > 1 || (parameters && (parameters.tag !== 0x05 || contentsOf(bytes, parameters).length !== 0))) {
    throw new TokenFormatError('AlgorithmIdentifier parameters must be absent or NULL');
  }
  return objectIdentifier(contentsOf(bytes, first));
};

/** The TLV if it has the tag, else a format error naming `what`. */
function expect(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (tlv?.tag !== tag) throw new TokenFormatError(`malformed token: ${what}`);
  return tlv;
}

/**
 * Walks the token's DER (RFC 5652 §5, RFC 3161 §2.4.2) without building pkijs objects: a token carries
 * whole certificates, and schema-based parsing costs ~20 ms here against ~0.2 ms for this.
 */
function parseToken(bytes: Uint8Array): ParsedToken {
  let contentInfo: Tlv;
  try { contentInfo = readTlv(bytes, 0); } catch (e) { throw new TokenFormatError(`not a CMS ContentInfo: ${(e as Error).message}`); }
  if (contentInfo.end !== bytes.length) throw new TokenFormatError('trailing bytes after the token');
  const [contentType, explicit] = childrenOf(bytes, expect(contentInfo, 0x30, 'ContentInfo'));
  if (objectIdentifier(contentsOf(bytes, expect(contentType, 0x06, 'contentType'))) !== oid.signedData) throw new TokenFormatError('not a SignedData');
  const signedData = expect(childrenOf(bytes, expect(explicit, 0xa0, 'content'))[0], 0x30, 'SignedData');
  const fields = childrenOf(bytes, signedData);
  // RFC 5652 §5.1: version 3 when eContentType is not id-data; digestAlgorithms lists the signer's digest.
  const version = contentsOf(bytes, expect(fields[0], 0x02, 'SignedData version'));
  if (version.length !== 1 || version[0] !== 3) throw new TokenFormatError('SignedData version is not 3');
  const digestAlgorithms = childrenOf(bytes, expect(fields[1], 0x31, 'digestAlgorithms')).map((a) => firstOid(bytes, a));
  const encap = expect(fields[2], 0x30, 'encapContentInfo');
  const [eContentType, eExplicit] = childrenOf(bytes, encap);
  if (objectIdentifier(contentsOf(bytes, expect(eContentType, 0x06, 'eContentType'))) !== oid.tstInfo) throw new TokenFormatError('eContentType is not id-ct-TSTInfo');
  const eContentTlv = childrenOf(bytes, expect(eExplicit, 0xa0, 'eContent'))[0];
  let eContent: Uint8Array;
  if (eContentTlv?.tag === 0x04) eContent = contentsOf(bytes, eContentTlv);
  else if (eContentTlv?.tag === 0x24) eContent = Buffer.concat(childrenOf(bytes, eContentTlv).map((t) => contentsOf(bytes, expect(t, 0x04, 'eContent segment')))); // BER constructed OCTET STRING
  else throw new TokenFormatError('no TSTInfo content');
  const certificateSet = fields.slice(3).find((f) => f.tag === 0xa0);
  const certificates = certificateSet ? childrenOf(bytes, certificateSet).filter((c) => c.tag === 0x30).map((c) => encodingOf(bytes, c)) : [];
  const signerInfos = childrenOf(bytes, expect(fields[fields.length - 1], 0x31, 'signerInfos'));
  if (signerInfos.length !== 1) throw new TokenFormatError('a time-stamp token has exactly one signer');
  const si = childrenOf(bytes, expect(signerInfos[0], 0x30, 'SignerInfo'));
  const sidTlv = si[1];
  let sid: ParsedToken['sid'];
  if (sidTlv?.tag === 0x30) {
    const [issuer, serial] = childrenOf(bytes, sidTlv);
    sid = { issuer: encodingOf(bytes, expect(issuer, 0x30, 'sid issuer')), serial: contentsOf(bytes, expect(serial, 0x02, 'sid serial')) };
  } else if (sidTlv?.tag === 0x80) {
    sid = { keyId: contentsOf(bytes, sidTlv) };
  } else throw new TokenFormatError('malformed SignerIdentifier');
  const digestAlgorithm = firstOid(bytes, si[2]);
  if (!digestAlgorithms.includes(digestAlgorithm)) throw new TokenFormatError('the signer\'s digest algorithm is not in digestAlgorithms');
  const signerVersion = contentsOf(bytes, expect(si[0], 0x02, 'SignerInfo version'));
  if (signerVersion.length !== 1 || signerVersion[0] !== (sidTlv?.tag === 0x30 ? 1 : 3)) throw new TokenFormatError('SignerInfo version does not match its sid (RFC 5652 §5.3)');
  let next = 3;
  let signedAttrs: ParsedToken['signedAttrs'];
  if (si[3]?.tag === 0xa0) {
    const attrsTlv = si[3];
    const der = new Uint8Array(encodingOf(bytes, attrsTlv));
    der[0] = 0x31; // signed over the DER SET OF (RFC 5652 §5.4)
    const attributes = childrenOf(bytes, attrsTlv).map((a) => {
      const [type, values] = childrenOf(bytes, expect(a, 0x30, 'Attribute'));
      return { type: objectIdentifier(contentsOf(bytes, expect(type, 0x06, 'attribute type'))), values: childrenOf(bytes, expect(values, 0x31, 'attribute values')) };
    });
    signedAttrs = { der, attributes };
    next = 4;
  }
  const signatureAlgorithm = firstOid(bytes, si[next]);
  const signature = contentsOf(bytes, expect(si[next + 1], 0x04, 'signature'));

  let info: ParsedToken['info'];
  try {
    const tst = childrenOf(eContent, readTlv(eContent, 0));
    const version = contentsOf(eContent, expect(tst[0], 0x02, 'TSTInfo version'));
    if (version.length !== 1 || version[0] !== 1) throw new TokenFormatError('TSTInfo version is not 1');
    const [algorithm, hashed] = childrenOf(eContent, expect(tst[2], 0x30, 'messageImprint'));
    info = {
      imprintAlgorithm: firstOid(eContent, algorithm),
      imprint: contentsOf(eContent, expect(hashed, 0x04, 'hashedMessage')),
      genTime: generalizedTime(contentsOf(eContent, expect(tst[4], 0x18, 'genTime'))),
    };
  } catch (e) {
    throw new TokenFormatError(e instanceof TokenFormatError ? e.message : `malformed TSTInfo: ${(e as Error).message}`);
  }
  return { bytes, eContent, certificates, sid, digestAlgorithm, ...(signedAttrs ? { signedAttrs } : {}), signatureAlgorithm, signature, info };
}

function signerMatches(sid: ParsedToken['sid'], cert: ParsedCertificate): boolean {
  if ('keyId' in sid) return cert.subjectKeyId === Buffer.from(sid.keyId).toString('hex');
  return Buffer.from(sid.serial).toString('hex') === cert.serialHex && Buffer.compare(sid.issuer, cert.issuerDer) === 0;
}

/** What a token's bytes prove by themselves (format, signature, ESS binding): deterministic, so cached by the token's SHA-256. */
type TokenCheck =
  | { readonly ok: false; readonly indication: Indication; readonly subIndication: SubIndication; readonly message: string; readonly genTime?: Date }
  | { readonly ok: true; readonly genTime: Date; readonly imprintAlgorithm: string; readonly imprint: Uint8Array; readonly signer: ParsedCertificate; readonly certificates: readonly Uint8Array[] };

const tokenCacheLimit = 10_000;

export class CmsTimeStampTokenVerifier implements TimeStampTokenVerifier {
  private readonly checked = new Map<string, TokenCheck>();

  constructor(private readonly paths: CertificatePathValidator, private readonly cache: CertificateCache) {}

  async verify(token: Uint8Array, expectedSha256Imprint: Uint8Array, options: { storedRevocation?: readonly RevocationEvidence[] } = {}): Promise<TimeStampVerification> {
    const outcome = (indication: Indication, subIndication: SubIndication | undefined, message: string, extra: Partial<TimeStampVerification> = {}): TimeStampVerification =>
      ({ indication, ...(subIndication ? { subIndication } : {}), message, ...extra });
    const key = createHash('sha256').update(token).digest('hex');
    let check = this.checked.get(key);
    if (!check) {
      check = this.checkToken(token);
      if (this.checked.size >= tokenCacheLimit) this.checked.clear();
      this.checked.set(key, check);
    }
    if (!check.ok) return outcome(check.indication, check.subIndication, check.message, check.genTime ? { genTime: check.genTime } : {});
    const { genTime, signer } = check;
    if (check.imprintAlgorithm !== oid.sha256 || !Buffer.from(check.imprint).equals(expectedSha256Imprint)) {
      return outcome('TOTAL_FAILED', 'HASH_FAILURE', 'the time-stamp token is over other data (message imprint mismatch)', { genTime });
    }
    const evidence = { genTime: genTime.toISOString(), tsa: summarise(signer), der: Buffer.from(token).toString('base64') };
    const tsaPath = await this.paths.validate({
      signer: signer.der, candidates: check.certificates, at: genTime, purpose: 'timestamping',
      ...(options.storedRevocation ? { storedRevocation: options.storedRevocation } : {}),
    });
    if (tsaPath.indication !== 'TOTAL_PASSED') {
      return outcome(tsaPath.indication, tsaPath.subIndication, `TSA certificate: ${tsaPath.message}`, { genTime, evidence, tsaPath });
    }
    return outcome('TOTAL_PASSED', undefined, `time-stamp of ${genTime.toISOString()} by "${signer.subject}"`, { genTime, evidence, tsaPath });
  }

  private checkToken(token: Uint8Array): TokenCheck {
    const fail = (indication: Indication, subIndication: SubIndication, message: string, genTime?: Date): TokenCheck =>
      ({ ok: false, indication, subIndication, message, ...(genTime ? { genTime } : {}) });
    let parsed: ParsedToken;
    try { parsed = parseToken(token); } catch (e) { return fail('TOTAL_FAILED', 'FORMAT_FAILURE', e instanceof TokenFormatError ? e.message : `malformed token: ${(e as Error).message}`); }
    const { info, eContent, signedAttrs } = parsed;
    const genTime = info.genTime;
    let signer: ParsedCertificate | undefined;
    try {
      signer = parsed.certificates.map((der) => this.cache.get(der)).find((c) => signerMatches(parsed.sid, c));
    } catch (e) {
      return fail('TOTAL_FAILED', 'FORMAT_FAILURE', `a certificate in the token cannot be parsed: ${(e as Error).message}`, genTime);
    }
    if (!signer) return fail('INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND', 'the TSA certificate is not in the token', genTime);

    const single = (type: string): Tlv | undefined => {
      const found = signedAttrs?.attributes.filter((a) => a.type === type) ?? [];
      return found.length === 1 && found[0]?.values.length === 1 ? found[0].values[0] : undefined;
    };
    const attrBytes = signedAttrs?.der;
    const contentType = single(oid.contentType);
    const messageDigest = single(oid.messageDigest);
    // Offsets of attribute values are relative to the token bytes.
    if (!signedAttrs || !attrBytes || contentType?.tag !== 0x06 || objectIdentifier(contentsOf(token, contentType)) !== oid.tstInfo || messageDigest?.tag !== 0x04) {
      return fail('TOTAL_FAILED', 'FORMAT_FAILURE', 'the token lacks consistent contentType / messageDigest signed attributes (RFC 5652 §11)', genTime);
    }
    const digestName = digestOfDigestAlgorithm[parsed.digestAlgorithm];
    if (!digestName) return fail('TOTAL_FAILED', 'FORMAT_FAILURE', `digest algorithm ${parsed.digestAlgorithm} not accepted`, genTime);
    if (!createHash(digestName).update(eContent).digest().equals(contentsOf(token, messageDigest))) {
      return fail('TOTAL_FAILED', 'HASH_FAILURE', 'the TSTInfo does not match the signed messageDigest', genTime);
    }
    if (!verifyCmsSignature(parsed.signatureAlgorithm, parsed.digestAlgorithm, attrBytes, signer.publicKey, parsed.signature)) {
      return fail('TOTAL_FAILED', 'SIG_CRYPTO_FAILURE', 'the time-stamp token signature does not verify', genTime);
    }
    const ess = essCertIdMatches(token, signedAttrs.attributes, signer);
    if (ess !== true) {
      return fail('TOTAL_FAILED', 'FORMAT_FAILURE', ess === undefined ? 'the token has no ESS signing-certificate attribute (RFC 3161 §2.4.1)' : 'the ESS signing-certificate attribute names another certificate', genTime);
    }
    return { ok: true, genTime, imprintAlgorithm: info.imprintAlgorithm, imprint: info.imprint, signer, certificates: parsed.certificates };
  }
}
