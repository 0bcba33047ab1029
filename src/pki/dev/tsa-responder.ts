import { createHash, randomBytes, sign as cryptoSign } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { oid } from '../certificates/oids.ts';
import { usePkijsWithNodeCrypto } from '../certificates/pkijs-engine.ts';
import { signingCertificateV2Attribute } from '../timestamp/ess-signing-certificate.ts';
import { octetString, sequence, set, tlv, unsignedInteger } from './der-writer.ts';
import type { DevCertificateAuthority } from './dev-certificate-authority.ts';
import type { TrustServiceResponse } from './ocsp-responder.ts';

// Dev time-stamping authority (RFC 3161): answers a TimeStampReq with a TimeStampToken, a CMS SignedData
// over TSTInfo signed by the dev TSA certificate (critical EKU timeStamping), with the ESS
// signing-certificate-v2 attribute (RFC 5816) and the TSA certificate when certReq is set.

const replyType = 'application/timestamp-reply';
interface TimeStampRequest {
  readonly messageImprint: Uint8Array; // DER, echoed into TSTInfo
  readonly imprintAlgorithm: string;
  readonly imprintLength: number;
  readonly policy?: string;
  readonly nonce?: Uint8Array; // DER INTEGER, echoed
  readonly certReq: boolean;
}

/** TimeStampReq ::= SEQUENCE { version, messageImprint, reqPolicy OID OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE, extensions [0] OPTIONAL } */
function readTimeStampReq(der: Uint8Array): TimeStampRequest | string {
  const parsed = asn1js.fromBER(der as Uint8Array<ArrayBuffer>);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return 'malformed TimeStampReq';
  const [version, imprint, ...rest] = parsed.result.valueBlock.value;
  if (!(version instanceof asn1js.Integer) || version.valueBlock.valueDec !== 1 || !(imprint instanceof asn1js.Sequence)) return 'malformed TimeStampReq';
  const algorithm = (imprint.valueBlock.value[0] as asn1js.Sequence | undefined)?.valueBlock.value[0];
  const hashed = imprint.valueBlock.value[1];
  if (!(algorithm instanceof asn1js.ObjectIdentifier) || !(hashed instanceof asn1js.OctetString)) return 'malformed messageImprint';
  const policy = rest.find((f) => f instanceof asn1js.ObjectIdentifier) as asn1js.ObjectIdentifier | undefined;
  const nonce = rest.find((f) => f instanceof asn1js.Integer) as asn1js.Integer | undefined;
  const certReq = rest.find((f) => f instanceof asn1js.Boolean) as asn1js.Boolean | undefined;
  if (rest.some((f) => f.idBlock.tagClass === 3)) return 'extensions are not supported';
  return {
    messageImprint: new Uint8Array(imprint.valueBeforeDecodeView),
    imprintAlgorithm: algorithm.valueBlock.toString(),
    imprintLength: hashed.valueBlock.valueHexView.length,
    ...(policy ? { policy: policy.valueBlock.toString() } : {}),
    ...(nonce ? { nonce: new Uint8Array(nonce.valueBeforeDecodeView) } : {}),
    certReq: certReq?.valueBlock.value === true,
  };
}

const acceptedImprints = new Set<string>([oid.sha256, oid.sha384, oid.sha512]);

function rejection(failInfoBit: number, text: string): TrustServiceResponse {
  // PKIFailureInfo: badAlg(0), badRequest(2), badDataFormat(5), unacceptedPolicy(15) (RFC 3161 §2.4.2)
  const bits = new Uint8Array((failInfoBit >> 3) + 1);
  bits[failInfoBit >> 3] = 0x80 >> (failInfoBit & 7);
  const status = new pkijs.PKIStatusInfo({
    status: 2, // rejection
    statusStrings: [new asn1js.Utf8String({ value: text })],
    failInfo: new asn1js.BitString({ valueHex: bits, unusedBits: 7 - (failInfoBit & 7) }),
  });
  return { status: 200, contentType: replyType, body: new Uint8Array(new pkijs.TimeStampResp({ status }).toSchema().toBER(false)) };
}

/** DER SET OF: elements sorted by their encodings (X.690 §11.6), as OpenSSL re-encodes before verifying. */
const sortedDer = (elements: Uint8Array[]): Uint8Array[] => [...elements].sort((x, y) => Buffer.compare(x, y));

const headerLength = (der: Uint8Array): number => ((der[1] ?? 0) & 0x80 ? 2 + ((der[1] ?? 0) & 0x7f) : 2);

const attribute = (type: string, value: Uint8Array): Uint8Array => sequence(oidDer(type), set(value));

