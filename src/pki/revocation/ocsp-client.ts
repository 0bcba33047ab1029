import type { ParsedCertificate } from '../certificates/parsed-certificate.ts';
import { sendWithRetries, type HttpTransport, type RetryPolicy } from '../trust/http-transport.ts';
import { buildOcspRequest, verifyOcspResponse } from './ocsp.ts';
import type { RevocationAnswer } from './revocation-answer.ts';

/**
 * RFC 6960 client over HTTP (Appendix A.1, POST application/ocsp-request) with time-out and retries: asks
 * `url` about `cert`, with a fresh nonce, and returns the verified answer. Throws DomainError
 * pki.revocation_unavailable when unreachable, OcspResponseError when the answer is unusable.
 */
export class HttpOcspClient {
  constructor(private readonly policy: RetryPolicy, private readonly transport: HttpTransport, private readonly parse?: (der: Uint8Array) => ParsedCertificate) {}

  async status(url: string, cert: ParsedCertificate, issuer: ParsedCertificate): Promise<RevocationAnswer> {
    const request = buildOcspRequest(cert, issuer);
    const response = await sendWithRetries(this.transport, { method: 'POST', url, body: request.der, contentType: 'application/ocsp-request' }, this.policy, 'pki.revocation_unavailable');
    return verifyOcspResponse(response.body, cert, issuer, { nonce: request.nonce, source: url, ...(this.parse ? { parse: this.parse } : {}) });
  }
}
