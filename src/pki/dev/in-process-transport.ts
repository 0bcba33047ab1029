import type { HttpRequest, HttpResponse, HttpTransport } from '../trust/http-transport.ts';
import type { DevTrustServices } from './dev-trust-services.ts';

/**
 * Routes requests for the dev services' base URL to the in-process handlers (dev mode, tests, benchmarks:
 * no socket); anything else goes to `fallback` (or fails, as an unreachable service would).
 */
export class InProcessTrustTransport implements HttpTransport {
  constructor(private readonly baseUrl: string, private readonly services: DevTrustServices, private readonly fallback?: HttpTransport) {}

  async send(request: HttpRequest): Promise<HttpResponse> {
    if (request.url.startsWith(`${this.baseUrl}/`)) {
      const answer = await this.services.route(request.method, request.url.slice(this.baseUrl.length), request.body ?? new Uint8Array());
      return { status: answer.status, contentType: answer.contentType, body: answer.body };
    }
    if (this.fallback) return this.fallback.send(request);
    throw new Error(`${request.url}: unreachable (in-process transport)`);
  }
}