const oidDer = (value: string): Uint8Array => new Uint8Array(new asn1js.ObjectIdentifier({ value }).toBER(false));

interface TokenParts {
  readonly version1: Uint8Array;
  readonly version3: Uint8Array;
  readonly tstInfoOid: Uint8Array;
  readonly signedDataOid: Uint8Array;
  readonly sha256Algorithm: Uint8Array;
  readonly sha256WithRsaAlgorithm: Uint8Array;
  readonly issuerAndSerial: Uint8Array;
  readonly signingCertificateV2: Uint8Array;
}

const partsByAuthority = new WeakMap<DevCertificateAuthority, TokenParts>();

/** The constant parts of every token of this TSA, encoded once. */
function tokenParts(ca: DevCertificateAuthority): TokenParts {
  let parts = partsByAuthority.get(ca);
  if (!parts) {
    const tsa = ca.tsa;
    parts = {
      version1: new Uint8Array([0x02, 0x01, 0x01]),
      version3: new Uint8Array([0x02, 0x01, 0x03]),
      tstInfoOid: oidDer(oid.tstInfo),
      signedDataOid: oidDer(oid.signedData),
      sha256Algorithm: sequence(oidDer(oid.sha256)),
      sha256WithRsaAlgorithm: sequence(oidDer(oid.sha256WithRSAEncryption), new Uint8Array([0x05, 0x00])),
      issuerAndSerial: sequence(tsa.certificate.issuerDer, unsignedInteger(Buffer.from(tsa.certificate.serialHex, 'hex'))),
      signingCertificateV2: new Uint8Array(signingCertificateV2Attribute(tsa.pkijs, tsa.certificate.der).toSchema().toBER(false)),
    };
    partsByAuthority.set(ca, parts);
  }
  return parts;
}

export async function answerTimeStampRequest(ca: DevCertificateAuthority, body: Uint8Array, now: Date): Promise<TrustServiceResponse> {
  usePkijsWithNodeCrypto();
  const request = readTimeStampReq(body);
  if (typeof request === 'string') return rejection(5, request);
  if (!acceptedImprints.has(request.imprintAlgorithm)) return rejection(0, 'message imprint algorithm not accepted (SHA-256/384/512)');
  const expectedLength = { [oid.sha256]: 32, [oid.sha384]: 48, [oid.sha512]: 64 }[request.imprintAlgorithm];
  if (request.imprintLength !== expectedLength) return rejection(5, 'message imprint has the wrong length');
  if (request.policy !== undefined && request.policy !== oid.devTsaPolicy) return rejection(15, 'unaccepted policy');

  const tsa = ca.tsa;
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 1) & 0x7f) | 0x01;
  // TSTInfo (RFC 3161 §2.4.2): version 1, policy, the request's messageImprint as sent, serial, genTime
  // (whole seconds, accuracy 1 s), nonce as sent.
  const eContent = sequence(
    new Uint8Array([0x02, 0x01, 0x01]), oidDer(oid.devTsaPolicy), request.messageImprint, unsignedInteger(serial),
    tlv(0x18, new TextEncoder().encode(`${now.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`)),
    sequence(new Uint8Array([0x02, 0x01, 0x01])),
    ...(request.nonce ? [request.nonce] : []),
  );
  const parts = tokenParts(ca);
  const signedAttrs = set(...sortedDer([
    attribute(oid.contentType, parts.tstInfoOid),
    attribute(oid.messageDigest, octetString(new Uint8Array(createHash('sha256').update(eContent).digest()))),
    parts.signingCertificateV2,
  ]));
  // RFC 5652 §5.3 SignerInfo, signed with node:crypto over the DER SET OF the signed attributes (§5.4).
  const signerInfo = sequence(
    parts.version1, parts.issuerAndSerial, parts.sha256Algorithm,
    tlv(0xa0, signedAttrs.subarray(headerLength(signedAttrs))),
    parts.sha256WithRsaAlgorithm,
    octetString(new Uint8Array(cryptoSign('sha256', signedAttrs, tsa.privateKey))),
  );
  const signedData = sequence(
    parts.version3,
    set(parts.sha256Algorithm),
    sequence(parts.tstInfoOid, tlv(0xa0, octetString(eContent))),
    ...(request.certReq ? [tlv(0xa0, tsa.certificate.der)] : []),
    set(signerInfo),
  );
  const token = sequence(parts.signedDataOid, tlv(0xa0, signedData));
  // TimeStampResp ::= SEQUENCE { status PKIStatusInfo { granted(0) }, timeStampToken } (RFC 3161 §2.4.2)
  return { status: 200, contentType: replyType, body: sequence(sequence(new Uint8Array([0x02, 0x01, 0x00])), token) };
}
