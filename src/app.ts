// The composition root: the one place that constructs adapters and services and wires them together.
import { createHash, createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Express } from 'express';
import type { Config } from './config/schema.ts';
import type { Clock } from './domain/vietnam-time.ts';
import type { UnitOfWork } from './domain/unit-of-work.ts';
import type { PasswordHasher } from './domain/user.ts';
import { ScryptPasswordHasher } from './auth/scrypt-password-hasher.ts';
import { openDatabase, type Database } from './db/connection.ts';
import { KnexAuditReader } from './db/knex-audit-log.ts';
import { KnexUnitOfWork } from './db/knex-unit-of-work.ts';
import { BatchingRegistrationWriter } from './db/batching-registration-writer.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createHttpApp } from './http/server.ts';
import { FileSystemBlobStore } from './storage/fs-blob-store.ts';
import { AssignmentService } from './services/assignment-service.ts';
import { AttachmentService } from './services/attachment-service.ts';
import { AuditService } from './services/audit-service.ts';
import { AuthService } from './services/auth-service.ts';
import { seedDemoNetwork, type SeedResult } from './services/demo-seed.ts';
import { RegisterBookService } from './services/register-book-service.ts';
import { RegistryService } from './services/registry-service.ts';
import { UserService } from './services/user-service.ts';
import { DomainError } from './domain/errors.ts';
import type { DocumentSignatureTools, UnsealedKey } from './domain/signing-keys.ts';
import { signDetachedCms } from './pki/cms/signed-data-builder.ts';
import { keyObjectCredentials } from './pki/cms/signer.ts';
import { devPassphrase } from './pki/dev/dev-manifest.ts';
import { createDevTrustServices } from './pki/dev/dev-trust-services.ts';
import { importPkcs12 } from './pki/keys/signing-key.ts';
import { appendPadesSignature } from './pki/pades/incremental-signer.ts';
import { createTrustLayer, type TrustLayer } from './pki/trust/trust-layer.ts';
import { summariseCertificate } from './pki/verify/certificate-facts.ts';
import { SignatureVerifier } from './pki/verify/signature-verifier.ts';
import { seedDemoKeys } from './services/demo-keys.ts';
import { KeySealer } from './services/key-custody-sealing.ts';
import { KeyCustodyService } from './services/key-custody-service.ts';
import { SigningService } from './services/signing-service.ts';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { bytesPayload } from './domain/axis-transport.ts';
import type { AxisDelivery } from './domain/axis-transport.ts';
import type { DirectoryHealth, SignedDirectory } from './domain/directory.ts';
import { isDomainError } from './domain/errors.ts';
import type { ExchangeRepositories, ExchangeUnitOfWork, PackageSigner, PackageVerifier } from './domain/exchange.ts';
import { buildAxisTransport, buildOutboxRelay, type BuiltAxisTransport } from './axis/build-axis-transport.ts';
import { InboxConsumer } from './axis/inbox-consumer.ts';
import type { OutboxRelay } from './axis/outbox-relay.ts';
import { KnexExchangeUnitOfWork } from './db/knex-exchange-unit-of-work.ts';
import { KnexOutboxStore } from './db/knex-outbox-store.ts';
import type { SigningCredentials } from './pki/cms/signer.ts';
import { signEnvelope } from './pki/xmldsig/envelope-signer.ts';
import { DirectoryHolder, signDirectory } from './services/directory-service.ts';
import { ExchangeClerkService } from './services/exchange-clerk.ts';
import { DIRECTORY_SERVICE_TYPE, ExchangeReceivingService } from './services/exchange-receiving.ts';
import { ExchangeSendingService } from './services/exchange-sending.ts';
import { StatusEmitter } from './services/exchange-status.ts';

export interface Logger {
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

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
  readonly http: Express;
  migrate(): Promise<string[]>;
  seedDemo(): Promise<SeedResult>;
  close(): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date() };

export const consoleLogger = (level: Config['log']['level']): Logger => ({
  info: (m) => { if (level === 'debug' || level === 'info') console.log(m); },
  error: (m, e) => { if (level !== 'silent') console.error(m, e ?? ''); },
});

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

