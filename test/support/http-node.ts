// A node on a random port over a test database, for HTTP tests.
import type { Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeApp, type NodeApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.ts';
import { cheapHasher, seedNetwork, TestClock, TEST_PASSWORD } from './network.ts';

export interface HttpNode {
  readonly app: NodeApp;
  readonly base: string;
  readonly db: TestDatabase;
  readonly clock: TestClock;
  login(username: string): Promise<string>;
  request(method: string, path: string, options?: { token?: string; json?: unknown; body?: string | Buffer; headers?: Record<string, string> }): Promise<{ status: number; body: any; text: string; headers: Headers }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

export interface HttpNodeOptions {
  /** Adjust the loaded configuration (e.g. cheaper key sealing in signing tests). */
  readonly configure?: (config: Config) => Config;
  /** Environment the app reads at construction (e.g. the node secret of key custody). */
  readonly appEnv?: Record<string, string>;
}

export async function startHttpNode(kind: DatabaseKind, env: Record<string, string> = {}, options: HttpNodeOptions = {}): Promise<HttpNode> {
  const db = await createTestDatabase(kind);
  const clock = new TestClock(new Date());
  await seedNetwork(db.database, clock);
  const dataDir = mkdtempSync(join(tmpdir(), 'edoc-http-'));
  const loaded = loadConfig({ configDir: new URL('../../config/', import.meta.url).pathname, env: { DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env } });
  const config = options.configure ? options.configure(loaded) : loaded;
  const app = await createNodeApp(config, { database: db.database, clock, hasher: cheapHasher(), ...(options.appEnv ? { env: options.appEnv } : {}) });
  const server: Server = app.http.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const request: HttpNode['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined = options.body;
    if (options.json !== undefined) { body = JSON.stringify(options.json); headers['content-type'] ??= 'application/json'; }
    const res = await fetch(`${base}${path}`, { method, headers, body: body as BodyInit | undefined });
    const text = await res.text();
    let parsed: unknown = null;
    try { parsed = JSON.parse(text); } catch { parsed = null; }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  const tokens = new Map<string, string>();
  return {
    app, base, db, clock, request,
    async login(username) {
      const cached = tokens.get(username);
      if (cached) return cached;
      const res = await request('POST', '/api/auth/login', { json: { username, password: TEST_PASSWORD } });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
      tokens.set(username, res.body.token);
      return res.body.token as string;
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await db.drop();
    },
  };
}
