// The directory of agencies (the vendor axis's `getAgenciesList`, DOMAIN.md §2): organ id, name, level,
// parent and the agency's current organisational certificate(s). An axis operator publishes it as a
// signed document with a validity period; a node refuses to send or accept packages while it has no
// valid directory (fail closed, `axis.directory_expired`) and its health warns before that happens.

export type AgencyLevel = 'central' | 'province' | 'district' | 'commune';

export interface DirectoryAgency {
  readonly organId: string;
  readonly name: string;
  readonly level: AgencyLevel;
  readonly parentOrganId: string | null;
  /** Base64 DER of the agency's current organisational certificate(s). */
  readonly certificates: readonly string[];
}

/** The signed body: what the directory key signs, as the exact UTF-8 JSON text that travels. */
export interface DirectoryBody {
  /** Increases with every publication; a node never installs an older or equal version. */
  readonly version: number;
  readonly issuedAt: string; // ISO 8601
  readonly validFrom: string;
  readonly validUntil: string;
  readonly agencies: readonly DirectoryAgency[];
}

/** The document as distributed (file or broker): the body text and a detached RSA-SHA256 signature. */
export interface SignedDirectory {
  readonly body: string;
  readonly signature: {
    readonly algorithm: 'RSA-SHA256';
    /** Base64 DER of the directory signing certificate. */
    readonly certificate: string;
    readonly value: string; // base64
  };
}

/** A verified directory, with the SHA-256 fingerprints of each agency's certificates precomputed. */
export interface InstalledDirectory {
  readonly body: DirectoryBody;
  readonly signed: SignedDirectory;
  /** certificate SHA-256 (lower-case hex) → organ id. */
  readonly organIdByCertificate: ReadonlyMap<string, string>;
}

export type DirectoryHealth =
  | { readonly status: 'missing' }
  | { readonly status: 'not_yet_valid' | 'expired'; readonly version: number; readonly validFrom: string; readonly validUntil: string }
  | { readonly status: 'ok' | 'expiring'; readonly version: number; readonly validUntil: string; readonly remainingMs: number };

/** State of a directory at `now`; `expiring` once less than `warnBeforeMs` of validity remain. */
export function directoryHealth(directory: InstalledDirectory | undefined, now: Date, warnBeforeMs: number): DirectoryHealth {
  if (!directory) return { status: 'missing' };
  const { version, validFrom, validUntil } = directory.body;
  if (now.getTime() < Date.parse(validFrom)) return { status: 'not_yet_valid', version, validFrom, validUntil };
  const remainingMs = Date.parse(validUntil) - now.getTime();
  if (remainingMs <= 0) return { status: 'expired', version, validFrom, validUntil };
  return { status: remainingMs < warnBeforeMs ? 'expiring' : 'ok', version, validUntil, remainingMs };
}

export function findAgency(directory: InstalledDirectory, organId: string): DirectoryAgency | undefined {
  return directory.body.agencies.find((a) => a.organId === organId);
}

/** Port: where a node keeps its current directory (so a restart does not need the broker). */
export interface DirectoryStore {
  load(): Promise<SignedDirectory | undefined>;
  save(directory: SignedDirectory, version: number): Promise<void>;
}
