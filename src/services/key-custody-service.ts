// Key custody (issue 3 item 4; docs/signing-custody.md). Who may use which key:
// - a personal key only by its holder, a lãnh đạo, with their PIN, for one operation (or, when
//   `unlockWindowSeconds` > 0, for that many seconds after a successful PIN);
// - the organisation key only by the agency's văn thư (DOMAIN.md §1; Nghị định 30, art. 15-16);
// - wrong PINs are counted on the key; after `maxPinAttempts` the key is locked until a quản trị unlocks
//   it. Every wrong PIN, lock, unlock, import, rotation and retirement is in the audit chain; every use
//   is recorded by the signing service in the same transaction as the signature it made.
import { randomUUID } from 'node:crypto';
import { authorize, type Actor } from '../domain/actor.ts';
import { DomainError } from '../domain/errors.ts';
import type { DocumentSignatureTools, SigningKeyKind, SigningKeyRecord, UnsealedKey } from '../domain/signing-keys.ts';
import type { Repositories, UnitOfWork } from '../domain/unit-of-work.ts';
import type { Clock } from '../domain/vietnam-time.ts';
import { WrongSecretError, type KeySealer } from './key-custody-sealing.ts';

export interface CustodySettings {
  readonly maxPinAttempts: number;
  /** 0: the PIN unlocks the key for one operation only. */
  readonly unlockWindowSeconds: number;
  readonly minPinLength: number;
}

export interface KeyImport {
  readonly kind: SigningKeyKind;
  readonly pkcs12: Buffer;
  readonly passphrase: string;
  /** The PIN that will protect a personal key. */
  readonly pin?: string;
  /** For a personal key imported by a quản trị: the lãnh đạo who will hold it. */
  readonly ownerUserId?: string;
}

/** What may be said about a key outside the service (never the sealed key). */
export type SigningKeySummary = Omit<SigningKeyRecord, 'sealedPrivateKey'>;
export const summariseKey = (k: SigningKeyRecord): SigningKeySummary => {
  const { sealedPrivateKey: _sealed, ...rest } = k;
  return rest;
};

