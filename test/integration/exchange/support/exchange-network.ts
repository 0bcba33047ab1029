// Several agency nodes in one test process, each with its own database (PostgreSQL or PGlite), on one
// axis: real RabbitMQ (a vhost per run, a name prefix per network) or one shared in-process transport.
// The directory is signed with the dev directory key (certs-dev/directory/) and distributed over the axis.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeApp, type NodeApp } from '../../../../src/app.ts';
import { buildAxisTransport, type BuiltAxisTransport } from '../../../../src/axis/build-axis-transport.ts';
import { loadConfig } from '../../../../src/config/load.ts';
import type { Config } from '../../../../src/config/schema.ts';
import type { DirectoryAgency, DirectoryBody, SignedDirectory } from '../../../../src/domain/directory.ts';
import { signDirectory } from '../../../../src/services/directory-service.ts';
import { demoNetwork } from '../../../../src/domain/demo-network.ts';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../../../support/databases.ts';
import { cheapHasher, seedNetwork, TestClock } from '../../../support/network.ts';

export const ROOT = new URL('../../../../', import.meta.url).pathname;
const DEV = join(ROOT, 'certs-dev');
const PASS = process.env.EDOC_DEV_PKI_PASSPHRASE || 'edoc-dev-1234';

export const derOf = (file: string): Buffer => Buffer.from(new X509Certificate(readFileSync(file)).raw);
export const organisationKey = (organId: string) => createPrivateKey({ key: readFileSync(join(DEV, 'agencies', organId, 'organisation.key.pem')), format: 'pem', passphrase: PASS });
export const organisationCert = (organId: string): Buffer => derOf(join(DEV, 'agencies', organId, 'organisation.crt.pem'));
export const issuingCa = (): Buffer => derOf(join(DEV, 'ca', 'issuing-ca.crt.pem'));

/** A directory of the demo agencies (minus `exclude`), signed with the dev directory key. */
export function devDirectory(options: { version: number; validFrom: Date; validUntil: Date; exclude?: readonly string[] }): SignedDirectory {
  const agencies: DirectoryAgency[] = demoNetwork.filter((a) => !options.exclude?.includes(a.organId)).map((a) => ({
    organId: a.organId, name: a.name, level: a.level, parentOrganId: a.parentOrganId, certificates: [organisationCert(a.organId).toString('base64')],
  }));
  const body: DirectoryBody = { version: options.version, issuedAt: options.validFrom.toISOString(), validFrom: options.validFrom.toISOString(), validUntil: options.validUntil.toISOString(), agencies };
  const key = createPrivateKey({ key: readFileSync(join(DEV, 'directory', 'directory.key.pem')), format: 'pem', passphrase: PASS });
  return signDirectory(body, key, derOf(join(DEV, 'directory', 'directory.crt.pem')));
}

export interface AxisUnderTest {
  readonly url: string | null; // RabbitMQ vhost URL, or null for the shared in-process transport
  readonly prefix: string;
}

export interface ExchangeTestNode {
  readonly organId: string;
  readonly app: NodeApp;
  readonly db: TestDatabase;
  readonly clock: TestClock;
  readonly dataDir: string;
}

export interface ExchangeNetwork {
  readonly nodes: readonly ExchangeTestNode[];
  /** A transport for a rogue sender (hosting nothing): publishes raw packages into any inbox. */
  readonly rogue: BuiltAxisTransport;
  node(organId: string): ExchangeTestNode;
  close(): Promise<void>;
}

function nodeConfig(base: Config, axis: AxisUnderTest, organId: string, dataDir: string): Config {
  return {
    ...base,
    dataDir,
    // A per-file limit of 2 MB (50 MB in production) so that the oversized case needs only a 3 MB file.
    attachments: { ...base.attachments, maxBytes: 2 * 1024 * 1024 },
    axis: { ...base.axis, url: axis.url, prefix: axis.prefix, relay: { ...base.axis.relay, pollIntervalMs: 100, retryScheduleMs: [200, 500, 1000] } },
    exchange: { ...base.exchange, hostedOrganIds: [organId], directory: { ...base.exchange.directory, signerCertificate: join(DEV, 'directory', 'directory.crt.pem'), issuers: [join(DEV, 'ca', 'issuing-ca.crt.pem')], devSigningKey: null } },
  };
}

export async function startExchangeNetwork(kind: DatabaseKind, axis: AxisUnderTest, organIds: readonly string[]): Promise<ExchangeNetwork> {
  const base = loadConfig({ configDir: join(ROOT, 'config'), env: { LOG_LEVEL: process.env.EXCHANGE_TEST_LOG ?? 'silent' } });
  const scratch = mkdtempSync(join(tmpdir(), 'edoc-exchange-'));
  const rogueConfig = nodeConfig(base, axis, 'none', join(scratch, 'rogue'));
  const rogue = buildAxisTransport(rogueConfig.axis, { dataDir: rogueConfig.dataDir, hostedOrganIds: [] });
  await rogue.start();
  const shared = axis.url ? undefined : rogue; // in-process: every node uses the one transport
  const nodes: ExchangeTestNode[] = [];
  for (const organId of organIds) {
    const db = await createTestDatabase(kind);
    const clock = new TestClock(new Date());
    await seedNetwork(db.database, clock);
    const dataDir = join(scratch, organId);
    const app = await createNodeApp(nodeConfig(base, axis, organId, dataDir), { database: db.database, clock, hasher: cheapHasher(), ...(shared ? { axisTransport: shared } : {}) });
    await app.exchange.start();
    nodes.push({ organId, app, db, clock, dataDir });
  }
  return {
    nodes, rogue,
    node(organId) {
      const n = nodes.find((x) => x.organId === organId);
      if (!n) throw new Error(`no node for ${organId}`);
      return n;
    },
    async close() {
      for (const n of nodes) { await n.app.exchange.stop(); await n.db.drop(); }
      await rogue.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Polls until `probe` returns a value (not undefined/false) or the time runs out. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
