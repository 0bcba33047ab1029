import { DevCertificateAuthority } from './dev-certificate-authority.ts';
import { answerOcspRequest, type TrustServiceResponse } from './ocsp-responder.ts';
import { answerTimeStampRequest } from './tsa-responder.ts';

export type { TrustServiceResponse } from './ocsp-responder.ts';

/** An express-free handler the http layer can mount: request body in, status/content type/body out. */
export type TrustServiceHandler = (body: Uint8Array) => Promise<TrustServiceResponse>;

export interface DevTrustServices {
  readonly authority: DevCertificateAuthority;
  /** POST application/ocsp-request → application/ocsp-response (RFC 6960 Appendix A). */
  readonly ocsp: TrustServiceHandler;
  /** POST application/timestamp-query → application/timestamp-reply (RFC 3161 §3.4). */
  readonly tsa: TrustServiceHandler;
  /** GET /crl/<name>.crl: a fresh CRL of the named CA (root or issuing-ca), or 404. */
  crl(name: string): Promise<TrustServiceResponse>;
  /** Routes a request by path (`/ocsp`, `/ocsp/<base64>`, `/tsa`, `/crl/<ca>.crl`), as `pki serve` and the in-process transport do. */
  route(method: string, path: string, body: Uint8Array): Promise<TrustServiceResponse>;
}

const notFound = (text: string): TrustServiceResponse => ({ status: 404, contentType: 'text/plain; charset=utf-8', body: new TextEncoder().encode(text) });

/** Builds the dev OCSP, TSA and CRL services over certs-dev/ (development mode only). */
export function createDevTrustServices(options: { dir: string; passphrase: string; clock?: () => Date; authority?: DevCertificateAuthority }): DevTrustServices {
  const authority = options.authority ?? DevCertificateAuthority.load(options.dir, options.passphrase);
  const clock = options.clock ?? (() => new Date());
  const ocsp: TrustServiceHandler = (body) => answerOcspRequest(authority, body, clock());
  const tsa: TrustServiceHandler = (body) => answerTimeStampRequest(authority, body, clock());
  const crl = async (name: string): Promise<TrustServiceResponse> => {
    const caId = name.replace(/\.crl$/, '');
    if (caId !== 'root' && caId !== 'issuing-ca') return notFound(`no CRL ${name}`);
    return { status: 200, contentType: 'application/pkix-crl', body: await authority.crl(caId, clock()) };
  };
  const route = async (method: string, path: string, body: Uint8Array): Promise<TrustServiceResponse> => {
    const clean = path.split('?')[0] ?? '';
    if (method === 'POST' && clean === '/ocsp') return ocsp(body);
    if (method === 'GET' && clean.startsWith('/ocsp/')) return ocsp(new Uint8Array(Buffer.from(decodeURIComponent(clean.slice(6)), 'base64'))); // RFC 6960 A.1 GET form
    if (method === 'POST' && clean === '/tsa') return tsa(body);
    if (method === 'GET' && clean.startsWith('/crl/')) return crl(clean.slice(5));
    return notFound(`no route ${method} ${clean}`);
  };
  return { authority, ocsp, tsa, crl, route };
}
