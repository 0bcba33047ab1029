import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDevTrustServices, type DevTrustServices } from './dev-trust-services.ts';

// `edoc-node pki serve`: the dev trust services over node:http, bound to 127.0.0.1 only.

const maxRequestBytes = 64 * 1024;

export interface DevTrustServer {
  readonly url: string;
  readonly services: DevTrustServices;
  close(): Promise<void>;
}

export async function startDevTrustServer(options: { dir: string; passphrase: string; port: number; clock?: () => Date; services?: DevTrustServices }): Promise<DevTrustServer> {
  const services = options.services ?? createDevTrustServices({ dir: options.dir, passphrase: options.passphrase, ...(options.clock ? { clock: options.clock } : {}) });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxRequestBytes) { res.writeHead(413).end(); req.destroy(); return; }
      chunks.push(chunk);
    });
    req.on('end', () => {
      services.route(req.method ?? 'GET', req.url ?? '/', new Uint8Array(Buffer.concat(chunks)))
        .then((answer) => { res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': answer.body.length }).end(answer.body); })
        .catch(() => { res.writeHead(500).end(); });
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(options.port, '127.0.0.1', resolve); });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    services,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
