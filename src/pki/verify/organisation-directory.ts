// The organisation ↔ sending agency binding of an edXML envelope (issue 3 item 6): the directory of
// agencies says which organ id a certificate stands for; the package's From/OrganId must be that one.
import type { CertificateSummary } from '../../domain/validation-report.ts';

export interface OrganisationDirectory {
  /** The organ id this certificate is registered for, or undefined when the directory does not know it. */
  organIdOf(certificate: CertificateSummary): string | undefined;
}

export interface DirectoryEntry {
  readonly organId: string;
  readonly name?: string;
  /** SHA-256 fingerprints (hex) of the agency's certificates; when absent, the certificate's UID decides. */
  readonly certificateSha256?: readonly string[];
}

/**
 * A directory from a list of agencies (the `--directory` JSON file: `{"agencies":[{organId, name,
 * certificateSha256: [...]}]}`). A pinned fingerprint wins; otherwise a certificate's own organ id
 * counts only for an agency listed without pins.
 */
export function listedOrganisationDirectory(entries: readonly DirectoryEntry[]): OrganisationDirectory {
  return {
    organIdOf(certificate) {
      const fingerprint = certificate.sha256.toLowerCase();
      const pinned = entries.find((e) => e.certificateSha256?.some((f) => f.toLowerCase().replace(/:/g, '') === fingerprint));
      if (pinned) return pinned.organId;
      const own = certificate.organId;
      const entry = own ? entries.find((e) => e.organId === own) : undefined;
      return entry && !entry.certificateSha256?.length ? entry.organId : undefined;
    },
  };
}

export function parseDirectoryFile(json: string): OrganisationDirectory {
  const data = JSON.parse(json) as { agencies?: unknown };
  if (!data || !Array.isArray(data.agencies)) throw new Error('a directory file is {"agencies": [{"organId": …, "certificateSha256": […]}]}');
  const entries = data.agencies.map((a: unknown, i: number) => {
    const e = a as DirectoryEntry;
    if (typeof e?.organId !== 'string') throw new Error(`agencies[${i}].organId is required`);
    if (e.certificateSha256 !== undefined && (!Array.isArray(e.certificateSha256) || e.certificateSha256.some((f) => typeof f !== 'string'))) throw new Error(`agencies[${i}].certificateSha256 must be a list of hex fingerprints`);
    return e;
  });
  return listedOrganisationDirectory(entries);
}
