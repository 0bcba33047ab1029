import { z } from 'zod';

// Every key, its unit and default: documented in README.md ("Configuration").
export const configSchema = z.strictObject({
  server: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    publicUrl: z.string().url().nullable(),
    bodyLimitBytes: z.number().int().positive(),
  }),
  database: z.strictObject({
    url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').nullable(),
    poolMax: z.number().int().min(1).max(200),
    acquireTimeoutMs: z.number().int().positive(),
  }),
  dataDir: z.string().min(1),
  axis: z.strictObject({
    url: z.string().regex(/^amqps?:\/\//, 'must be an amqp:// URL').nullable(),
    // docs/axis.md ("Configuration"): names, limits and schedules of the transport and the outbox relay.
    prefix: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore or dash'),
    prefetch: z.number().int().min(1).max(1000),
    deliveryLimit: z.number().int().min(1).max(100),
    chunkSizeBytes: z.number().int().min(64 * 1024).max(16 * 1024 * 1024),
    chunkTimeoutMs: z.number().int().positive(),
    publishTimeoutMs: z.number().int().positive(),
    reconnect: z.strictObject({ initialDelayMs: z.number().int().positive(), maxDelayMs: z.number().int().positive() }),
    relay: z.strictObject({
      retryScheduleMs: z.array(z.number().int().positive()).max(50),
      batchSize: z.number().int().min(1).max(1000),
      concurrency: z.number().int().min(1).max(256),
      leaseMs: z.number().int().positive(),
      pollIntervalMs: z.number().int().positive(),
      lingerMs: z.number().int().min(0).max(1000),
    }),
    inbox: z.strictObject({ batchSize: z.number().int().min(1).max(1000) }),
  }),
  auth: z.strictObject({
    sessionTtlMinutes: z.number().int().positive(),
    tokenTtlMinutes: z.number().int().positive(),
    scrypt: z.strictObject({
      cost: z.number().int().min(1024).refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
      blockSize: z.number().int().positive(),
      parallelization: z.number().int().positive(),
    }),
    maxLoginAttempts: z.number().int().positive(),
  }),
  attachments: z.strictObject({
    maxBytes: z.number().int().positive(),
    maxNameLength: z.number().int().positive(),
  }),
  demo: z.strictObject({
    seed: z.boolean(),
    password: z.string().min(8).nullable(),
  }),
  log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error', 'silent']) }),
  // Key custody (docs/signing-custody.md): PIN attempts before lock-out, the unlock window (seconds, 0 = one
  // operation per PIN), the minimum PIN length, the environment variable holding the node secret that
  // seals organisation keys and peppers PINs, and the scrypt cost (N) of key sealing.
  signing: z.strictObject({
    maxPinAttempts: z.number().int().min(1).max(20),
    unlockWindowSeconds: z.number().int().min(0).max(3600),
    minPinLength: z.number().int().min(4).max(16),
    nodeSecretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
    scryptCost: z.number().int().min(1024).max(1048576).refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
  }),
  // Exchange over the axis (docs/exchange.md): the agencies this node serves on the axis (null = every
  // hosted agency of the database), the directory file loaded at start (null = the stored one or the broker's), the dev directory key,
  // the pinned directory signing certificate and its issuing CAs (PEM paths), and how long before the
  // directory expires /health warns (hours).
  exchange: z.strictObject({
    hostedOrganIds: z.array(z.string().min(1)).nullable(),
    directory: z.strictObject({
      file: z.string().min(1).nullable(),
      signerCertificate: z.string().min(1),
      issuers: z.array(z.string().min(1)).min(1),
      warnBeforeHours: z.number().positive(),
      // Development mode only: the dev directory key (PEM, dev passphrase) signing a directory of the
      // database's agencies at start when none is installed (the embedded demo); null = never.
      devSigningKey: z.string().min(1).nullable(),
    }),
    // How often (seconds) a node checks key custody for a new organisation key of its agencies that another
    // process imported (a change made through this process applies at once).
    organisationKeyCheckSeconds: z.number().positive(),
    // How often (seconds) a node links the recalls, updates and replacements still waiting for a document it
    // now has (one received by another process at the same moment); also once at start.
    waitingRequestCheckSeconds: z.number().positive(),
  }),
  // Trust layer (docs/pki-trust.md). devMode: trust the dev root in `dev.dir` and use the dev OCSP/TSA.
  pki: z.strictObject({
    devMode: z.boolean(),
    trust: z.strictObject({ anchors: z.array(z.string().min(1)), intermediates: z.array(z.string().min(1)), onlyListedIntermediates: z.boolean() }),
    dev: z.strictObject({ dir: z.string().min(1), servicesUrl: z.string().url() }),
    tsa: z.strictObject({ url: z.string().url(), timeoutMs: z.number().int().positive(), retries: z.number().int().min(0).max(10), retryDelayMs: z.number().int().min(0) }),
    ocsp: z.strictObject({ url: z.string().url().nullable(), useAia: z.boolean(), timeoutMs: z.number().int().positive(), retries: z.number().int().min(0).max(10), retryDelayMs: z.number().int().min(0) }),
    crl: z.strictObject({ fetchDistributionPoints: z.boolean(), timeoutMs: z.number().int().positive(), retries: z.number().int().min(0).max(10), retryDelayMs: z.number().int().min(0) }),
    revocation: z.strictObject({
      freshnessSeconds: z.number().int().positive(),
      whenUnavailable: z.enum(['indeterminate', 'failed']),
      clockSkewSeconds: z.number().int().min(0),
    }),
  }),
});

export type Config = z.infer<typeof configSchema>;
