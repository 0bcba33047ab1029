import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { oid } from '../certificates/oids.ts';
import { childrenOf, contentsOf, encodingOf, generalizedTime, objectIdentifier, readTlv, type Tlv } from '../certificates/der-reader.ts';
import { parseCertificate, type ParsedCertificate } from '../certificates/parsed-certificate.ts';
import { isAcceptedSignatureAlgorithm, verifySignature } from '../certificates/signature-algorithms.ts';
import type { RevocationAnswer } from './revocation-answer.ts';

// OCSP (RFC 6960): request building and response verification. The response must be signed by the
// certificate's issuer itself or by a responder it delegated (issued by it, EKU id-kp-OCSPSigning,
// §4.2.2.2); the single response must match our CertID; a nonce we sent must come back unchanged.

const sha1 = (bytes: Uint8Array): Buffer => createHash('sha1').update(bytes).digest();

/** CertID with SHA-1 (RFC 6960 §4.1.1; SHA-1 remains the interoperable choice for CertID hashes). */
export function certId(cert: ParsedCertificate, issuer: ParsedCertificate): pkijs.CertID {
  return new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: oid.sha1, algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: sha1(issuer.subjectDer) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: sha1(issuer.publicKeyBits) }),
    serialNumber: new asn1js.Integer({ valueHex: Buffer.from(cert.serialHex, 'hex') }),
  });
}

export function buildOcspRequest(cert: ParsedCertificate, issuer: ParsedCertificate): { der: Uint8Array; nonce: Uint8Array } {
  const nonce = new Uint8Array(randomBytes(16));
  const request = new pkijs.OCSPRequest();
  request.tbsRequest.requestList = [new pkijs.Request({ reqCert: certId(cert, issuer) })];
  request.tbsRequest.requestExtensions = [
    new pkijs.Extension({ extnID: oid.ocspNonce, critical: false, extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(false) }),
  ];
  return { der: new Uint8Array(request.toSchema(true).toBER(false)), nonce };
}

const hashFor: Record<string, string> = { [oid.sha1]: 'sha1', [oid.sha256]: 'sha256' };

export class OcspResponseError extends Error {}

