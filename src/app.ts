// The composition root: the one place that constructs adapters and services and wires them together
// (with src/composition/: the exchange node, the signature tools over src/pki, the logger).
import { join, resolve } from 'node:path';
import type { Express } from 'express';
import type { Config } from './config/schema.ts';
import type { Clock } from './domain/vietnam-time.ts';
import type { UnitOfWork } from './domain/unit-of-work.ts';
import type { BlobStore } from './domain/registry-ports.ts';
import type { PasswordHasher } from './domain/user.ts';
import { ScryptPasswordHasher } from './auth/scrypt-password-hasher.ts';
import { buildAxisTransport, type BuiltAxisTransport } from './axis/build-axis-transport.ts';
import type { AxisDeadLetterQueue } from './domain/axis-transport.ts';
import { createExchangeNode, type ExchangeNode } from './composition/exchange-node.ts';
import { consoleLogger, type Logger } from './composition/logger.ts';
import { nodeTrustLayer, pkiSignatureTools } from './composition/signature-tools.ts';
import { openDatabase, type Database } from './db/connection.ts';
import { KnexAuditReader } from './db/knex-audit-log.ts';
import { KnexUnitOfWork } from './db/knex-unit-of-work.ts';
import { BatchingRegistrationWriter } from './db/batching-registration-writer.ts';
import { migrateToLatest } from './db/migrate.ts';
import { DomainError } from './domain/errors.ts';
import type { DocumentSignatureTools } from './domain/signing-keys.ts';
import { createHttpApp } from './http/server.ts';
import { devPassphrase } from './pki/dev/dev-manifest.ts';
import { FileSystemBlobStore } from './storage/fs-blob-store.ts';
import { KnexBlobReferences } from './db/knex-blob-references.ts';
import { BlobSweepService } from './services/blob-sweep-service.ts';
import { PackageFileBlobStore, writeOutPackageFiles } from './services/package-file-blobs.ts';
import { AssignmentService } from './services/assignment-service.ts';
import { AttachmentService } from './services/attachment-service.ts';
import { AuditService } from './services/audit-service.ts';
import { AuthService } from './services/auth-service.ts';
import { seedDemoKeys } from './services/demo-keys.ts';
import { seedDemoNetwork, type SeedResult } from './services/demo-seed.ts';
import { KeySealer } from './services/key-custody-sealing.ts';
import { KeyCustodyService } from './services/key-custody-service.ts';
import { RegisterBookService } from './services/register-book-service.ts';
import { RegistryService } from './services/registry-service.ts';
import { SigningService } from './services/signing-service.ts';
import { UserService } from './services/user-service.ts';

export { consoleLogger, type Logger } from './composition/logger.ts';
export type { ExchangeCommitted, ExchangeNode } from './composition/exchange-node.ts';

export interface NodeApp {
  readonly config: Readonly<Config>;
  readonly database: Database;
  readonly uow: UnitOfWork;
  readonly hasher: PasswordHasher;
  readonly auth: AuthService;
  readonly registry: RegistryService;
  readonly registerBooks: RegisterBookService;
  readonly attachments: AttachmentService;
  readonly assignments: AssignmentService;
  readonly users: UserService;
  readonly audit: AuditService;
  readonly keyCustody: KeyCustodyService;
  readonly signing: SigningService;
  readonly exchange: ExchangeNode;
  /** The blob store the services read and write through (files kept in their package made on first read). */
  readonly blobs: BlobStore;
  /** The operator's sweep of unreferenced blobs (`edoc-node blobs sweep`). */
  readonly blobSweep: BlobSweepService;
  /** Received files kept only in their package written out as blobs of their own (`edoc-node blobs write-out`). */
  writeOutPackageFiles(): Promise<{ readonly written: number; readonly missing: readonly string[] }>;
  readonly http: Express;
  migrate(): Promise<string[]>;
  seedDemo(): Promise<SeedResult>;
  close(): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date() };

export interface AppOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Use this database instead of opening one from the configuration (tests). */
  readonly database?: Database;
  readonly hasher?: PasswordHasher;
  /** Environment the node secret of key custody is read from (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** An axis transport shared with other nodes of the same process (tests, several in-process nodes); not closed by this node. */
  readonly axisTransport?: BuiltAxisTransport;
}

/**
 * The broker's dead-letter queue for an operator (`edoc-node axis dead-letters|redrive`): a RabbitMQ
 * connection that declares and asserts the shared topology and consumes nothing; no database. The
 * in-process axis keeps its dead letters in the running node's memory, out of reach of another process.
 */
export async function openAxisDeadLetters(config: Readonly<Config>): Promise<AxisDeadLetterQueue & { close(): Promise<void> }> {
  if (!config.axis.url) throw new DomainError('axis.dead_letters_in_process', { details: [{ field: 'AXIS_URL', message: 'not set' }] });
  const transport = buildAxisTransport(config.axis, { dataDir: config.dataDir, hostedOrganIds: [] });
  await transport.start();
  return transport;
}