export class KeyCustodyService {
  /** Keys unlocked for a window: `${keyId}|${userId}` → key and expiry. Empty when the window is 0. */
  private readonly unlocked = new Map<string, { key: UnsealedKey; until: number }>();
  private readonly organisationKeyListeners = new Set<(organId: string) => void>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly tools: () => DocumentSignatureTools,
    private readonly sealer: () => KeySealer,
    private readonly clock: Clock,
    private readonly settings: CustodySettings,
  ) {}

  private checkPin(pin: string | undefined): string {
    if (pin === undefined || !/^\d+$/.test(pin) || pin.length < this.settings.minPinLength || pin.length > 32) {
      throw new DomainError('request.invalid', { details: [{ field: 'pin', message: `a PIN of ${this.settings.minPinLength} to 32 digits` }] });
    }
    return pin;
  }

  /**
   * Imports a PKCS#12: a quản trị imports the agency's certificate (kind organisation) or a leader's; a
   * lãnh đạo imports their own. An active key of the same holder is retired (rotation): it stays for
   * verification of what it signed.
   */
  async importPkcs12(actor: Actor, organId: string, input: KeyImport): Promise<SigningKeySummary> {
    let ownerUserId: string | null = null;
    if (input.kind === 'organisation') {
      authorize(actor, 'key.manage', organId);
    } else {
      authorize(actor, 'key.import_personal', organId);
      const isAdmin = actor.roles.includes('quan_tri');
      ownerUserId = input.ownerUserId ?? (isAdmin ? null : actor.userId);
      if (!ownerUserId) throw new DomainError('request.invalid', { details: [{ field: 'ownerUserId', message: 'the lãnh đạo who holds the key' }] });
      if (!isAdmin && ownerUserId !== actor.userId) throw new DomainError('pki.not_key_holder', { details: [{ field: 'ownerUserId', message: 'a leader imports only their own key' }] });
      this.checkPin(input.pin);
    }
    const tools = this.tools();
    const opened = tools.openPkcs12(input.pkcs12, input.passphrase);
    const facts = tools.describeCertificate(opened.certificate);
    if (input.kind === 'organisation' && facts.organId !== organId) {
      throw new DomainError('pki.invalid_certificate', { details: [{ field: 'pkcs12', message: `the certificate names organ id ${facts.organId ?? '(none)'}, not ${organId}` }] });
    }
    if (input.kind === 'personal' && facts.organId !== undefined) {
      throw new DomainError('pki.invalid_certificate', { details: [{ field: 'pkcs12', message: 'an organisational certificate cannot be a personal key' }] });
    }
    const check = await tools.checkCertificate(opened.certificate, opened.chain, input.kind);
    if (!check.ok) throw new DomainError('pki.invalid_certificate', { details: [{ field: 'pkcs12', message: check.message }] });
    return this.store(actor.userId, organId, { kind: input.kind, ownerUserId, pin: input.pin ?? null, ...opened, facts });
  }

  /** Stores (seals) a key and retires the holder's previous active key; also used by the demo seeding. */
  async store(createdBy: string, organId: string, key: { kind: SigningKeyKind; ownerUserId: string | null; pin: string | null; privateKeyPkcs8: Buffer; certificate: Buffer; chain: Buffer[]; facts: ReturnType<DocumentSignatureTools['describeCertificate']> }): Promise<SigningKeySummary> {
    const id = randomUUID();
    const protection = key.kind === 'personal' ? 'pin' : 'node-secret';
    const sealed = await this.sealer().seal(key.privateKeyPkcs8, { keyId: id, agencyOrganId: organId, protection }, key.pin);
    const now = this.clock.now();
    const summary = await this.uow.run(async (repos) => {
      if (key.ownerUserId) {
        const owner = await repos.users.findById(key.ownerUserId);
        if (!owner || owner.agencyOrganId !== organId || !owner.roles.includes('lanh_dao')) {
          throw new DomainError('request.invalid', { details: [{ field: 'ownerUserId', message: 'a personal key is held by a lãnh đạo of this agency' }] });
        }
      }
      const previous = await repos.signingKeys.findActiveForUpdate(organId, key.kind, key.ownerUserId);
      if (previous) {
        await repos.signingKeys.retire(previous.id, now);
        await repos.audit.append(organId, { actor: createdBy, action: 'key.retire', subjectType: 'key', subjectId: previous.id, before: summariseKey(previous), after: { status: 'retired', replacedBy: id } });
      }
      const record = await repos.signingKeys.insert({
        id, agencyOrganId: organId, kind: key.kind, ownerUserId: key.ownerUserId, certificate: key.certificate, chain: key.chain,
        certificateSha256: key.facts.sha256, subject: key.facts.subject, serialNumber: key.facts.serialNumber, notBefore: key.facts.notBefore,
        notAfter: key.facts.notAfter, protection, sealedPrivateKey: sealed, createdBy,
      });
      await repos.audit.append(organId, { actor: createdBy, action: previous ? 'key.rotate' : 'key.import', subjectType: 'key', subjectId: id, after: summariseKey(record) });
      return summariseKey(record);
    });
    if (key.kind === 'organisation') this.organisationKeyChanged(organId);
    return summary;
  }

  /** Observes imports, rotations and retirements of organisation keys, after their commit; returns the unsubscribe. */
  onOrganisationKeyChange(listener: (organId: string) => void): () => void {
    this.organisationKeyListeners.add(listener);
    return () => { this.organisationKeyListeners.delete(listener); };
  }

  /** The id of the agency's active organisation key, or null (no secret opened). */
  async activeOrganisationKeyId(organId: string): Promise<string | null> {
    return this.uow.run((repos) => repos.signingKeys.findActiveId(organId, 'organisation', null));
  }

  private organisationKeyChanged(organId: string): void {
    for (const listener of this.organisationKeyListeners) listener(organId);
  }

  async list(actor: Actor, organId: string): Promise<SigningKeySummary[]> {
    authorize(actor, 'key.read', organId);
    const seesAll = actor.roles.includes('quan_tri') || actor.roles.includes('van_thu');
    const keys = await this.uow.run((repos) => repos.signingKeys.list(organId, seesAll ? {} : { ownerUserId: actor.userId }));
    return keys.map(summariseKey);
  }

  /** A quản trị lifts a PIN lock-out (after checking with the holder). */
  async unlockAfterLockout(actor: Actor, organId: string, keyId: string): Promise<SigningKeySummary> {
    authorize(actor, 'key.manage', organId);
    return this.uow.run(async (repos) => {
      const key = await repos.signingKeys.findForUpdate(organId, keyId);
      if (!key) throw new DomainError('pki.key_not_found');
      await repos.signingKeys.setPinState(key.id, { failedPinAttempts: 0, lockedAt: null });
      await repos.audit.append(organId, { actor: actor.userId, action: 'key.unlock', subjectType: 'key', subjectId: key.id, before: { failedPinAttempts: key.failedPinAttempts, lockedAt: key.lockedAt }, after: { failedPinAttempts: 0, lockedAt: null } });
      return summariseKey({ ...key, failedPinAttempts: 0, lockedAt: null });
    });
  }

  async retire(actor: Actor, organId: string, keyId: string): Promise<void> {
    authorize(actor, 'key.manage', organId);
    const retired = await this.uow.run(async (repos) => {
      const key = await repos.signingKeys.findForUpdate(organId, keyId);
      if (!key) throw new DomainError('pki.key_not_found');
      if (key.status === 'retired') return undefined;
      await repos.signingKeys.retire(key.id, this.clock.now());
      await repos.audit.append(organId, { actor: actor.userId, action: 'key.retire', subjectType: 'key', subjectId: key.id, before: summariseKey(key), after: { status: 'retired' } });
      return key;
    });
    if (retired?.kind === 'organisation') this.organisationKeyChanged(organId);
    for (const id of this.unlocked.keys()) if (id.startsWith(`${keyId}|`)) this.unlocked.delete(id);
  }

  /**
   * Unseals the leader's own personal key (the active one, or `keyId` if it is theirs) with their PIN.
   * A wrong PIN is counted and audited in its own committed transaction before the error is thrown.
   */
  async unsealPersonal(actor: Actor, organId: string, request: { pin?: string; keyId?: string }): Promise<UnsealedKey> {
    authorize(actor, 'document.sign_personal', organId);
    const windowed = request.pin === undefined ? this.fromWindow(actor, request.keyId) : null;
    if (windowed) return windowed;
    const pin = this.checkPin(request.pin);
    const outcome = await this.uow.run(async (repos) => {
      const key = await this.personalKeyForUpdate(repos, actor, organId, request.keyId);
      if (key.lockedAt) {
        await repos.audit.append(organId, { actor: actor.userId, action: 'key.use_refused_locked', subjectType: 'key', subjectId: key.id });
        return { kind: 'locked' as const };
      }
      try {
        const pkcs8 = await this.sealer().open(key.sealedPrivateKey, { keyId: key.id, agencyOrganId: organId, protection: 'pin' }, pin);
        if (key.failedPinAttempts > 0) await repos.signingKeys.setPinState(key.id, { failedPinAttempts: 0, lockedAt: null });
        return { kind: 'open' as const, key: { keyId: key.id, privateKeyPkcs8: pkcs8, certificate: key.certificate, chain: key.chain } };
      } catch (error) {
        if (!(error instanceof WrongSecretError)) throw error;
        const attempts = key.failedPinAttempts + 1;
        const lock = attempts >= this.settings.maxPinAttempts;
        await repos.signingKeys.setPinState(key.id, { failedPinAttempts: attempts, lockedAt: lock ? this.clock.now() : null });
        await repos.audit.append(organId, { actor: actor.userId, action: 'key.wrong_pin', subjectType: 'key', subjectId: key.id, after: { failedPinAttempts: attempts } });
        if (lock) await repos.audit.append(organId, { actor: actor.userId, action: 'key.lock', subjectType: 'key', subjectId: key.id, after: { failedPinAttempts: attempts, locked: true } });
        return { kind: lock ? ('now_locked' as const) : ('wrong' as const), attempts };
      }
    });
    if (outcome.kind === 'locked') throw new DomainError('pki.key_locked');
    if (outcome.kind === 'now_locked') throw new DomainError('pki.key_locked', { details: [{ field: 'pin', message: `${outcome.attempts} wrong PINs: the key is locked until a quản trị unlocks it` }] });
    if (outcome.kind !== 'open') throw new DomainError('pki.wrong_pin', { details: [{ field: 'pin', message: `${this.settings.maxPinAttempts - outcome.attempts} attempt(s) left before the key is locked` }] });
    if (this.settings.unlockWindowSeconds > 0) {
      this.unlocked.set(`${outcome.key.keyId}|${actor.userId}`, { key: outcome.key, until: this.clock.now().getTime() + this.settings.unlockWindowSeconds * 1000 });
    }
    return outcome.key;
  }

  private fromWindow(actor: Actor, keyId: string | undefined): UnsealedKey | null {
    const now = this.clock.now().getTime();
    for (const [id, entry] of this.unlocked) {
      if (entry.until <= now) { this.unlocked.delete(id); continue; }
      const [kid, uid] = id.split('|');
      if (uid === actor.userId && (keyId === undefined || kid === keyId)) return entry.key;
    }
    return null;
  }

  private async personalKeyForUpdate(repos: Repositories, actor: Actor, organId: string, keyId: string | undefined): Promise<SigningKeyRecord> {
    const key = keyId ? await repos.signingKeys.findForUpdate(organId, keyId) : await repos.signingKeys.findActiveForUpdate(organId, 'personal', actor.userId);
    if (!key) throw new DomainError('pki.key_not_found');
    if (key.kind !== 'personal' || key.ownerUserId !== actor.userId) {
      throw new DomainError('pki.not_key_holder', { details: [{ field: 'keyId', message: 'a personal key is used only by the leader who holds it' }] });
    }
    if (key.status !== 'active') throw new DomainError('pki.key_retired');
    return key;
  }

  /** The agency's active organisation key, for the văn thư only (no PIN: it is sealed under the node secret). */
  async unsealOrganisation(actor: Actor, organId: string): Promise<UnsealedKey> {
    authorize(actor, 'document.sign_organisation', organId);
    return this.openOrganisationKey(organId);
  }

  /**
   * The node itself (no user): the organisation key for signing edXML envelopes and status messages of a
   * hosted agency at send time (DESIGN.md "Outgoing": the package is signed with the agency certificate
   * after the văn thư issued). Audited as `key.node_unseal` by 'system' with the purpose.
   */
  async unsealOrganisationForNode(organId: string, purpose: string): Promise<UnsealedKey> {
    const key = await this.openOrganisationKey(organId);
    await this.uow.run((repos) => repos.audit.append(organId, { actor: 'system', action: 'key.node_unseal', subjectType: 'key', subjectId: key.keyId, after: { purpose } }));
    return key;
  }

  private async openOrganisationKey(organId: string): Promise<UnsealedKey> {
    const key = await this.uow.run((repos) => repos.signingKeys.findActiveForUpdate(organId, 'organisation', null));
    if (!key) throw new DomainError('pki.key_not_found', { details: [{ field: 'organisation', message: 'no active organisation key: a quản trị imports the agency certificate (PKCS#12)' }] });
    const pkcs8 = await this.sealer().open(key.sealedPrivateKey, { keyId: key.id, agencyOrganId: organId, protection: 'node-secret' }, null).catch((error: unknown) => {
      if (error instanceof WrongSecretError) throw new DomainError('pki.custody_secret_missing', { cause: error, details: [{ message: 'the node secret does not open the organisation key (was it changed?)' }] });
      throw error;
    });
    return { keyId: key.id, privateKeyPkcs8: pkcs8, certificate: key.certificate, chain: key.chain };
  }
}
