// Demo network keys (docs/signing-custody.md "Demo keys"): on `npm start` with demo seeding, the dev
// certificates of certs-dev/manifest.json go into custody — each demo agency's organisational key (sealed
// under the node secret) and each demo leader's personal key, protected by the documented demo PIN.
// Idempotent: a holder who already has an active key is left alone. Development only (certs-dev/ is the
// dev PKI; the production node imports real PKCS#12 files through the API).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentSignatureTools } from '../domain/signing-keys.ts';
import type { UnitOfWork } from '../domain/unit-of-work.ts';
import type { KeyCustodyService } from './key-custody-service.ts';

/** The PIN of every demo leader's personal key (demo network only; documented in docs/signing-custody.md). */
export const DEMO_PIN = '123456';

interface ManifestEntry { id: string; role: string; organId?: string; username?: string; chain: string[]; files: { certificate: string; key: string } }

export interface DemoKeysResult {
  readonly seeded: readonly string[]; // manifest entry ids stored now
}

export async function seedDemoKeys(options: { uow: UnitOfWork; custody: KeyCustodyService; tools: () => DocumentSignatureTools; devDir: string; passphrase: string }): Promise<DemoKeysResult> {
  const manifestFile = join(options.devDir, 'manifest.json');
  if (!existsSync(manifestFile)) return { seeded: [] };
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { entries: ManifestEntry[] };
  const byId = new Map(manifest.entries.map((e) => [e.id, e]));
  const seeded: string[] = [];
  for (const entry of manifest.entries) {
    if ((entry.role !== 'organisation' && entry.role !== 'personal') || !entry.organId) continue;
    const organId = entry.organId;
    const holder = await options.uow.run(async (repos) => {
      const admin = await repos.users.findCredentials(`quantri@${organId}`);
      const owner = entry.role === 'personal' && entry.username ? await repos.users.findCredentials(entry.username) : null;
      if (!admin || (entry.role === 'personal' && !owner)) return null;
      const existing = await repos.signingKeys.findActiveForUpdate(organId, entry.role === 'personal' ? 'personal' : 'organisation', owner?.user.id ?? null);
      return existing ? null : { adminId: admin.user.id, ownerId: owner?.user.id ?? null };
    });
    if (!holder) continue;
    const certificate = new X509Certificate(readFileSync(join(options.devDir, entry.files.certificate))).raw;
    const chain = entry.chain.flatMap((id) => {
      const ca = byId.get(id);
      return ca && ca.role !== 'root-ca' ? [new X509Certificate(readFileSync(join(options.devDir, ca.files.certificate))).raw] : [];
    });
    const privateKey = createPrivateKey({ key: readFileSync(join(options.devDir, entry.files.key)), format: 'pem', passphrase: options.passphrase });
    await options.custody.store(holder.adminId, organId, {
      kind: entry.role === 'personal' ? 'personal' : 'organisation', ownerUserId: holder.ownerId, pin: entry.role === 'personal' ? DEMO_PIN : null,
      privateKeyPkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }), certificate, chain, facts: options.tools().describeCertificate(certificate),
    });
    seeded.push(entry.id);
  }
  return { seeded };
}