export async function createNodeApp(config: Readonly<Config>, options: AppOptions = {}): Promise<NodeApp> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? consoleLogger(config.log.level);
  const database = options.database ?? (await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolMax: config.database.poolMax, acquireTimeoutMs: config.database.acquireTimeoutMs }));
  const uow = new KnexUnitOfWork(database.knex, clock);
  const hasher = options.hasher ?? new ScryptPasswordHasher(config.auth.scrypt);
  const files = new FileSystemBlobStore(join(resolve(config.dataDir), 'blobs'));
  const upgraded = await files.upgradeLayout(); // a store written before 7 Dec 2026 (ab/cd/<sha256>)
  if (upgraded > 0) logger.info(`Kho tệp: đã chuyển ${upgraded} tệp sang cách xếp thư mục một cấp — blob store: ${upgraded} files moved to the one-level layout`);

  // What every service reads and writes through: a received file kept in its package is made a blob on first read.
  const blobs = new PackageFileBlobStore(files, (sha256) => uow.run((repos) => repos.attachments.packagesHolding(sha256)), config.attachments.maxBytes);

  const auth = new AuthService(uow, hasher, clock, config.auth);
  const registry = new RegistryService(uow, clock, new BatchingRegistrationWriter(database.knex));
  const registerBooks = new RegisterBookService(uow);
  const attachments = new AttachmentService(uow, blobs, config.attachments);
  const users = new UserService(uow, hasher);
  const audit = new AuditService(new KnexAuditReader(database.knex));
  // Signing (docs/signing-custody.md): the trust layer and the key sealer are built on first use.
  let signatureTools: DocumentSignatureTools | undefined;
  const tools = (): DocumentSignatureTools => (signatureTools ??= pkiSignatureTools(nodeTrustLayer(config, clock), clock));
  let sealer: KeySealer | undefined;
  const env = options.env ?? process.env;
  const nodeSecret = env[config.signing.nodeSecretEnv] || (config.pki.devMode && env.NODE_ENV !== 'production' ? DEV_NODE_SECRET : undefined);
  const keySealer = (): KeySealer => {
    if (!nodeSecret) throw new DomainError('pki.custody_secret_missing', { details: [{ field: config.signing.nodeSecretEnv, message: 'set this environment variable (at least 16 characters)' }] });
    return (sealer ??= new KeySealer(nodeSecret, { cost: config.signing.scryptCost }));
  };
  const keyCustody = new KeyCustodyService(uow, tools, keySealer, clock, config.signing);
  const signing = new SigningService(uow, blobs, keyCustody, tools, clock, config.attachments.maxBytes);

  const exchange = createExchangeNode(config, { database, uow, blobs, clock, logger, keyCustody, ...(options.axisTransport ? { sharedTransport: options.axisTransport } : {}) });
  // Assigning or completing a document received over the axis tells its sender (04/06) in the same transaction.
  const assignments = new AssignmentService(uow, clock, { uow: exchange.unitOfWork, progress: exchange.clerk, afterCommit: exchange.wake });

  // 503 only when the database is down (the node cannot serve its users); the axis and the directory
  // are reported for monitoring: a lost broker, dead letters or failed sends need an operator, not a restart.
  const health = async () => {
    const axis = await exchange.axisHealth();
    try {
      await database.knex.raw('select 1');
      return { status: 'ok' as const, database: { status: 'ok', kind: database.kind }, axis, directory: exchange.directoryHealth() };
    } catch {
      return { status: 'degraded' as const, database: { status: 'unavailable', kind: database.kind }, axis, directory: exchange.directoryHealth() };
    }
  };
  const http = createHttpApp({ auth, registry, registerBooks, attachments, assignments, users, audit, keyCustody, signing, exchange: { sending: exchange.sending, clerk: exchange.clerk, quarantine: exchange.quarantine, outbox: exchange.outbox }, health, bodyLimitBytes: config.server.bodyLimitBytes, attachmentMaxBytes: config.attachments.maxBytes, log: (m, e) => logger.error(m, e) });

  return {
    config, database, uow, hasher, auth, registry, registerBooks, attachments, assignments, users, audit, keyCustody, signing, exchange, http,
    blobs, blobSweep: new BlobSweepService(files, new KnexBlobReferences(database.knex), clock),
    writeOutPackageFiles: () => writeOutPackageFiles(uow, blobs),
    migrate: () => migrateToLatest(database.knex),
    seedDemo: async () => {
      const seeded = await seedDemoNetwork(uow, hasher, config.demo.password);
      if (config.pki.devMode) {
        const keys = await seedDemoKeys({ uow, custody: keyCustody, tools, devDir: resolve(config.pki.dev.dir), passphrase: devPassphrase() });
        if (keys.seeded.length) logger.info(`Đã nạp ${keys.seeded.length} khóa ký mẫu từ ${config.pki.dev.dir} (PIN của lãnh đạo mẫu: xem docs/signing-custody.md)`);
      }
      return seeded;
    },
    close: async () => { await exchange.stop(); await database.close(); },
  };
}

/** Development mode only (never with NODE_ENV=production): the documented node secret when EDOC_KEY_SECRET (signing.nodeSecretEnv) is unset. */
const DEV_NODE_SECRET = 'edoc-dev-node-secret-not-for-production';
