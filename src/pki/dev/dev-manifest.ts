import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevRole } from './dev-pki-plan.ts';

// certs-dev/manifest.json: every file of the development PKI, its role, and who it belongs to.
// Tests and the demo seeding rely on this shape; bump the version when it changes.

export const devManifestVersion = 1;

export interface DevManifestFile {
  readonly path: string;
  readonly role: 'certificate' | 'encrypted-private-key' | 'pkcs12' | 'ca-chain' | 'crl' | 'manifest';
  readonly entity?: string;
}

export interface DevManifestEntry {
  readonly id: string;
  readonly role: DevRole;
  readonly subject: string;
  readonly issuer: string;
  readonly issuerId: string | null;
  readonly serialNumber: string; // hex
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sha256: string;
  readonly files: { readonly certificate: string; readonly key: string; readonly pkcs12?: string };
  /** Issuer ids up to the root, nearest first. */
  readonly chain: readonly string[];
  readonly organId?: string;
  readonly username?: string;
  readonly revokedAt?: string;
  readonly revocationReason?: string;
  readonly expectation: string;
}

export interface DevManifest {
  readonly version: number;
  readonly generatedAt: string;
  readonly passphrase: { readonly env: string; readonly note: string };
  readonly organIdAttribute: string;
  readonly services: { readonly baseUrl: string; readonly ocsp: string; readonly tsa: string };
  readonly trust: { readonly anchors: readonly string[]; readonly intermediates: readonly string[] };
  readonly entries: readonly DevManifestEntry[];
  readonly crls: readonly { readonly issuerId: string; readonly file: string; readonly url: string; readonly thisUpdate: string; readonly nextUpdate: string }[];
  readonly files: readonly DevManifestFile[];
}

/** The dev passphrase: $EDOC_DEV_PKI_PASSPHRASE, else the documented default (development only). */
export const devPassphrase = (env: NodeJS.ProcessEnv = process.env): string => env.EDOC_DEV_PKI_PASSPHRASE || 'edoc-dev-1234';

export function readDevManifest(dir: string): DevManifest {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as DevManifest;
  if (manifest.version !== devManifestVersion) throw new Error(`${dir}/manifest.json has version ${manifest.version}, expected ${devManifestVersion}: run npm run certs:dev`);
  return manifest;
}

export function manifestEntry(manifest: DevManifest, id: string): DevManifestEntry {
  const entry = manifest.entries.find((e) => e.id === id);
  if (!entry) throw new Error(`no entry ${id} in the dev PKI manifest`);
  return entry;
}
