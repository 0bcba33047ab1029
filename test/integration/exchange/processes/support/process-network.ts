// Agency nodes as real OS processes (`edoc-node start`), each with its own PostgreSQL database and data
// directory, on one RabbitMQ vhost and name prefix, with one signed directory file for all. The test
// keeps a direct connection to every node's database to count rows (no loss, no duplicate) while the
// nodes are driven over HTTP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CuttableProxy } from '../../../axis/support/cuttable-proxy.ts';
import { createTestDatabase, type TestDatabase } from '../../../../support/databases.ts';
import { NodeClient, NodeProcess, type Exit, type NodeProcessSpec } from '../../../../support/node-process.ts';
import { devDirectory, ROOT } from '../../support/exchange-network.ts';

const HOUR = 3600_000;

/** Where a node reaches its dependencies: through its own cuttable TCP proxies, so a test can cut either. */
export interface NodeRoutes {
  readonly databaseUrl: string;
  readonly axisUrl: string;
  /** Between the node and PostgreSQL (the test's own connection goes direct). */
  readonly database: CuttableProxy;
  /** Between the node and RabbitMQ. */
  readonly broker: CuttableProxy;
}

/** The same URL with host and port replaced by the proxy's. */
function through(url: string, proxy: CuttableProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

async function routesFor(databaseUrl: string, axisUrl: string): Promise<NodeRoutes> {
  const db = new URL(databaseUrl);
  const amqp = new URL(axisUrl);
  const database = await CuttableProxy.start(db.hostname, Number(db.port || 5432));
  const broker = await CuttableProxy.start(amqp.hostname, Number(amqp.port || 5672));
  return { databaseUrl: through(databaseUrl, database), axisUrl: through(axisUrl, broker), database, broker };
}

export class AgencyNode {
  process: NodeProcess | undefined;
  readonly client: NodeClient;

  constructor(
    readonly organId: string,
    readonly db: TestDatabase,
    readonly dataDir: string,
    readonly routes: NodeRoutes,
    private readonly config: Record<string, unknown>,
  ) {
    this.client = new NodeClient('http://127.0.0.1:0');
  }

  /** The node's database, queried directly by the test (never through the node's proxy). */
  get knex() {
    return this.db.database.knex;
  }

  /** Starts the process (same database, same data directory as before); optionally armed with a fault point. */
  async start(options: { faultKillAt?: string } = {}): Promise<void> {
    if (this.process && !(await isDead(this.process))) throw new Error(`${this.organId} is already running`);
    const spec: NodeProcessSpec = { name: this.organId, databaseUrl: this.routes.databaseUrl, axisUrl: this.routes.axisUrl, dataDir: this.dataDir, config: this.config };
    const { node, base } = await NodeProcess.start(spec, options);
    this.process = node;
    this.client.base = base;
  }

  /** Starts the process again if it is not running (a failed case must not leave the next one without its node). */
  async ensureRunning(): Promise<void> {
    if (!this.process || (await isDead(this.process))) await this.start();
  }

  /** Graceful stop then start (e.g. to arm a fault point or change routes). */
  async restart(options: { faultKillAt?: string } = {}): Promise<void> {
    await this.process?.stop();
    await this.start(options);
  }

  /** Waits for the process to die (e.g. at its armed fault point). */
  async died(): Promise<Exit> {
    if (!this.process) throw new Error(`${this.organId} was never started`);
    return this.process.exited;
  }
}

async function isDead(process: NodeProcess): Promise<boolean> {
  return Promise.race([process.exited.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
}

export interface ProcessNetworkOptions {
  readonly axisUrl: string;
  readonly prefix: string;
}

/** The configuration of a node under test: fast relay and reconnection, cheap password hashing, short leases. */
export function nodeConfig(organIds: readonly string[], prefix: string, directoryFile: string): Record<string, unknown> {
  return {
    exchange: { hostedOrganIds: organIds, directory: { file: directoryFile, devSigningKey: null, signerCertificate: join(ROOT, 'certs-dev/directory/directory.crt.pem'), issuers: [join(ROOT, 'certs-dev/ca/issuing-ca.crt.pem')] } },
    auth: { scrypt: { cost: 1024 } },
    signing: { scryptCost: 1024 },
    database: { acquireTimeoutMs: 3000 },
    axis: {
      prefix,
      publishTimeoutMs: 5000,
      reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
      // A lease of 10 s (2 × publishTimeoutMs): a relay killed holding entries frees them 10 s later. A publish
      // timing out is re-sent (deduped by the receiver, but seen by the "no double sending" check): not too short.
      relay: { pollIntervalMs: 100, leaseMs: 10000, retryScheduleMs: [200, 500, 1000, 2000, 4000, 8000, 15000, 30000] },
    },
  };
}

export class ProcessNetwork {
  readonly nodes = new Map<string, AgencyNode>();
  private readonly twins: AgencyNode[] = [];

  private constructor(readonly scratch: string, readonly directoryFile: string, private readonly options: ProcessNetworkOptions) {}

  /** One directory of the demo agencies, valid from an hour ago for 30 days, signed with the dev directory key. */
  static create(options: ProcessNetworkOptions): ProcessNetwork {
    const scratch = mkdtempSync(join(tmpdir(), 'edoc-processes-'));
    const now = Date.now();
    const directoryFile = join(scratch, 'directory.json');
    writeFileSync(directoryFile, JSON.stringify(devDirectory({ version: 1, validFrom: new Date(now - HOUR), validUntil: new Date(now + 30 * 24 * HOUR) })));
    return new ProcessNetwork(scratch, directoryFile, options);
  }

  /** A fresh database (migrated) and data directory for the agency, and its process started. */
  async add(organId: string): Promise<AgencyNode> {
    const db = await createTestDatabase('postgres', { poolMax: 4 });
    if (!db.url) throw new Error('a PostgreSQL test database has a URL');
    const node = new AgencyNode(organId, db, join(this.scratch, organId), await routesFor(db.url, this.options.axisUrl), nodeConfig([organId], this.options.prefix, this.directoryFile));
    this.nodes.set(organId, node);
    await node.start();
    return node;
  }

  /** A second process serving the same agency on the same database and data directory (through the same proxies). */
  twin(of: AgencyNode): AgencyNode {
    const twin = new AgencyNode(of.organId, of.db, of.dataDir, of.routes, nodeConfig([of.organId], this.options.prefix, this.directoryFile));
    this.twins.push(twin);
    return twin;
  }

  node(organId: string): AgencyNode {
    const node = this.nodes.get(organId);
    if (!node) throw new Error(`no node for ${organId}`);
    return node;
  }

  async close(): Promise<void> {
    for (const node of [...this.twins, ...this.nodes.values()]) await node.process?.stop();
    for (const node of this.nodes.values()) {
      await node.routes.database.close();
      await node.routes.broker.close();
      await node.db.drop();
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
