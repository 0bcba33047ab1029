// Key custody rules with in-memory fakes of the ports (STYLE.md habit 10): who may use which key, PIN
// counting and lock-out written even though the call fails, rotation retiring the previous key.
import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import type { Actor } from '../../../src/domain/actor.ts';
import type { AuditEvent } from '../../../src/domain/audit.ts';
import { isDomainError } from '../../../src/domain/errors.ts';
import type { DocumentSignatureTools, NewSigningKey, SigningKeyRecord, SigningKeyRepository, SigningKeyUse } from '../../../src/domain/signing-keys.ts';
import type { Repositories, UnitOfWork } from '../../../src/domain/unit-of-work.ts';
import type { User } from '../../../src/domain/user.ts';
import { KeySealer } from '../../../src/services/key-custody-sealing.ts';
import { KeyCustodyService } from '../../../src/services/key-custody-service.ts';

const ORG = '000.00.00.G22';
const leader: Actor = { userId: 'u-leader', username: 'lanhdao', agencyOrganId: ORG, roles: ['lanh_dao'] };
const otherLeader: Actor = { userId: 'u-leader-2', username: 'lanhdao2', agencyOrganId: ORG, roles: ['lanh_dao'] };
const clerk: Actor = { userId: 'u-clerk', username: 'vanthu', agencyOrganId: ORG, roles: ['van_thu'] };
const specialist: Actor = { userId: 'u-cv', username: 'chuyenvien', agencyOrganId: ORG, roles: ['chuyen_vien'] };
const admin: Actor = { userId: 'u-admin', username: 'quantri', agencyOrganId: ORG, roles: ['quan_tri'] };

class MemoryKeys implements SigningKeyRepository {
  readonly rows = new Map<string, SigningKeyRecord>();
  readonly uses: SigningKeyUse[] = [];
  async insert(k: NewSigningKey) { const r: SigningKeyRecord = { ...k, status: 'active', failedPinAttempts: 0, lockedAt: null, createdAt: new Date(), retiredAt: null }; this.rows.set(k.id, r); return r; }
  async find(o: string, id: string) { const r = this.rows.get(id); return r && r.agencyOrganId === o ? r : null; }
  async findForUpdate(o: string, id: string) { return this.find(o, id); }
  async findActiveForUpdate(o: string, kind: SigningKeyRecord['kind'], owner: string | null) { return [...this.rows.values()].find((r) => r.agencyOrganId === o && r.kind === kind && r.ownerUserId === owner && r.status === 'active') ?? null; }
  async findActiveId(o: string, kind: SigningKeyRecord['kind'], owner: string | null) { return (await this.findActiveForUpdate(o, kind, owner))?.id ?? null; }
  async list(o: string) { return [...this.rows.values()].filter((r) => r.agencyOrganId === o); }
  async retire(id: string, at: Date) { const r = this.rows.get(id); if (r) this.rows.set(id, { ...r, status: 'retired', retiredAt: at }); }
  async setPinState(id: string, s: { failedPinAttempts: number; lockedAt: Date | null }) { const r = this.rows.get(id); if (r) this.rows.set(id, { ...r, ...s }); }
  async recordUse(u: SigningKeyUse) { this.uses.push(u); }
  async listUses(keyId: string) { return this.uses.filter((u) => u.keyId === keyId).map((u) => ({ ...u, usedAt: '' })); }
}

/** Commits on success, rolls back (restores the key rows, drops the audit entries) when `work` throws. */
class MemoryUnitOfWork implements UnitOfWork {
  readonly keys = new MemoryKeys();
  readonly audit: AuditEvent[] = [];
  readonly users = new Map<string, User>([leader, otherLeader, clerk, specialist, admin].map((a) => [a.userId, { id: a.userId, username: a.username, agencyOrganId: ORG, unitId: null, fullName: a.username, position: null, roles: a.roles, disabled: false }]));

  async run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    const saved = new Map(this.keys.rows);
    const auditLength = this.audit.length;
    const repos = {
      signingKeys: this.keys,
      audit: { append: async (_chain: string, e: AuditEvent) => { this.audit.push(e); } },
      users: { findById: async (id: string) => this.users.get(id) ?? null },
    } as unknown as Repositories;
    try { return await work(repos); } catch (error) {
      this.keys.rows.clear();
      for (const [k, v] of saved) this.keys.rows.set(k, v);
      this.audit.length = auditLength;
      throw error;
    }
  }
}

const noTools = (): DocumentSignatureTools => { throw new Error('no cryptography in these tests'); };
const facts = { subject: 'CN=Test', serialNumber: '01', notBefore: new Date('2025-01-01'), notAfter: new Date('2045-01-01'), sha256: 'ab'.repeat(32) };
const pkcs8 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try { await promise; } catch (error) { if (isDomainError(error)) return error.code; throw error; }
  return 'ok';
}

function setup(settings = { maxPinAttempts: 3, unlockWindowSeconds: 0, minPinLength: 6 }) {
  const uow = new MemoryUnitOfWork();
  const sealer = new KeySealer('unit test node secret 0123', { cost: 1024 });
  const custody = new KeyCustodyService(uow, noTools, () => sealer, { now: () => new Date('2026-11-23T03:00:00Z') }, settings);
  const personal = (owner: Actor, pin: string) => custody.store(admin.userId, ORG, { kind: 'personal', ownerUserId: owner.userId, pin, privateKeyPkcs8: pkcs8(), certificate: Buffer.from([1]), chain: [], facts });
  const organisation = () => custody.store(admin.userId, ORG, { kind: 'organisation', ownerUserId: null, pin: null, privateKeyPkcs8: pkcs8(), certificate: Buffer.from([2]), chain: [], facts });
  return { uow, custody, personal, organisation };
}