export async function createNodeApp(config: Readonly<Config>, options: AppOptions = {}): Promise<NodeApp> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? consoleLogger(config.log.level);
  const database = options.database ?? (await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolMax: config.database.poolMax, acquireTimeoutMs: config.database.acquireTimeoutMs }));
  const uow = new KnexUnitOfWork(database.knex, clock);
  const hasher = options.hasher ?? new ScryptPasswordHasher(config.auth.scrypt);
  const blobs = new FileSystemBlobStore(join(resolve(config.dataDir), 'blobs'));

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

  const health = async () => {
    try {
      await database.knex.raw('select 1');
      return { status: 'ok' as const, database: { status: 'ok', kind: database.kind }, axis: { status: config.axis.url ? 'configured' : 'in-process' }, directory: exchange.directoryHealth() };
    } catch {
      return { status: 'degraded' as const, database: { status: 'unavailable', kind: database.kind }, axis: { status: config.axis.url ? 'configured' : 'in-process' }, directory: exchange.directoryHealth() };
    }
  };
  const http = createHttpApp({ auth, registry, registerBooks, attachments, assignments, users, audit, keyCustody, signing, exchange: { sending: exchange.sending, clerk: exchange.clerk }, health, bodyLimitBytes: config.server.bodyLimitBytes, attachmentMaxBytes: config.attachments.maxBytes, log: (m, e) => logger.error(m, e) });

  return {
    config, database, uow, hasher, auth, registry, registerBooks, attachments, assignments, users, audit, keyCustody, signing, exchange, http,
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

/** The node's trust layer; in development mode the dev OCSP/TSA of certs-dev/ are called in-process. */
function nodeTrustLayer(config: Readonly<Config>, clock: Clock): TrustLayer {
  const devDir = resolve(config.pki.dev.dir);
  const now = () => clock.now();
  const devServices = config.pki.devMode && existsSync(join(devDir, 'manifest.json')) ? createDevTrustServices({ dir: devDir, passphrase: devPassphrase(), clock: now }) : undefined;
  return createTrustLayer(config.pki, { ...(devServices ? { devServices } : {}), clock: now });
}

/** The signing services' cryptography port over src/pki (PKCS#12, PAdES, detached CMS, the verifier). */
function pkiSignatureTools(layer: TrustLayer, clock: Clock): DocumentSignatureTools {
  const verifier = new SignatureVerifier({ pathValidator: layer.paths, timeStampVerifier: layer.timestamps });
  const credentials = (key: UnsealedKey) => keyObjectCredentials(createPrivateKey({ key: key.privateKeyPkcs8, format: 'der', type: 'pkcs8' }), key.certificate, key.chain);
  return {
    openPkcs12: (bytes, passphrase) => {
      const m = importPkcs12(bytes, passphrase);
      return { privateKeyPkcs8: m.privateKey.export({ type: 'pkcs8', format: 'der' }), certificate: Buffer.from(m.certificate), chain: m.chain.map((c) => Buffer.from(c)) };
    },
    describeCertificate: (der) => {
      const s = summariseCertificate(der);
      return { subject: s.subject, serialNumber: s.serialNumber, notBefore: new Date(s.notBefore), notAfter: new Date(s.notAfter), sha256: s.sha256, ...(s.organId ? { organId: s.organId } : {}) };
    },
    checkCertificate: async (der, chain, kind) => {
      const r = await layer.paths.validate({ signer: der, candidates: chain, at: clock.now(), purpose: kind === 'personal' ? 'personal-signing' : 'organisation-signing' });
      return { ok: r.indication === 'TOTAL_PASSED', message: `${r.indication}${r.subIndication ? `/${r.subIndication}` : ''}: ${r.message}` };
    },
    signPdf: (pdf, key, o) => appendPadesSignature(pdf, { credentials: credentials(key), tsa: layer.tsa, signingTime: o.signingTime, reason: o.reason }),
    signDetached: (sha256, key, at) => signDetachedCms({ contentSha256: sha256, credentials: credentials(key), signingTime: at, tsa: layer.tsa }),
    verifyPdf: (pdf) => verifier.verifyPdf(pdf),
    verifyDetached: (cms, content) => verifier.verifyDetachedCms(cms, content),
  };
}

/** The exchange over the axis (docs/exchange.md): directory, sending, receiving, statuses, started on demand. */
export interface ExchangeNode {
  readonly directory: DirectoryHolder;
  /** One transaction over the registry, the exchange tables, the outbox and the inbox. */
  readonly unitOfWork: ExchangeUnitOfWork;
  readonly sending: ExchangeSendingService;
  readonly clerk: ExchangeClerkService;
  readonly receiving: ExchangeReceivingService;
  /** Loads the directory (database, then `exchange.directory.file` if newer), connects the axis, starts relay and consumers. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Operator: installs a signed directory here and publishes it to every agency it lists, over the axis. */
  publishDirectory(signed: SignedDirectory): Promise<number>;
  directoryHealth(): DirectoryHealth;
  /** Wakes the outbox relay (after a commit that enqueued entries). */
  wake(): void;
  /** Observes every inbox message after its commit (benchmarks, notifications); returns the unsubscribe. */
  onCommitted(listener: (event: ExchangeCommitted) => void): () => void;
}

/** An inbox message whose effect committed: its headers and the outcome recorded (the first time, for a duplicate). */
export interface ExchangeCommitted {
  readonly headers: AxisDelivery['headers'];
  readonly outcome: Readonly<Record<string, unknown>>;
  readonly duplicate: boolean;
}

interface ExchangeDeps {
  readonly database: Database;
  readonly uow: KnexUnitOfWork;
  readonly blobs: FileSystemBlobStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly keyCustody: KeyCustodyService;
  readonly sharedTransport?: BuiltAxisTransport;
}

const pemToDer = (file: string): Buffer => Buffer.from(new X509Certificate(readFileSync(resolve(file))).raw);

function createExchangeNode(config: Readonly<Config>, deps: ExchangeDeps): ExchangeNode {
  const { database, clock, logger } = deps;
  const directory = new DirectoryHolder(
    { signerCertificate: pemToDer(config.exchange.directory.signerCertificate), issuers: config.exchange.directory.issuers.map(pemToDer) },
    config.exchange.directory.warnBeforeHours * 3600_000,
  );
  const exchangeUow = new KnexExchangeUnitOfWork(database.knex, deps.uow);
  const keys = new Map<string, SigningCredentials>();
  const signer: PackageSigner = {
    signPackage: async (organId, unsigned) => {
      const credentials = keys.get(organId);
      if (!credentials) throw new DomainError('exchange.no_organisation_key', { details: [{ field: 'organId', message: `${organId} is not hosted here or has no organisation key` }] });
      return signEnvelope(Buffer.from(unsigned), credentials);
    },
  };
  let trust: TrustLayer | undefined;
  let verifier: SignatureVerifier | undefined;
  const packageVerifier: PackageVerifier = {
    verifyEnvelope: (bytes) => (verifier ??= envelopeVerifier((trust ??= nodeTrustLayer(config, clock)), directory)).verifyEnvelope(Buffer.from(bytes)),
    verifyPdf: (bytes) => (verifier ??= envelopeVerifier((trust ??= nodeTrustLayer(config, clock)), directory)).verifyPdf(Buffer.from(bytes)),
  };
  let transport: BuiltAxisTransport | undefined;
  let relay: OutboxRelay | undefined;
  let consumer: InboxConsumer<ExchangeRepositories> | undefined;
  const wake = () => relay?.wake();
  const committedListeners = new Set<(event: ExchangeCommitted) => void>();
  const emitter = new StatusEmitter(signer);
  const sending = new ExchangeSendingService(exchangeUow, directory, signer, deps.blobs, clock, wake);
  const clerk = new ExchangeClerkService(exchangeUow, directory, emitter, clock, wake);
  const receiving = new ExchangeReceivingService(directory, packageVerifier, emitter, deps.blobs, clock, {
    attachmentMaxBytes: config.attachments.maxBytes,
    onDirectory: (version, installed) => logger.info(`directory version ${version} ${installed ? 'installed' : 'already current'}`),
  });

  const hostedOrganIds = async (): Promise<string[]> => config.exchange.hostedOrganIds
    ?? (await database.knex('agencies').where({ hosted: true }).orderBy('organ_id').pluck('organ_id')) as string[];

  /** Organisation keys: key custody's active key; in dev mode, certs-dev/agencies/<organ id>/ when custody has none. */
  const loadKey = async (organId: string): Promise<void> => {
    try {
      const key = await deps.keyCustody.unsealOrganisationForNode(organId, 'exchange: sign edXML envelopes and status messages');
      keys.set(organId, keyObjectCredentials(createPrivateKey({ key: key.privateKeyPkcs8, format: 'der', type: 'pkcs8' }), key.certificate, key.chain));
      return;
    } catch (error) {
      if (!isDomainError(error, 'pki.key_not_found') || !config.pki.devMode) throw error;
    }
    const dir = resolve(config.pki.dev.dir);
    const keyFile = join(dir, 'agencies', organId, 'organisation.key.pem');
    if (!existsSync(keyFile)) return;
    keys.set(organId, keyObjectCredentials(createPrivateKey({ key: readFileSync(keyFile), format: 'pem', passphrase: devPassphrase() }),
      pemToDer(join(dir, 'agencies', organId, 'organisation.crt.pem')), [pemToDer(join(dir, 'ca', 'issuing-ca.crt.pem'))]));
  };

  return {
    directory, sending, clerk, receiving,
    unitOfWork: exchangeUow,
    wake,
    onCommitted(listener) {
      committedListeners.add(listener);
      return () => { committedListeners.delete(listener); };
    },
    directoryHealth: () => directory.health(clock.now()),
    async start() {
      const organIds = await hostedOrganIds();
      for (const organId of organIds) await loadKey(organId);
      const stored = await exchangeUow.run((repos) => repos.exchange.loadDirectory());
      if (stored) directory.install(stored, clock.now());
      if (config.exchange.directory.file) {
        const { installed, directory: d } = directory.install(JSON.parse(readFileSync(resolve(config.exchange.directory.file), 'utf8')), clock.now());
        if (installed) await exchangeUow.run((repos) => repos.exchange.saveDirectory(d.signed, d.body.version));
      }
      if (!directory.directory && config.pki.devMode && config.exchange.directory.devSigningKey) {
        // Development mode only: a directory of this database's agencies, signed with the dev directory key.
        const signed = devDirectory(database, config, clock.now());
        if (signed) { const d = directory.install(await signed, clock.now()).directory; await exchangeUow.run((repos) => repos.exchange.saveDirectory(d.signed, d.body.version)); }
      }
      transport = deps.sharedTransport ?? buildAxisTransport(config.axis, { dataDir: config.dataDir, hostedOrganIds: organIds, onProblem: (p) => logger.error(`axis: ${JSON.stringify(p)}`) });
      if (!deps.sharedTransport) await transport.start();
      relay = buildOutboxRelay(config.axis, new KnexOutboxStore(database.knex), transport);
      relay.start();
      consumer = new InboxConsumer<ExchangeRepositories>({
        transport, unitOfWork: exchangeUow,
        inbox: { find: (repos, recipient, messageId) => repos.inbox.find(recipient, messageId), record: (repos, record) => repos.inbox.record(record) },
        handler: (repos, delivery: AxisDelivery) => receiving.handle(repos, delivery),
        afterCommit: async (delivery, result) => {
          if (result.duplicate) await exchangeUow.run((repos) => receiving.resendAfterDuplicate(repos, delivery.headers, result.outcome));
          wake();
          for (const listener of committedListeners) listener({ headers: delivery.headers, outcome: result.outcome, duplicate: result.duplicate });
        },
        onError: (error, delivery) => logger.error(`exchange: message ${delivery.headers.messageId} from ${delivery.headers.from}`, error),
        clock: () => clock.now(),
        batchSize: config.axis.inbox.batchSize,
      });
      await consumer.start(organIds);
    },
    async stop() {
      await consumer?.stop();
      await relay?.stop();
      if (!deps.sharedTransport) await transport?.close();
      consumer = undefined; relay = undefined; transport = undefined;
    },
    async publishDirectory(signed) {
      const { directory: d, installed } = directory.install(signed, clock.now());
      if (installed) await exchangeUow.run((repos) => repos.exchange.saveDirectory(d.signed, d.body.version));
      if (!transport) throw new DomainError('axis.unavailable', { details: [{ message: 'the exchange is not started' }] });
      const bytes = Buffer.from(JSON.stringify(signed), 'utf8');
      const digest = createHash('sha256').update(bytes).digest('hex');
      for (const agency of d.body.agencies) {
        await transport.publish({ headers: { from: 'directory', to: agency.organId, messageType: 'edoc', serviceType: DIRECTORY_SERVICE_TYPE, messageId: `directory-${d.body.version}-${agency.organId}`, packageDigest: digest }, payload: bytesPayload(bytes) });
      }
      return d.body.agencies.length;
    },
  };
}

/** The dev directory: every agency of the database with its certs-dev/ organisation certificate, valid 30 days. */
async function devDirectory(database: Database, config: Readonly<Config>, now: Date): Promise<SignedDirectory> {
  const dir = resolve(config.pki.dev.dir);
  const rows = await database.knex('agencies').select('organ_id', 'name', 'level', 'parent_organ_id').orderBy('organ_id') as { organ_id: string; name: string; level: 'central' | 'province' | 'district' | 'commune'; parent_organ_id: string | null }[];
  const agencies = rows.map((r) => {
    const cert = join(dir, 'agencies', r.organ_id, 'organisation.crt.pem');
    return { organId: r.organ_id, name: r.name, level: r.level, parentOrganId: r.parent_organ_id, certificates: existsSync(cert) ? [pemToDer(cert).toString('base64')] : [] };
  });
  const key = createPrivateKey({ key: readFileSync(resolve(config.exchange.directory.devSigningKey as string)), format: 'pem', passphrase: devPassphrase() });
  return signDirectory({ version: 1, issuedAt: now.toISOString(), validFrom: new Date(now.getTime() - 3600_000).toISOString(), validUntil: new Date(now.getTime() + 30 * 24 * 3600_000).toISOString(), agencies },
    key, pemToDer(config.exchange.directory.signerCertificate));
}

function envelopeVerifier(layer: TrustLayer, directory: DirectoryHolder): SignatureVerifier {
  return new SignatureVerifier({ pathValidator: layer.paths, timeStampVerifier: layer.timestamps, directory: { organIdOf: (certificate) => directory.organIdOf(certificate.sha256) } });
}
