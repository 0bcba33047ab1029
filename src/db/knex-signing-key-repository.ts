// signing_keys and signing_key_uses (migrations/20261123120000_signing_keys.ts).
import type { Knex } from 'knex';
import type { NewSigningKey, SigningKeyKind, SigningKeyRecord, SigningKeyRepository, SigningKeyUse } from '../domain/signing-keys.ts';
import { byPrimaryKey } from './prepared-statements.ts';

interface KeyRow {
  id: string; agency_organ_id: string; kind: SigningKeyKind; owner_user_id: string | null; certificate: Buffer; chain: string[];
  certificate_sha256: string; subject: string; serial_number: string; not_before: Date; not_after: Date; protection: SigningKeyRecord['protection'];
  sealed_private_key: Buffer; status: SigningKeyRecord['status']; failed_pin_attempts: number; locked_at: Date | null; created_by: string;
  created_at: Date; retired_at: Date | null;
}

const toKey = (r: KeyRow): SigningKeyRecord => ({
  id: r.id, agencyOrganId: r.agency_organ_id, kind: r.kind, ownerUserId: r.owner_user_id, certificate: Buffer.from(r.certificate),
  chain: r.chain.map((c) => Buffer.from(c, 'base64')), certificateSha256: r.certificate_sha256, subject: r.subject, serialNumber: r.serial_number,
  notBefore: new Date(r.not_before), notAfter: new Date(r.not_after), protection: r.protection, sealedPrivateKey: Buffer.from(r.sealed_private_key),
  status: r.status, failedPinAttempts: r.failed_pin_attempts, lockedAt: r.locked_at ? new Date(r.locked_at) : null, createdBy: r.created_by,
  createdAt: new Date(r.created_at), retiredAt: r.retired_at ? new Date(r.retired_at) : null,
});

export class KnexSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly trx: Knex) {}

  async insert(k: NewSigningKey): Promise<SigningKeyRecord> {
    const [row] = await this.trx('signing_keys').insert({
      id: k.id, agency_organ_id: k.agencyOrganId, kind: k.kind, owner_user_id: k.ownerUserId, certificate: k.certificate,
      chain: JSON.stringify(k.chain.map((c) => c.toString('base64'))), certificate_sha256: k.certificateSha256, subject: k.subject,
      serial_number: k.serialNumber, not_before: k.notBefore, not_after: k.notAfter, protection: k.protection,
      sealed_private_key: k.sealedPrivateKey, created_by: k.createdBy,
    }).returning('*');
    return toKey(row as KeyRow);
  }

  async find(agencyOrganId: string, id: string): Promise<SigningKeyRecord | null> {
    const row = await byPrimaryKey(this.trx<KeyRow>('signing_keys'), id, agencyOrganId).first();
    return row ? toKey(row) : null;
  }

  async findForUpdate(agencyOrganId: string, id: string): Promise<SigningKeyRecord | null> {
    const row = await byPrimaryKey(this.trx<KeyRow>('signing_keys'), id, agencyOrganId).forUpdate().first();
    return row ? toKey(row) : null;
  }

  async findActiveForUpdate(agencyOrganId: string, kind: SigningKeyKind, ownerUserId: string | null): Promise<SigningKeyRecord | null> {
    const q = this.trx<KeyRow>('signing_keys').where({ agency_organ_id: agencyOrganId, kind, status: 'active' });
    const row = await (ownerUserId === null ? q.whereNull('owner_user_id') : q.where({ owner_user_id: ownerUserId })).forUpdate().first();
    return row ? toKey(row) : null;
  }

  async findActiveId(agencyOrganId: string, kind: SigningKeyKind, ownerUserId: string | null): Promise<string | null> {
    const q = this.trx<KeyRow>('signing_keys').where({ agency_organ_id: agencyOrganId, kind, status: 'active' });
    const row = await (ownerUserId === null ? q.whereNull('owner_user_id') : q.where({ owner_user_id: ownerUserId })).first('id');
    return row?.id ?? null;
  }

  async list(agencyOrganId: string, filter: { ownerUserId?: string } = {}): Promise<SigningKeyRecord[]> {
    const q = this.trx<KeyRow>('signing_keys').where({ agency_organ_id: agencyOrganId });
    if (filter.ownerUserId) q.andWhere((w) => { w.where({ owner_user_id: filter.ownerUserId }).orWhere({ kind: 'organisation' }); });
    return (await q.orderBy('created_at')).map(toKey);
  }

  async retire(id: string, at: Date): Promise<void> {
    await this.trx('signing_keys').where({ id }).update({ status: 'retired', retired_at: at });
  }

  async setPinState(id: string, state: { failedPinAttempts: number; lockedAt: Date | null }): Promise<void> {
    await this.trx('signing_keys').where({ id }).update({ failed_pin_attempts: state.failedPinAttempts, locked_at: state.lockedAt });
  }

  async recordUse(u: SigningKeyUse): Promise<void> {
    await this.trx('signing_key_uses').insert({ key_id: u.keyId, user_id: u.userId, document_id: u.documentId, attachment_id: u.attachmentId, form: u.form, signed_sha256: u.signedSha256 });
  }

  async listUses(keyId: string): Promise<(SigningKeyUse & { usedAt: string })[]> {
    const rows = await this.trx('signing_key_uses').where({ key_id: keyId }).orderBy('id');
    return rows.map((r: { key_id: string; user_id: string; document_id: string; attachment_id: string; form: 'PAdES' | 'CMS'; signed_sha256: string; used_at: Date }) => ({
      keyId: r.key_id, userId: r.user_id, documentId: r.document_id, attachmentId: r.attachment_id, form: r.form, signedSha256: r.signed_sha256, usedAt: new Date(r.used_at).toISOString(),
    }));
  }
}
