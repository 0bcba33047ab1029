import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { DomainError } from '../../domain/errors.ts';
import { childrenOf, contentsOf, encodingOf, readTlv } from '../certificates/der-reader.ts';
import { oid } from '../certificates/oids.ts';
import { usePkijsWithNodeCrypto } from '../certificates/pkijs-engine.ts';
import type { TimeStampAuthorityClient } from '../trust-services.ts';
import { sendWithRetries, type HttpTransport, type RetryPolicy } from '../trust/http-transport.ts';

// RFC 3161 client over HTTP (§3.4): POST application/timestamp-query with a nonce and certReq, check the
// answer is granted and that its TSTInfo carries our imprint and nonce. The token's signature and the
// TSA's path are checked by TimeStampTokenVerifier, not here.

export class HttpTimeStampAuthorityClient implements TimeStampAuthorityClient {
  constructor(private readonly url: string, private readonly policy: RetryPolicy, private readonly transport: HttpTransport) {}

  async stamp(sha256Imprint: Uint8Array): Promise<Uint8Array> {
    usePkijsWithNodeCrypto();
    if (sha256Imprint.length !== 32) throw new DomainError('request.invalid', { details: [{ field: 'imprint', message: 'a SHA-256 imprint is 32 bytes' }] });
    const nonce = randomBytes(8);
    nonce[0] = ((nonce[0] ?? 1) & 0x7f) | 0x01;
    const request = new pkijs.TimeStampReq({
      version: 1,
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: oid.sha256 }),
        hashedMessage: new asn1js.OctetString({ valueHex: sha256Imprint }),
      }),
      nonce: new asn1js.Integer({ valueHex: nonce }),
      certReq: true,
    });
    const response = await sendWithRetries(this.transport, {
      method: 'POST', url: this.url, body: new Uint8Array(request.toSchema().toBER(false)), contentType: 'application/timestamp-query',
    }, this.policy, 'pki.tsa_unavailable');
    const fail = (message: string): DomainError => new DomainError('pki.tsa_unavailable', { details: [{ field: this.url, message }] });
    const reply = readTimeStampResp(response.body);
    if (typeof reply === 'string') throw fail(reply);
    if (!Buffer.from(reply.imprint).equals(sha256Imprint)) throw fail('the token is over another imprint');
    if (!reply.nonce || !Buffer.from(reply.nonce).equals(nonce)) throw fail('the token nonce does not match ours');
    return reply.token;
  }
}

const signedDataOid = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid.signedData }).toBER(false));
const tstInfoOid = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid.tstInfo }).toBER(false));

/**
 * Reads a TimeStampResp (RFC 3161 §2.4.2) by walking the DER headers (pkijs schemas and a full asn1js parse
 * of the certificates it carries cost several ms a reply): the status, the token's bytes, and the TSTInfo
 * imprint and nonce. Returns a reason when unusable.
 */
function readTimeStampResp(der: Uint8Array): { token: Uint8Array; imprint: Uint8Array; nonce?: Uint8Array } | string {
  try {
    const response = readTlv(der, 0);
    const [statusInfo, token] = childrenOf(der, response);
    const status = statusInfo ? childrenOf(der, statusInfo)[0] : undefined;
    if (!statusInfo || status?.tag !== 0x02) return 'the answer has no PKIStatus';
    const code = contentsOf(der, status).reduce((n, b) => n * 256 + b, 0);
    if (code > 1 || !token) {
      const text = childrenOf(der, statusInfo)[1];
      const strings = text?.tag === 0x30 ? childrenOf(der, text).map((t) => Buffer.from(contentsOf(der, t)).toString('utf8')).join('; ') : '';
      return `time-stamp refused (status ${code}${strings ? `: ${strings}` : ''})`;
    }
    const [contentType, explicit] = childrenOf(der, token);
    if (!contentType || !Buffer.from(encodingOf(der, contentType)).equals(signedDataOid) || explicit?.tag !== 0xa0) return 'the token is not a SignedData';
    const signedData = childrenOf(der, explicit)[0];
    const encap = signedData ? childrenOf(der, signedData)[2] : undefined;
    const [eContentType, eExplicit] = encap ? childrenOf(der, encap) : [];
    const eContent = eExplicit?.tag === 0xa0 ? childrenOf(der, eExplicit)[0] : undefined;
    if (!eContentType || !Buffer.from(encodingOf(der, eContentType)).equals(tstInfoOid) || eContent?.tag !== 0x04) return 'the token does not hold a TSTInfo';
    const info = asn1js.fromBER(contentsOf(der, eContent).slice() as Uint8Array<ArrayBuffer>);
    if (info.offset === -1 || !(info.result instanceof asn1js.Sequence)) return 'malformed TSTInfo';
    const fields = info.result.valueBlock.value;
    const messageImprint = fields[2];
    const algorithm = messageImprint instanceof asn1js.Sequence ? (messageImprint.valueBlock.value[0] as asn1js.Sequence | undefined)?.valueBlock.value[0] : undefined;
    const hashed = messageImprint instanceof asn1js.Sequence ? messageImprint.valueBlock.value[1] : undefined;
    if (!(algorithm instanceof asn1js.ObjectIdentifier) || algorithm.valueBlock.toString() !== oid.sha256 || !(hashed instanceof asn1js.OctetString)) return 'the token imprint is not SHA-256';
    // TSTInfo: version, policy, messageImprint, serialNumber, genTime, accuracy?, ordering?, nonce? (an INTEGER), …
    const nonce = fields.slice(5).find((f) => f instanceof asn1js.Integer) as asn1js.Integer | undefined;
    return {
      token: new Uint8Array(encodingOf(der, token)),
      imprint: hashed.valueBlock.valueHexView,
      ...(nonce ? { nonce: nonce.valueBlock.valueHexView } : {}),
    };
  } catch (error) {
    return `the answer is not a TimeStampResp (${(error as Error).message})`;
  }
}