interface SingleResponse {
  readonly hashAlgorithm: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  readonly serialHex: string;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: Date;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

interface BasicResponse {
  readonly tbs: Uint8Array;
  readonly responderName?: Uint8Array; // DER Name (byName)
  readonly responderKeyHash?: Uint8Array; // byKey
  readonly producedAt: Date;
  readonly responses: readonly SingleResponse[];
  readonly nonce?: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly certs: readonly Uint8Array[];
}

const bitStringContents = (bytes: Uint8Array, tlv: Tlv): Uint8Array => contentsOf(bytes, tlv).subarray(1); // skip the unused-bits octet

/** Reads an OCSPResponse (RFC 6960 §4.2.1) by walking its DER; throws OcspResponseError when unusable. */
function readOcspResponse(der: Uint8Array): BasicResponse {
  const expect = (tlv: Tlv | undefined, tag: number, what: string): Tlv => {
    if (tlv?.tag !== tag) throw new OcspResponseError(`malformed OCSP response: ${what}`);
    return tlv;
  };
  const outer = readTlv(der, 0);
  const [statusTlv, bytesTlv] = childrenOf(der, expect(outer, 0x30, 'OCSPResponse'));
  const status = contentsOf(der, expect(statusTlv, 0x0a, 'responseStatus'))[0];
  if (status !== 0) throw new OcspResponseError(`OCSP responder answered status ${status}${status === 3 ? ' (tryLater)' : ''}`);
  const [type, octets] = childrenOf(der, expect(childrenOf(der, expect(bytesTlv, 0xa0, 'responseBytes'))[0], 0x30, 'ResponseBytes'));
  if (objectIdentifier(contentsOf(der, expect(type, 0x06, 'responseType'))) !== oid.ocspBasic) throw new OcspResponseError('not a basic OCSP response');
  const basic = contentsOf(der, expect(octets, 0x04, 'response'));
  const [tbsTlv, algTlv, sigTlv, certsTlv] = childrenOf(basic, expect(readTlv(basic, 0), 0x30, 'BasicOCSPResponse'));
  const tbsFields = childrenOf(basic, expect(tbsTlv, 0x30, 'tbsResponseData'));
  let i = tbsFields[0]?.tag === 0xa0 ? 1 : 0; // version [0] EXPLICIT, default v1
  const responder = tbsFields[i++];
  let responderName: Uint8Array | undefined;
  let responderKeyHash: Uint8Array | undefined;
  if (responder?.tag === 0xa1) responderName = encodingOf(basic, expect(childrenOf(basic, responder)[0], 0x30, 'responderID byName'));
  else if (responder?.tag === 0xa2) responderKeyHash = contentsOf(basic, expect(childrenOf(basic, responder)[0], 0x04, 'responderID byKey'));
  else throw new OcspResponseError('malformed OCSP response: responderID');
  const producedAt = generalizedTime(contentsOf(basic, expect(tbsFields[i++], 0x18, 'producedAt')));
  const responses = childrenOf(basic, expect(tbsFields[i++], 0x30, 'responses')).map((single): SingleResponse => {
    const [idTlv, statusChoice, thisUpdate, ...rest] = childrenOf(basic, expect(single, 0x30, 'SingleResponse'));
    const [hashAlg, nameHash, keyHash, serial] = childrenOf(basic, expect(idTlv, 0x30, 'CertID'));
    const hashAlgorithm = objectIdentifier(contentsOf(basic, expect(childrenOf(basic, expect(hashAlg, 0x30, 'hashAlgorithm'))[0], 0x06, 'hashAlgorithm')));
    let statusName: SingleResponse['status'];
    let revokedAt: Date | undefined;
    if (statusChoice?.tag === 0x80) statusName = 'good';
    else if (statusChoice?.tag === 0x82) statusName = 'unknown';
    else if (statusChoice?.tag === 0xa1) {
      statusName = 'revoked';
      revokedAt = generalizedTime(contentsOf(basic, expect(childrenOf(basic, statusChoice)[0], 0x18, 'revocationTime')));
    } else throw new OcspResponseError('malformed OCSP response: certStatus');
    const next = rest.find((r) => r.tag === 0xa0);
    return {
      hashAlgorithm,
      issuerNameHash: contentsOf(basic, expect(nameHash, 0x04, 'issuerNameHash')),
      issuerKeyHash: contentsOf(basic, expect(keyHash, 0x04, 'issuerKeyHash')),
      serialHex: Buffer.from(contentsOf(basic, expect(serial, 0x02, 'serialNumber'))).toString('hex'),
      status: statusName,
      ...(revokedAt ? { revokedAt } : {}),
      thisUpdate: generalizedTime(contentsOf(basic, expect(thisUpdate, 0x18, 'thisUpdate'))),
      ...(next ? { nextUpdate: generalizedTime(contentsOf(basic, expect(childrenOf(basic, next)[0], 0x18, 'nextUpdate'))) } : {}),
    };
  });
  let nonce: Uint8Array | undefined;
  const extensions = tbsFields[i];
  if (extensions?.tag === 0xa1) {
    for (const ext of childrenOf(basic, expect(childrenOf(basic, extensions)[0], 0x30, 'responseExtensions'))) {
      const parts = childrenOf(basic, expect(ext, 0x30, 'Extension'));
      if (objectIdentifier(contentsOf(basic, expect(parts[0], 0x06, 'extnID'))) !== oid.ocspNonce) continue;
      const value = contentsOf(basic, expect(parts[parts.length - 1], 0x04, 'extnValue'));
      // RFC 8954: the nonce is an OCTET STRING inside extnValue; older responders put the raw bytes.
      try {
        const inner = readTlv(value, 0);
        nonce = inner.tag === 0x04 && inner.end === value.length ? contentsOf(value, inner) : value;
      } catch {
        nonce = value;
      }
    }
  }
  const algorithm = childrenOf(basic, expect(algTlv, 0x30, 'signatureAlgorithm'))[0];
  const certs = certsTlv?.tag === 0xa0 ? childrenOf(basic, expect(childrenOf(basic, certsTlv)[0], 0x30, 'certs')).map((c) => encodingOf(basic, c)) : [];
  return {
    tbs: encodingOf(basic, tbsTlv!),
    ...(responderName ? { responderName } : {}),
    ...(responderKeyHash ? { responderKeyHash } : {}),
    producedAt,
    responses,
    ...(nonce ? { nonce } : {}),
    signatureAlgorithm: objectIdentifier(contentsOf(basic, expect(algorithm, 0x06, 'signatureAlgorithm'))),
    signature: bitStringContents(basic, expect(sigTlv, 0x03, 'signature')),
    certs,
  };
}

function matchesCertId(id: SingleResponse, cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  const algorithm = hashFor[id.hashAlgorithm];
  if (!algorithm) return false;
  const h = (b: Uint8Array): Buffer => createHash(algorithm).update(b).digest();
  return id.serialHex === cert.serialHex && h(issuer.subjectDer).equals(id.issuerNameHash) && h(issuer.publicKeyBits).equals(id.issuerKeyHash);
}

function responderMatches(response: BasicResponse, candidate: ParsedCertificate): boolean {
  if (response.responderName) return Buffer.compare(response.responderName, candidate.subjectDer) === 0;
  return response.responderKeyHash !== undefined && sha1(candidate.publicKeyBits).equals(response.responderKeyHash);
}

/**
 * Verifies a DER OCSPResponse about `cert` and returns its answer; throws OcspResponseError when unusable.
 * `parse` reads certificates carried in the response (pass a CertificateCache's get to parse each once).
 */
export function verifyOcspResponse(der: Uint8Array, cert: ParsedCertificate, issuer: ParsedCertificate, options: { nonce?: Uint8Array; source: string; parse?: (der: Uint8Array) => ParsedCertificate }): RevocationAnswer {
  let data: BasicResponse;
  try { data = readOcspResponse(der); } catch (cause) {
    throw cause instanceof OcspResponseError ? cause : new OcspResponseError(`malformed OCSP response: ${(cause as Error).message}`);
  }
  const parse = options.parse ?? parseCertificate;
  // Who signed: the CA itself, or a delegated responder certificate carried in `certs` (RFC 6960 §4.2.2.2).
  let signer: ParsedCertificate | undefined = responderMatches(data, issuer) ? issuer : undefined;
  for (const c of data.certs) {
    if (signer) break;
    const candidate = parse(new Uint8Array(c));
    if (!responderMatches(data, candidate)) continue;
    const delegated = Buffer.compare(candidate.issuerDer, issuer.subjectDer) === 0
      && candidate.extendedKeyUsage?.includes(oid.kpOcspSigning) === true
      && isAcceptedSignatureAlgorithm(candidate.signatureAlgorithm)
      && candidate.x509.verify(issuer.publicKey)
      && data.producedAt >= candidate.notBefore && data.producedAt <= candidate.notAfter;
    if (delegated) signer = candidate;
  }
  if (!signer) throw new OcspResponseError('OCSP response not signed by the issuer or a responder it authorised (RFC 6960 §4.2.2.2)');
  if (!verifySignature(data.signatureAlgorithm, data.tbs, signer.publicKey, data.signature)) {
    throw new OcspResponseError('OCSP response signature does not verify');
  }
  if (options.nonce && data.nonce && Buffer.compare(data.nonce, options.nonce) !== 0) throw new OcspResponseError('OCSP nonce mismatch (replayed response?)');
  const single = data.responses.find((r) => matchesCertId(r, cert, issuer));
  if (!single) throw new OcspResponseError('OCSP response is about another certificate');
  return {
    kind: 'OCSP',
    status: single.status,
    thisUpdate: single.thisUpdate,
    producedAt: data.producedAt,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
    ...(single.revokedAt ? { revokedAt: single.revokedAt } : {}),
    der,
    source: options.source,
  };
}
