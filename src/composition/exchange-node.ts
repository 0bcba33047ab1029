// The exchange over the axis, wired: directory, organisation keys, signer and verifier, the services, the
// transport, the outbox relay and the inbox consumer (docs/exchange.md). Part of the composition root.
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildAxisTransport, buildOutboxRelay, type BuiltAxisTransport } from '../axis/build-axis-transport.ts';
import { InboxConsumer } from '../axis/inbox-consumer.ts';
import type { OutboxRelay } from '../axis/outbox-relay.ts';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/connection.ts';
import { KnexExchangeUnitOfWork } from '../db/knex-exchange-unit-of-work.ts';
import { KnexOutboxStore } from '../db/knex-outbox-store.ts';
import type { KnexUnitOfWork } from '../db/knex-unit-of-work.ts';
import { bytesPayload, type AxisDelivery, type AxisHealth } from '../domain/axis-transport.ts';
import type { DirectoryHealth, SignedDirectory } from '../domain/directory.ts';
import { DomainError, isDomainError } from '../domain/errors.ts';
import type { ExchangeRepositories, ExchangeUnitOfWork, PackageSigner, PackageVerifier } from '../domain/exchange.ts';
import { readBlob } from '../domain/registry-ports.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import { keyObjectCredentials, type SigningCredentials } from '../pki/cms/signer.ts';
import { devPassphrase } from '../pki/dev/dev-manifest.ts';
import type { TrustLayer } from '../pki/trust/trust-layer.ts';
import { SignatureVerifier } from '../pki/verify/signature-verifier.ts';
import { joinSignedParts, signEnvelope, signEnvelopeSkeleton } from '../pki/xmldsig/envelope-signer.ts';
import { DirectoryHolder, signDirectory } from '../services/directory-service.ts';
import { ExchangeClerkService } from '../services/exchange-clerk.ts';
import { ExchangeOutboxService } from '../services/exchange-outbox.ts';
import { ExchangeQuarantineService } from '../services/exchange-quarantine.ts';
import { OrganisationKeyRing } from '../services/organisation-key-ring.ts';
import { DIRECTORY_SERVICE_TYPE, ExchangeReceivingService } from '../services/exchange-receiving.ts';
import { ExchangeSendingService } from '../services/exchange-sending.ts';
import { StatusEmitter } from '../services/exchange-status.ts';
import type { KeyCustodyService } from '../services/key-custody-service.ts';
import type { BlobStore } from '../domain/registry-ports.ts';
import type { Logger } from './logger.ts';
import { nodeTrustLayer } from './signature-tools.ts';

