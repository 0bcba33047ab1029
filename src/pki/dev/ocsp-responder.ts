import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { oid } from '../certificates/oids.ts';
import { usePkijsWithNodeCrypto } from '../certificates/pkijs-engine.ts';
import { sha256WithRsa, signatureOver } from './certificate-issuer.ts';
import { crlReasons } from './crl-issuer.ts';
import type { DevCertificateAuthority } from './dev-certificate-authority.ts';

// Dev OCSP responder (RFC 6960) answering from the dev CA's revocation state. Certificates of the issuing
// CA are answered by the delegated responder certificate (EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck);
// the issuing CA itself is answered by the root. Nonces are echoed (§4.4.1).

export interface TrustServiceResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

const ocspResponseType = 'application/ocsp-response';

function errorResponse(status: 1 | 2 | 3 | 6): TrustServiceResponse {
  const response = new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) });
  return { status: 200, contentType: ocspResponseType, body: new Uint8Array(response.toSchema().toBER(false)) };
}

const implicitNull = (tagNumber: 0 | 2): asn1js.Primitive => new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber } });

export async function answerOcspRequest(ca: DevCertificateAuthority, body: Uint8Array, at: Date): Promise<TrustServiceResponse> {
  usePkijsWithNodeCrypto();
  // GeneralizedTime without fractional seconds (RFC 5280 §4.1.2.5.2, which RFC 6960 follows): NSS (pdfsig)
  // rejects an answer whose producedAt/thisUpdate carry milliseconds.
  const now = new Date(Math.floor(at.getTime() / 1000) * 1000);
  let request: pkijs.OCSPRequest;
  try { request = pkijs.OCSPRequest.fromBER(body as Uint8Array<ArrayBuffer>); } catch { return errorResponse(1); } // malformedRequest
  const requests = request.tbsRequest.requestList;
  if (requests.length === 0 || requests.length > 10) return errorResponse(1);

  const caFor = (id: pkijs.CertID): 'root' | 'issuing-ca' | undefined => {
    const algorithm = id.hashAlgorithm.algorithmId === oid.sha1 ? 'sha1' : id.hashAlgorithm.algorithmId === oid.sha256 ? 'sha256' : undefined;
    if (!algorithm) return undefined;
    return (['issuing-ca', 'root'] as const).find((caId) => {
      const c = ca.ca(caId).certificate;
      return createHash(algorithm).update(c.subjectDer).digest().equals(id.issuerNameHash.valueBlock.valueHexView)
        && createHash(algorithm).update(c.publicKeyBits).digest().equals(id.issuerKeyHash.valueBlock.valueHexView);
    });
  };
  const issuers = new Set(requests.map((r) => caFor(r.reqCert)));
  // One signer per response: all requests must be about one CA we run.
  if (issuers.size !== 1 || issuers.has(undefined)) return errorResponse(6); // unauthorized
  const caId = [...issuers][0] as 'root' | 'issuing-ca';
  const signer = caId === 'issuing-ca' ? ca.ocspResponder : ca.root;

  const responses = requests.map((r) => {
    const serialHex = Buffer.from(r.reqCert.serialNumber.valueBlock.valueHexView).toString('hex');
    const state = ca.status(caId, serialHex, now);
    const certStatus = state.status === 'revoked'
      ? new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [
        new asn1js.GeneralizedTime({ valueDate: state.revokedAt }),
        new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Enumerated({ value: crlReasons[state.reason] })] }),
      ] })
      : implicitNull(state.status === 'good' ? 0 : 2);
    return new pkijs.SingleResponse({ certID: r.reqCert, certStatus, thisUpdate: now, nextUpdate: new Date(now.getTime() + 3_600_000) });
  });
  const basic = new pkijs.BasicOCSPResponse();
  basic.tbsResponseData.responderID = signer.pkijs.subject;
  basic.tbsResponseData.producedAt = now;
  basic.tbsResponseData.responses = responses;
  const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === oid.ocspNonce);
  if (nonce) basic.tbsResponseData.responseExtensions = [new pkijs.Extension({ extnID: oid.ocspNonce, critical: false, extnValue: nonce.extnValue.valueBlock.valueHexView.slice().buffer })];
  if (signer !== ca.root) basic.certs = [signer.pkijs];
  basic.signatureAlgorithm = sha256WithRsa();
  const tbs = basic.tbsResponseData.toSchema(true).toBER(false);
  basic.tbsResponseData.tbsView = new Uint8Array(tbs);
  basic.signature = signatureOver(tbs, signer.privateKey);
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({ responseType: oid.ocspBasic, response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }) }),
  });
  return { status: 200, contentType: ocspResponseType, body: new Uint8Array(response.toSchema().toBER(false)) };
}
