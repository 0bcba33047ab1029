// A real `edoc-node start` OS process for end-to-end and fault tests: its own configuration file
// (EDOC_CONFIG), database (DATABASE_URL), broker (AXIS_URL) and data directory (DATA_DIR), on a free
// port (PORT=0; the URL is read from the start-up log line). Driven over HTTP as a user would; can be
// killed with SIGKILL (or kill itself at a fault point, EDOC_FAULT_KILL_AT, see src/axis/fault-points.ts)
// and started again on the same database and data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
export const PROCESS_TEST_PASSWORD = 'process-test-password-1';

export interface NodeProcessSpec {
  /** A name for logs and files, e.g. the organ id it serves. */
  readonly name: string;
  readonly databaseUrl: string;
  readonly axisUrl: string;
  readonly dataDir: string;
  /** Written to `<dataDir>.config.json` and passed as EDOC_CONFIG (merged over config/default.json). */
  readonly config: Record<string, unknown>;
}

export interface NodeResponse {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly text: string;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const START_LINE = /edoc-node đang chạy tại (http:\/\/\S+?)\/? \(/;

/** Children still running when the test process exits (a crash, mocha --exit) are killed, never left behind. */
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const child of live) child.kill('SIGKILL'); });

export class NodeProcess {
  private outputText = '';

  private constructor(readonly spec: NodeProcessSpec, private readonly child: ChildProcess, readonly exited: Promise<Exit>) {}

  /** Spawns the node and resolves once it listens (after migrations, demo seeding and exchange start). */
  static async start(spec: NodeProcessSpec, options: { faultKillAt?: string; startTimeoutMs?: number } = {}): Promise<{ node: NodeProcess; base: string }> {
    const configFile = `${spec.dataDir}.config.json`;
    writeFileSync(configFile, JSON.stringify(spec.config, null, 2));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: spec.databaseUrl, AXIS_URL: spec.axisUrl, DATA_DIR: spec.dataDir, PORT: '0', HOST: '127.0.0.1',
      EDOC_CONFIG: configFile, DEMO_PASSWORD: PROCESS_TEST_PASSWORD, LOG_LEVEL: 'info', // the start-up line carrying the URL is an info line
    };
    delete env.EDOC_FAULT_KILL_AT;
    delete env.NODE_ENV;
    if (options.faultKillAt) env.EDOC_FAULT_KILL_AT = options.faultKillAt;
    const child = spawn(process.execPath, [join(ROOT, 'bin/edoc-node.js'), 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => { live.delete(child); resolve({ code, signal }); }));
    const node = new NodeProcess(spec, child, exited);
    const listening = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${spec.name} did not start within ${options.startTimeoutMs ?? 90_000} ms:\n${node.output()}`)), options.startTimeoutMs ?? 90_000);
      const onData = (chunk: Buffer) => {
        node.outputText += chunk.toString('utf8');
        if (process.env.PROCESS_TEST_ECHO) process.stderr.write(`[${spec.name}] ${chunk.toString('utf8')}`);
        const match = START_LINE.exec(node.outputText);
        if (match) { clearTimeout(timer); resolve(match[1] as string); }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then((exit) => { clearTimeout(timer); reject(new Error(`${spec.name} exited (${exit.code ?? exit.signal}) before listening:\n${node.output()}`)); });
    });
    try {
      return { node, base: await listening };
    } catch (error) {
      await node.kill(); // never leave a half-started process behind (it would also keep mocha alive)
      throw error;
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  output(): string {
    return this.outputText;
  }

  /** SIGKILL: no shutdown hook runs, open transactions are rolled back by PostgreSQL, unacked deliveries return to the queue. */
  async kill(): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM (graceful: HTTP server, consumers and relay stopped), SIGKILL if it takes longer than 15 s. */
  async stop(): Promise<Exit> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    try { return await this.exited; } finally { clearTimeout(timer); }
  }
}

/** An HTTP client of one node's API that keeps working across restarts (tokens live in the node's database). */
export class NodeClient {
  private readonly tokens = new Map<string, string>();

  constructor(public base: string) {}

  async request(method: string, path: string, options: { user?: string; json?: unknown; body?: Buffer; contentType?: string } = {}): Promise<NodeResponse> {
    const headers: Record<string, string> = {};
    if (options.user) headers.authorization = `Bearer ${await this.token(options.user)}`;
    let body: string | Buffer | undefined = options.body;
    if (options.json !== undefined) { body = JSON.stringify(options.json); headers['content-type'] = 'application/json'; }
    if (options.contentType) headers['content-type'] = options.contentType;
    const res = await fetch(`${this.base}${path}`, { method, headers, body: body as BodyInit | undefined });
    const text = await res.text();
    let parsed: unknown = null;
    try { parsed = JSON.parse(text); } catch { parsed = null; }
    return { status: res.status, body: parsed, text };
  }

  /** Like request(), but fails with the response text unless the status is the expected one. */
  async expect(status: number, method: string, path: string, options: Parameters<NodeClient['request']>[2] = {}): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await this.request(method, path, options);
    if (res.status !== status) throw new Error(`${method} ${path} as ${options.user ?? 'anonymous'}: expected ${status}, got ${res.status} ${res.text}`);
    return res.body;
  }

  private async token(username: string): Promise<string> {
    const cached = this.tokens.get(username);
    if (cached) return cached;
    const res = await this.request('POST', '/api/auth/login', { json: { username, password: PROCESS_TEST_PASSWORD } });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
    this.tokens.set(username, res.body.token as string);
    return res.body.token as string;
  }
}

/** Polls `probe` until it returns a value (not undefined/false) or the deadline passes (a wait, not a timed assertion). */
export async function waitUntil<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
