import { DomainError } from '../../domain/errors.ts';

// How the trust layer reaches OCSP responders, TSAs and CRL distribution points: a small port, so the
// node can route the dev services in-process and tests need no sockets. Production uses HTTP (fetch).

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>;
}

/** Largest answer read from a trust service (a CRL of a big CA is a few MB). */
const maxBodyBytes = 32 * 1024 * 1024;

export class FetchHttpTransport implements HttpTransport {
  async send(request: HttpRequest): Promise<HttpResponse> {
    const response = await fetch(request.url, {
      method: request.method,
      ...(request.body ? { body: request.body as Uint8Array<ArrayBuffer> } : {}),
      headers: request.contentType ? { 'content-type': request.contentType } : {},
      signal: AbortSignal.timeout(request.timeoutMs),
      redirect: 'follow',
    });
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > maxBodyBytes) throw new Error(`${request.url}: answer of ${length} bytes exceeds ${maxBodyBytes}`);
    const body = new Uint8Array(await response.arrayBuffer());
    if (body.length > maxBodyBytes) throw new Error(`${request.url}: answer exceeds ${maxBodyBytes} bytes`);
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body };
  }
}

export interface RetryPolicy {
  readonly timeoutMs: number;
  /** Extra attempts after the first. */
  readonly retries: number;
  readonly retryDelayMs: number;
}

/**
 * Sends with time-out and retries (the government OCSP and TSA are slow: DOMAIN.md §7). Retries on network
 * errors, time-outs and 5xx; a 4xx is final. Throws DomainError(code) when every attempt failed.
 */
export async function sendWithRetries(transport: HttpTransport, request: Omit<HttpRequest, 'timeoutMs'>, policy: RetryPolicy, code: 'pki.revocation_unavailable' | 'pki.tsa_unavailable'): Promise<HttpResponse> {
  const problems: string[] = [];
  for (let attempt = 0; attempt <= policy.retries; attempt += 1) {
    if (attempt > 0 && policy.retryDelayMs > 0) await new Promise((r) => setTimeout(r, policy.retryDelayMs * attempt));
    try {
      const response = await transport.send({ ...request, timeoutMs: policy.timeoutMs });
      if (response.status >= 200 && response.status < 300) return response;
      problems.push(`HTTP ${response.status}`);
      if (response.status < 500) break;
    } catch (cause) {
      problems.push((cause as Error).message);
    }
  }
  throw new DomainError(code, { details: [{ field: request.url, message: problems.join('; ') }] });
}
