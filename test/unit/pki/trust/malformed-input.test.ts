import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { devServicesBaseUrl } from '../../../../src/pki/dev/dev-pki-plan.ts';
import { buildOcspRequest, OcspResponseError, verifyOcspResponse } from '../../../../src/pki/revocation/ocsp.ts';
import { CmsTimeStampTokenVerifier } from '../../../../src/pki/timestamp/timestamp-token-verifier.ts';
import { HttpTimeStampAuthorityClient } from '../../../../src/pki/timestamp/tsa-client.ts';
import { cert, harness } from './dev-pki-fixture.ts';

// The DER readers face bytes from the network and from other agencies: any corruption of a token or an
// OCSP response gives a verdict or a typed refusal, never a crash and never a pass for signed bytes.

const mutate = (bytes: Uint8Array, at: number, xor: number): Uint8Array => {
  const copy = new Uint8Array(bytes);
  copy[at % copy.length] = (copy[at % copy.length] ?? 0) ^ xor;
  return copy;
};

describe('pki trust: malformed and corrupted input (property tests)', () => {
  it('a corrupted time-stamp token never throws; corrupting its TSTInfo or signature never passes', async () => {
    const h = harness();
    const imprint = new Uint8Array(createHash('sha256').update('x').digest());
    const token = await new HttpTimeStampAuthorityClient(`${devServicesBaseUrl}/tsa`, { timeoutMs: 2000, retries: 0, retryDelayMs: 0 }, h.transport).stamp(imprint);
    const verifier = new CmsTimeStampTokenVerifier(h.validator, h.cache);
    // The signed region: from the TSTInfo (inside eContent) to the end (signed attributes, signature); the
    // certificates set between them is unsigned but binds through the ESS attribute and the signature.
    const tstStart = Buffer.from(token).indexOf(Buffer.from([0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04])) + 13;
    expect(tstStart).to.be.greaterThan(13);
    // Found by this property (seed -603334863): the NULL parameters of the SignerInfo's signature algorithm
    // are outside the signature; turning them into another empty value must still be refused.
    const sha256WithRsaNull = Buffer.from('06092a864886f70d01010b0500', 'hex');
    const nullAt = Buffer.from(token).lastIndexOf(sha256WithRsaNull) + 11;
    expect(nullAt).to.be.greaterThan(tstStart);
    for (const xor of [1, 0x80]) expect((await verifier.verify(mutate(token, nullAt, xor), imprint)).indication).to.equal('TOTAL_FAILED');
    await fc.assert(fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
      const position = tstStart + (at % (token.length - tstStart));
      const result = await verifier.verify(mutate(token, position, xor), imprint);
      expect(result.indication).to.not.equal('TOTAL_PASSED');
    }), { numRuns: 150 });
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: token.length }), async (junk, cut) => {
      const result = await verifier.verify(new Uint8Array([...token.subarray(0, cut), ...junk]), imprint);
      expect(['TOTAL_PASSED', 'TOTAL_FAILED', 'INDETERMINATE']).to.include(result.indication);
      if (cut < token.length) expect(result.indication).to.not.equal('TOTAL_PASSED');
    }), { numRuns: 150 });
  });

  it('a corrupted OCSP response is refused with OcspResponseError (or verifies unchanged), never another error', async () => {
    const h = harness();
    const leaf = h.cache.get(cert('org:000.00.00.G22'));
    const issuer = h.cache.get(cert('issuing-ca'));
    const request = buildOcspRequest(leaf, issuer);
    const response = (await h.services.ocsp(request.der)).body;
    await fc.assert(fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, xor) => {
      const corrupted = mutate(response, at, xor);
      try {
        const answer = verifyOcspResponse(corrupted, leaf, issuer, { nonce: request.nonce, source: 'test', parse: (d) => h.cache.get(d) });
        // Only bytes outside the signed response data (e.g. the carried certificate's unsigned parts) may change and still verify.
        expect(answer.status).to.equal('good');
      } catch (error) {
        if (!(error instanceof OcspResponseError) && (error as { code?: string }).code !== 'pki.invalid_certificate') throw error;
      }
    }), { numRuns: 300 });
  });
});
