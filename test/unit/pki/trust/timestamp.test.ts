import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { CmsTimeStampTokenVerifier } from '../../../../src/pki/timestamp/timestamp-token-verifier.ts';
import { HttpTimeStampAuthorityClient } from '../../../../src/pki/timestamp/tsa-client.ts';
import { isDomainError } from '../../../../src/domain/errors.ts';
import { devServicesBaseUrl } from '../../../../src/pki/dev/dev-pki-plan.ts';
import { entry, harness } from './dev-pki-fixture.ts';

// RFC 3161 round trip through the dev TSA: client → token → verifier (imprint, CMS signature, ESS
// signing-certificate-v2, TSA path with critical EKU timeStamping).

const policy = { timeoutMs: 2_000, retries: 0, retryDelayMs: 0 };
const imprintOf = (text: string): Uint8Array => new Uint8Array(createHash('sha256').update(text).digest());

function setup(): { h: ReturnType<typeof harness>; client: HttpTimeStampAuthorityClient; verifier: CmsTimeStampTokenVerifier } {
  const h = harness();
  return { h, client: new HttpTimeStampAuthorityClient(`${devServicesBaseUrl}/tsa`, policy, h.transport), verifier: new CmsTimeStampTokenVerifier(h.validator, h.cache) };
}

describe('pki trust: RFC 3161 time-stamps (dev TSA, client, token verifier)', () => {
  it('stamps an imprint and verifies the token: genTime, TSA, evidence', async () => {
    const { client, verifier } = setup();
    const before = Date.now();
    const token = await client.stamp(imprintOf('văn bản'));
    const result = await verifier.verify(token, imprintOf('văn bản'));
    expect(result.indication, result.message).to.equal('TOTAL_PASSED');
    expect(result.genTime!.getTime()).to.be.within(before - 1000, Date.now() + 1000);
    expect(result.evidence?.tsa.sha256).to.equal(entry('tsa').sha256);
    expect(Buffer.from(result.evidence?.der ?? '', 'base64').equals(token)).to.equal(true);
    expect(result.tsaPath?.revocation.map((r) => r.status)).to.deep.equal(['good', 'good']);
  });

  it('a token over other data → TOTAL_FAILED/HASH_FAILURE', async () => {
    const { client, verifier } = setup();
    const token = await client.stamp(imprintOf('bản gốc'));
    const result = await verifier.verify(token, imprintOf('bản đã sửa'));
    expect([result.indication, result.subIndication]).to.deep.equal(['TOTAL_FAILED', 'HASH_FAILURE']);
  });

  it('a tampered TSTInfo → TOTAL_FAILED/HASH_FAILURE (messageDigest), a tampered signature → SIG_CRYPTO_FAILURE', async () => {
    const { client, verifier } = setup();
    const imprint = imprintOf('x');
    const token = Buffer.from(await client.stamp(imprint));
    const accuracy = token.indexOf(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])); // Accuracy { seconds 1 } inside TSTInfo
    expect(accuracy).to.be.greaterThan(0);
    const tstTampered = Buffer.from(token);
    tstTampered[accuracy + 4] = 2;
    expect((await verifier.verify(tstTampered, imprint)).subIndication).to.equal('HASH_FAILURE');

    const sigTampered = Buffer.from(token);
    const at = sigTampered.length - 10; // the SignerInfo's signature value ends the token (no unsigned attributes)
    sigTampered[at] = (sigTampered[at] ?? 0) ^ 0x01;
    expect((await verifier.verify(sigTampered, imprint)).subIndication).to.equal('SIG_CRYPTO_FAILURE');
  });

  it('garbage, truncation, trailing bytes → TOTAL_FAILED/FORMAT_FAILURE', async () => {
    const { client, verifier } = setup();
    const imprint = imprintOf('x');
    const token = await client.stamp(imprint);
    for (const bad of [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), token.subarray(0, token.length - 1), Buffer.concat([token, Buffer.from([0])]), new Uint8Array(0)]) {
      const result = await verifier.verify(bad, imprint);
      expect([result.indication, result.subIndication]).to.deep.equal(['TOTAL_FAILED', 'FORMAT_FAILURE']);
    }
  });

  it('a token whose certificate is not the TSA (ESS binding) or lacks it → not passed', async () => {
    const { client, verifier } = setup();
    const imprint = imprintOf('y');
    const token = Buffer.from(await client.stamp(imprint));
    const tsaSerial = Buffer.from(entry('tsa').serialNumber, 'hex');
    // The serial appears in the certificate, then in the SignerInfo's sid, then in the signed ESS attribute.
    const sid = token.indexOf(tsaSerial, token.indexOf(tsaSerial) + 1);
    const unbound = Buffer.from(token);
    unbound[sid + 3] = (unbound[sid + 3] ?? 0) ^ 0xff;
    expect((await verifier.verify(unbound, imprint)).subIndication).to.equal('NO_SIGNING_CERTIFICATE_FOUND');
    const ess = token.lastIndexOf(tsaSerial);
    expect(ess).to.be.greaterThan(sid);
    const rebound = Buffer.from(token);
    rebound[ess + 3] = (rebound[ess + 3] ?? 0) ^ 0xff;
    expect((await verifier.verify(rebound, imprint)).subIndication).to.equal('SIG_CRYPTO_FAILURE'); // signed attribute altered
  });

  it('TSA unreachable → pki.tsa_unavailable after the configured retries', async () => {
    const h = harness();
    h.transport.reachable = false;
    const client = new HttpTimeStampAuthorityClient(`${devServicesBaseUrl}/tsa`, { timeoutMs: 1000, retries: 2, retryDelayMs: 0 }, h.transport);
    const error = await client.stamp(imprintOf('x')).then(() => undefined, (e: unknown) => e);
    expect(isDomainError(error, 'pki.tsa_unavailable')).to.equal(true);
    expect(h.transport.requests).to.have.length(3);
  });

  it('an imprint that is not SHA-256 sized is refused before any request', async () => {
    const { client, h } = setup();
    const error = await client.stamp(new Uint8Array(20)).then(() => undefined, (e: unknown) => e);
    expect(isDomainError(error, 'request.invalid')).to.equal(true);
    expect(h.transport.requests).to.have.length(0);
  });
});