/** The exchange over the axis (docs/exchange.md): directory, sending, receiving, statuses, started on demand. */
export interface ExchangeNode {
  readonly directory: DirectoryHolder;
  /** One transaction over the registry, the exchange tables, the outbox and the inbox. */
  readonly unitOfWork: ExchangeUnitOfWork;
  readonly sending: ExchangeSendingService;
  readonly clerk: ExchangeClerkService;
  readonly receiving: ExchangeReceivingService;
  /** Packages refused on receipt: the list, and receipt again once the cause is mended. */
  readonly quarantine: ExchangeQuarantineService;
  /** Entries whose retries ran out, sent again (a document, or all the agency's). */
  readonly outbox: ExchangeOutboxService;
  /** Loads the directory (database, then `exchange.directory.file` if newer), connects the axis, starts relay and consumers. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Operator: installs a signed directory here and publishes it to every agency it lists, over the axis. */
  publishDirectory(signed: SignedDirectory): Promise<number>;
  directoryHealth(): DirectoryHealth;
  /** Broker connection, dead letters, outbox backlog; never throws (a part it cannot read is null). */
  axisHealth(): Promise<AxisHealth>;
  /** After a commit that enqueued entries: wakes the outbox relay, unless the hand-off already gave them to it. */
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

export interface ExchangeDeps {
  readonly database: Database;
  readonly uow: KnexUnitOfWork;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly keyCustody: KeyCustodyService;
  readonly sharedTransport?: BuiltAxisTransport;
}

const pemToDer = (file: string): Buffer => Buffer.from(new X509Certificate(readFileSync(resolve(file))).raw);

export function createExchangeNode(config: Readonly<Config>, deps: ExchangeDeps): ExchangeNode {
  const { database, clock, logger } = deps;
  const directory = new DirectoryHolder(
    { signerCertificate: pemToDer(config.exchange.directory.signerCertificate), issuers: config.exchange.directory.issuers.map(pemToDer) },
    config.exchange.directory.warnBeforeHours * 3600_000,
  );
  const exchangeUow = new KnexExchangeUnitOfWork(database.knex, deps.uow);
  const keys = new OrganisationKeyRing<SigningCredentials>({
    activeKeyId: (organId) => deps.keyCustody.activeOrganisationKeyId(organId),
    load: (organId) => loadKey(organId),
  });
  const credentialsOf = (organId: string): SigningCredentials => {
    const credentials = keys.credentials(organId);
    if (!credentials) throw new DomainError('exchange.no_organisation_key', { details: [{ field: 'organId', message: `${organId} is not hosted here or has no organisation key` }] });
    return credentials;
  };
  const signer: PackageSigner = {
    signPackage: async (organId, unsigned) => signEnvelope(Buffer.from(unsigned), credentialsOf(organId)),
    signPackageSkeleton: async (organId, unsigned) => signEnvelopeSkeleton({ ...unsigned, skeleton: Buffer.from(unsigned.skeleton.buffer, unsigned.skeleton.byteOffset, unsigned.skeleton.byteLength) }, credentialsOf(organId)),
  };
  let trust: TrustLayer | undefined;
  let verifier: SignatureVerifier | undefined;
  const packageVerifier: PackageVerifier = {
    verifyEnvelope: (bytes) => (verifier ??= envelopeVerifier((trust ??= nodeTrustLayer(config, clock)), directory)).verifyEnvelope(bytes),
    verifyEnvelopeStream: (read) => (verifier ??= envelopeVerifier((trust ??= nodeTrustLayer(config, clock)), directory)).verifyEnvelopeStream(read),
    verifyPdf: (bytes) => (verifier ??= envelopeVerifier((trust ??= nodeTrustLayer(config, clock)), directory)).verifyPdf(bytes),
  };
  let transport: BuiltAxisTransport | undefined;
  let relay: OutboxRelay | undefined;
  let consumer: InboxConsumer<ExchangeRepositories> | undefined;
  const wake = () => relay?.wake();
  // After a commit that wrote outbox entries: while the hand-off is on, the unit of work has given them to
  // the relay already (and asked for a claim if some need one), so no claim is wanted for them.
  let handingOff = false;
  const wakeAfterEnqueue = () => { if (!handingOff) relay?.wake(); };
  const committedListeners = new Set<(event: ExchangeCommitted) => void>();
  const emitter = new StatusEmitter(signer);
  const sending = new ExchangeSendingService(exchangeUow, directory, signer, deps.blobs, clock, wakeAfterEnqueue);
  const clerk = new ExchangeClerkService(exchangeUow, directory, emitter, clock, wakeAfterEnqueue);
  const receiving = new ExchangeReceivingService(directory, packageVerifier, emitter, deps.blobs, clock, {
    attachmentMaxBytes: config.attachments.maxBytes,
    onDirectory: (version, installed) => logger.info(`directory version ${version} ${installed ? 'installed' : 'already current'}`),
  });
  const quarantine = new ExchangeQuarantineService(exchangeUow, receiving, clock, wakeAfterEnqueue);
  // A package kept as its parts (the signed skeleton, the files) is made again from the blob store when claimed.
  const outboxStore = new KnexOutboxStore(database.knex, deps.blobs, (parts) => joinSignedParts(parts, (sha256) => readBlob(deps.blobs, sha256)));
  const outbox = new ExchangeOutboxService(exchangeUow, directory, clock, wake);

  const hostedOrganIds = async (): Promise<string[]> => config.exchange.hostedOrganIds
    ?? (await database.knex('agencies').where({ hosted: true }).orderBy('organ_id').pluck('organ_id')) as string[];

  /** Organisation keys: key custody's active key; in dev mode, certs-dev/agencies/<organ id>/ when custody has none. */
  const loadKey = async (organId: string): Promise<{ keyId: string | null; credentials: SigningCredentials } | undefined> => {
    try {
      const key = await deps.keyCustody.unsealOrganisationForNode(organId, 'exchange: sign edXML envelopes and status messages');
      return { keyId: key.keyId, credentials: keyObjectCredentials(createPrivateKey({ key: key.privateKeyPkcs8, format: 'der', type: 'pkcs8' }), key.certificate, key.chain) };
    } catch (error) {
      if (!isDomainError(error, 'pki.key_not_found')) throw error;
      if (!config.pki.devMode) return undefined; // retired with no successor: sending says exchange.no_organisation_key
    }
    const dir = resolve(config.pki.dev.dir);
    const keyFile = join(dir, 'agencies', organId, 'organisation.key.pem');
    if (!existsSync(keyFile)) return undefined;
    return { keyId: null, credentials: keyObjectCredentials(createPrivateKey({ key: readFileSync(keyFile), format: 'pem', passphrase: devPassphrase() }),
      pemToDer(join(dir, 'agencies', organId, 'organisation.crt.pem')), [pemToDer(join(dir, 'ca', 'issuing-ca.crt.pem'))]) };
  };
  let stopKeyWatch: (() => void) | undefined;
  /** Follows custody: at once for changes made in this process, every `organisationKeyCheckSeconds` for the others'. */
  const watchKeys = (organIds: readonly string[]): (() => void) => {
    const refresh = (organId: string) => keys.refresh(organId)
      .then((reloaded) => { if (reloaded) logger.info(`organisation key of ${organId} reloaded from key custody`); })
      .catch((error: unknown) => logger.error(`organisation key of ${organId}: reload failed`, error));
    const unsubscribe = deps.keyCustody.onOrganisationKeyChange((organId) => { if (organIds.includes(organId)) void refresh(organId); });
    const timer = setInterval(() => { for (const organId of organIds) void refresh(organId); }, config.exchange.organisationKeyCheckSeconds * 1000);
    timer.unref();
    return () => { unsubscribe(); clearInterval(timer); };
  };

  let stopRequestLinking: (() => Promise<void>) | undefined;
  /** The pass behind the receipt's link (two processes, a request and its document at once): at start, then periodically. */
  const linkWaitingRequests = (organIds: readonly string[]): (() => Promise<void>) => {
    let running: Promise<void> | undefined;
    const pass = () => {
      running ??= receiving.linkWaitingRequests(exchangeUow, organIds)
        .then((linked) => { if (linked > 0) logger.info(`exchange: ${linked} waiting request(s) linked to their document`); })
        .catch((error: unknown) => logger.error('exchange: linking waiting requests failed', error))
        .finally(() => { running = undefined; });
    };
    pass();
    const timer = setInterval(pass, config.exchange.waitingRequestCheckSeconds * 1000);
    timer.unref();
    return async () => { clearInterval(timer); await running; };
  };

  return {
    directory, sending, clerk, receiving, quarantine, outbox,
    unitOfWork: exchangeUow,
    wake: wakeAfterEnqueue,
    onCommitted(listener) {
      committedListeners.add(listener);
      return () => { committedListeners.delete(listener); };
    },
    directoryHealth: () => directory.health(clock.now()),
    async axisHealth() {
      const current = transport;
      const status = !current ? 'stopped' : !config.axis.url ? 'in-process' : current.connected ? 'connected' : 'disconnected';
      const [deadLetters, backlog] = await Promise.all([
        current?.connected ? within(2000, current.deadLetterCount()) : Promise.resolve(null),
        within(2000, outboxStore.backlog()),
      ]);
      return { status, deadLetters, outbox: backlog };
    },
    async start() {
      const organIds = await hostedOrganIds();
      for (const organId of organIds) {
        await keys.load(organId);
        if (!keys.credentials(organId) && !config.pki.devMode) throw new DomainError('pki.key_not_found', { details: [{ field: 'organisation', message: `${organId}: no active organisation key: a quản trị imports the agency certificate (PKCS#12)` }] });
      }
      stopKeyWatch?.();
      stopKeyWatch = watchKeys(organIds);
      await receiving.prepare(exchangeUow, organIds);
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
      relay = buildOutboxRelay(config.axis, outboxStore, transport);
      relay.start();
      exchangeUow.handOutboxTo(relay); // entries written from now on go out from memory after their commit
      handingOff = true;
      consumer = new InboxConsumer<ExchangeRepositories>({
        transport, unitOfWork: exchangeUow,
        inbox: {
          find: (repos, recipient, messageId) => repos.inbox.find(recipient, messageId), findMany: (repos, keys) => repos.inbox.findMany(keys),
          record: (repos, record) => repos.inbox.record(record), recordMany: (repos, records) => repos.inbox.recordMany(records),
        },
        handler: (repos, delivery: AxisDelivery) => receiving.handle(repos, delivery),
        preflight: (delivery) => receiving.preflight(delivery),
        beforeBatch: (repos, deliveries) => receiving.beforeBatch(repos, deliveries),
        afterCommit: async (delivery, result) => {
          if (result.duplicate) await exchangeUow.run((repos) => receiving.resendAfterDuplicate(repos, delivery.headers, result.outcome));
          wakeAfterEnqueue();
          for (const listener of committedListeners) listener({ headers: delivery.headers, outcome: result.outcome, duplicate: result.duplicate });
        },
        onError: (error, delivery) => logger.error(`exchange: message ${delivery.headers.messageId} from ${delivery.headers.from}`, error),
        clock: () => clock.now(),
        batchSize: config.axis.inbox.batchSize,
      });
      await consumer.start(organIds);
      await stopRequestLinking?.();
      stopRequestLinking = linkWaitingRequests(organIds);
    },
    async stop() {
      stopKeyWatch?.();
      stopKeyWatch = undefined;
      await stopRequestLinking?.();
      stopRequestLinking = undefined;
      await consumer?.stop();
      exchangeUow.handOutboxTo(undefined);
      handingOff = false;
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

/** The value, or null when it fails or takes longer than `ms` (a health answer must not hang on a half-dead connection). */
async function within<T>(ms: number, work: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), ms); });
  try {
    return await Promise.race([work.catch(() => null), late]);
  } finally {
    clearTimeout(timer);
  }
}
