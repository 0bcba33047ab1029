// Every blob a row names, for the blob-store sweep (src/services/blob-sweep-service.ts). A column that names
// a blob and is missing here would have its blobs swept: keep this list in step with the schema (the
// sweep's integration test writes one row of each kind and checks its blob survives).
import type { Knex } from 'knex';
import type { BlobReferences } from '../domain/blob-sweep.ts';

const REFERENCES = `
  SELECT sha256 AS blob FROM attachments
  UNION SELECT source_package_sha256 FROM attachments WHERE source_package_sha256 IS NOT NULL
  UNION SELECT signed_sha256 FROM signing_key_uses
  UNION SELECT signature_sha256 FROM signature_reports WHERE signature_sha256 IS NOT NULL
  UNION SELECT package_sha256 FROM exchange_received
  UNION SELECT package_sha256 FROM exchange_quarantine WHERE package_sha256 IS NOT NULL
  UNION SELECT package_sha256 FROM exchange_requests WHERE package_sha256 <> ''
  UNION SELECT package_blob FROM axis_outbox WHERE package_blob IS NOT NULL
  UNION SELECT f->>'sha256' FROM axis_outbox, jsonb_array_elements(package_parts) AS f WHERE package_parts IS NOT NULL`;

export class KnexBlobReferences implements BlobReferences {
  constructor(private readonly knex: Knex) {}

  async referenced(): Promise<ReadonlySet<string>> {
    const result = await this.knex.raw<{ rows: { blob: string }[] }>(REFERENCES);
    return new Set(result.rows.map((r) => r.blob.trim())); // char(64) columns
  }
}