describe('key custody rules (in-memory ports)', () => {
  it('a leader opens only their own personal key, with the right PIN', async () => {
    const { custody, personal } = setup();
    const mine = await personal(leader, '111111');
    const theirs = await personal(otherLeader, '222222');
    expect((await custody.unsealPersonal(leader, ORG, { pin: '111111' })).keyId).to.equal(mine.id);
    expect(await codeOf(custody.unsealPersonal(leader, ORG, { pin: '222222', keyId: theirs.id }))).to.equal('pki.not_key_holder');
    expect(await codeOf(custody.unsealPersonal(clerk, ORG, { pin: '111111' }))).to.equal('auth.forbidden');
    expect(await codeOf(custody.unsealPersonal({ ...leader, agencyOrganId: '000.00.00.G10' }, ORG, { pin: '111111' }))).to.equal('auth.other_agency');
    expect(await codeOf(custody.unsealPersonal(leader, ORG, {}))).to.equal('request.invalid'); // no window: a PIN each time
  });

  it('wrong PINs survive the failed call; the Nth locks the key, which then refuses the right PIN', async () => {
    const { uow, custody, personal } = setup();
    const key = await personal(leader, '111111');
    expect(await codeOf(custody.unsealPersonal(leader, ORG, { pin: '999999' }))).to.equal('pki.wrong_pin');
    expect(await codeOf(custody.unsealPersonal(leader, ORG, { pin: '999999' }))).to.equal('pki.wrong_pin');
    expect(uow.keys.rows.get(key.id)?.failedPinAttempts).to.equal(2);
    expect(await codeOf(custody.unsealPersonal(leader, ORG, { pin: '999999' }))).to.equal('pki.key_locked');
    expect(await codeOf(custody.unsealPersonal(leader, ORG, { pin: '111111' }))).to.equal('pki.key_locked');
    expect(uow.audit.map((e) => e.action).filter((a) => a.startsWith('key.') && a !== 'key.import')).to.deep.equal(['key.wrong_pin', 'key.wrong_pin', 'key.wrong_pin', 'key.lock', 'key.use_refused_locked']);
    expect(await codeOf(custody.unlockAfterLockout(leader, ORG, key.id))).to.equal('auth.forbidden');
    await custody.unlockAfterLockout(admin, ORG, key.id);
    expect((await custody.unsealPersonal(leader, ORG, { pin: '111111' })).keyId).to.equal(key.id);
  });

  it('a correct PIN resets the counter', async () => {
    const { uow, custody, personal } = setup();
    const key = await personal(leader, '111111');
    await codeOf(custody.unsealPersonal(leader, ORG, { pin: '999999' }));
    await custody.unsealPersonal(leader, ORG, { pin: '111111' });
    expect(uow.keys.rows.get(key.id)?.failedPinAttempts).to.equal(0);
  });

  it('the organisation key is for the văn thư role only', async () => {
    const { custody, organisation } = setup();
    const key = await organisation();
    expect((await custody.unsealOrganisation(clerk, ORG)).keyId).to.equal(key.id);
    for (const actor of [specialist, leader, admin]) expect(await codeOf(custody.unsealOrganisation(actor, ORG))).to.equal('auth.forbidden');
  });

  it('rotation retires the previous key of the same holder only; a retired key cannot sign', async () => {
    const { uow, custody, personal } = setup();
    const first = await personal(leader, '111111');
    const other = await personal(otherLeader, '222222');
    const second = await personal(leader, '333333');
    expect(uow.keys.rows.get(first.id)?.status).to.equal('retired');
    expect(uow.keys.rows.get(first.id)?.certificate.equals(Buffer.from([1]))).to.equal(true);
    expect(uow.keys.rows.get(other.id)?.status).to.equal('active');
    expect(uow.audit.map((e) => e.action)).to.include.members(['key.retire', 'key.rotate']);
    expect(await codeOf(custody.unsealPersonal(leader, ORG, { pin: '111111', keyId: first.id }))).to.equal('pki.key_retired');
    expect((await custody.unsealPersonal(leader, ORG, { pin: '333333' })).keyId).to.equal(second.id);
  });

  it('a personal key is held by a lãnh đạo of the agency', async () => {
    const { custody } = setup();
    const code = await codeOf(custody.store(admin.userId, ORG, { kind: 'personal', ownerUserId: specialist.userId, pin: '111111', privateKeyPkcs8: pkcs8(), certificate: Buffer.from([1]), chain: [], facts }));
    expect(code).to.equal('request.invalid');
  });

  it('with a window, the key stays open for its holder without a PIN', async () => {
    const { custody, personal } = setup({ maxPinAttempts: 3, unlockWindowSeconds: 30, minPinLength: 6 });
    const key = await personal(leader, '111111');
    await custody.unsealPersonal(leader, ORG, { pin: '111111' });
    expect((await custody.unsealPersonal(leader, ORG, {})).keyId).to.equal(key.id);
    expect(await codeOf(custody.unsealPersonal(otherLeader, ORG, {}))).to.equal('request.invalid');
  });
});
