// The signing use cases over HTTP, on PostgreSQL and PGlite (issue 3 item 4-5, "Done when": the demo
// network's leaders and văn thư can sign): the leader's personal PAdES signature, the văn thư's agency
// signature at issue (second PAdES + detached CMS on the other attachment), checked by pdfsig and
// openssl cms; who may use which key; PIN lock-out and its audit; PKCS#12 import and rotation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { DEMO_PIN } from '../../../src/services/demo-keys.ts';
import { samplePdf } from '../../unit/pki/signatures/support/sample-pdf.ts';
import { pdfsigWithDevTrust } from '../../support/pdfsig.ts';
import { databaseKinds } from '../../support/databases.ts';
import type { HttpNode } from '../../support/http-node.ts';
import { isDomainError } from '../../../src/domain/errors.ts';
import { KeySealer } from '../../../src/services/key-custody-sealing.ts';
import { KeyCustodyService } from '../../../src/services/key-custody-service.ts';
import { actorFor } from '../../support/network.ts';
import { SIGNING_TEST_SECRET, startSigningNode } from './support/signing-node.ts';

const G22 = '000.00.00.G22';
const api = `/api/agencies/${G22}`;
const devDir = resolve(import.meta.dirname, '../../../certs-dev');
const devPassphrase = process.env.EDOC_DEV_PKI_PASSPHRASE || 'edoc-dev-1234';
const p12 = (path: string): string => readFileSync(join(devDir, path)).toString('base64');

const run = (cmd: string, args: string[]): { ok: boolean; out: string } => {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: r.status === 0, out: `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}` };
};

async function download(node: HttpNode, token: string, path: string): Promise<Buffer> {
  const res = await fetch(`${node.base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, path).to.equal(200);
  return Buffer.from(await res.arrayBuffer());
}

/** A drafted outgoing document with a main PDF and one separate attachment. */
async function draftWithFiles(node: HttpNode): Promise<string> {
  const cv = await node.login(`chuyenvien@${G22}`);
  const draft = await node.request('POST', `${api}/outgoing`, { token: cv, json: { typeName: 'Quyết định', subject: 'Ban hành quy chế ký số', recipients: [{ organId: '000.00.00.G10', organName: 'Bộ Nội vụ' }] } });
  expect(draft.status, draft.text).to.equal(201);
  const id = draft.body.id as string;
  const main = await node.request('POST', `${api}/documents/${id}/attachments?fileName=quyet-dinh.pdf&role=main`, { token: cv, body: samplePdf({ text: `Quyet dinh ${id}` }), headers: { 'content-type': 'application/pdf' } });
  expect(main.status, main.text).to.equal(201);
  const annex = await node.request('POST', `${api}/documents/${id}/attachments?fileName=phu-luc.txt`, { token: cv, body: Buffer.from('Phụ lục: danh sách cơ quan nhận\n'), headers: { 'content-type': 'text/plain' } });
  expect(annex.status, annex.text).to.equal(201);
  return id;
}

async function auditActions(node: HttpNode): Promise<string[]> {
  const rows = await node.db.database.knex('audit_log').where({ chain: G22 }).orderBy('seq').select('entry');
  return rows.map((r: { entry: string }) => (JSON.parse(r.entry) as { action: string }).action);
}

for (const kind of databaseKinds) {
  describe(`signing and key custody over HTTP (${kind})`, function () {
    this.timeout(120_000);
    let node: HttpNode;
    let dir: string;

    before(async () => {
      node = await startSigningNode(kind);
      await node.app.seedDemo(); // the network is seeded already: this adds the demo keys of certs-dev/
      dir = mkdtempSync(join(tmpdir(), 'edoc-signing-'));
    });
    after(async () => { await node?.close(); });

    it('seeds the demo keys: one organisation key per agency, one personal key per leader', async () => {
      const keys = await node.db.database.knex('signing_keys').select('agency_organ_id', 'kind', 'status');
      expect(keys.filter((k: { kind: string }) => k.kind === 'organisation')).to.have.length(6);
      expect(keys.filter((k: { kind: string }) => k.kind === 'personal')).to.have.length(6);
      await node.app.seedDemo();
      expect(await node.db.database.knex('signing_keys').count({ n: '*' }).first()).to.deep.equal({ n: 12 }); // idempotent
    });

    it('the node unseals the organisation key for envelopes, audited as system; a văn thư path needs the role', async () => {
      const key = await node.app.keyCustody.unsealOrganisationForNode(G22, 'edXML envelope signing');
      const row = await node.db.database.knex('signing_keys').where({ agency_organ_id: G22, kind: 'organisation', status: 'active' }).first();
      expect(key.keyId).to.equal(row.id);
      expect(key.certificate.equals(row.certificate)).to.equal(true);
      expect(key.privateKeyPkcs8.subarray(0, 1)[0]).to.equal(0x30); // a DER SEQUENCE (PKCS#8)
      const last = await node.db.database.knex('audit_log').where({ chain: G22 }).orderBy('seq', 'desc').first();
      expect(JSON.parse(last.entry)).to.include({ actor: 'system', action: 'key.node_unseal' });
      const specialist = await actorFor(node.db.database, 'chuyen_vien', G22);
      try { await node.app.keyCustody.unsealOrganisation(specialist, G22); expect.fail('a chuyên viên unsealed the agency key'); } catch (error) { expect(isDomainError(error, 'auth.forbidden')).to.equal(true); }
    });

    it('the leader signs, the văn thư issues with the agency signature; pdfsig and openssl cms accept them', async () => {
      const id = await draftWithFiles(node);
      const leader = await node.login(`lanhdao@${G22}`);
      const signed = await node.request('POST', `${api}/documents/${id}/signatures/personal`, { token: leader, json: { pin: DEMO_PIN } });
      expect(signed.status, signed.text).to.equal(201);
      expect(signed.body.document.status).to.equal('signed');
      expect(signed.body.signature.indication).to.equal('TOTAL_PASSED');
      expect(signed.body.signature.signer.subject).to.match(/CN=Nguyễn Văn An/);
      expect(signed.body.signature.report.evidence.timestamps).to.have.length(1);

      const clerk = await node.login(`vanthu@${G22}`);
      const cv = await node.login(`chuyenvien@${G22}`);
      const refused = await node.request('POST', `${api}/outgoing/${id}/agency-signature`, { token: cv });
      expect(refused.status).to.equal(403);
      expect(refused.body.error.code).to.equal('auth.forbidden');
      const early = await node.request('POST', `${api}/outgoing/${id}/agency-signature`, { token: clerk });
      expect(early.status).to.equal(409);
      expect(early.body.error.code).to.equal('signing.wrong_status');

      const issued = await node.request('POST', `${api}/outgoing/${id}/issue`, { token: clerk });
      expect(issued.status, issued.text).to.equal(200);
      const sealed = await node.request('POST', `${api}/outgoing/${id}/agency-signature`, { token: clerk });
      expect(sealed.status, sealed.text).to.equal(201);
      const forms = sealed.body.signatures.map((s: { form: string; indication: string; signer: { organId?: string } }) => [s.form, s.indication, s.signer.organId]);
      expect(forms).to.have.deep.members([['PAdES', 'TOTAL_PASSED', G22], ['CMS', 'TOTAL_PASSED', G22]]);
      const again = await node.request('POST', `${api}/outgoing/${id}/agency-signature`, { token: clerk });
      expect(again.body.error.code).to.equal('signing.already_sealed');

      // The reports are kept with the document: the leader's, then the agency's two.
      const list = await node.request('GET', `${api}/documents/${id}/signatures`, { token: cv });
      expect(list.body.items.map((s: { kind: string; form: string }) => `${s.kind}/${s.form}`)).to.have.members(['personal/PAdES', 'organisation/PAdES', 'organisation/CMS']);

      // pdfsig: both signatures valid, the second covering the whole file.
      const pades = sealed.body.signatures.find((s: { form: string }) => s.form === 'PAdES');
      const pdf = await download(node, clerk, `${api}/documents/${id}/attachments/${pades.attachmentId}`);
      writeFileSync(join(dir, `${kind}.pdf`), pdf);
      const check = await pdfsigWithDevTrust(join(dir, `${kind}.pdf`));
      expect(check.ok, check.out).to.equal(true);
      expect(check.out.match(/Signature Validation: Signature is Valid\./g)).to.have.length(2);
      expect(check.out.match(/Certificate Validation: Certificate is Trusted\./g), check.out).to.have.length(2);
      expect(check.out).to.match(/Signature #1:[\s\S]*Nguyễn Văn An[\s\S]*Signature #2:[\s\S]*Văn phòng Chính phủ[\s\S]*Total document signed/);

      // openssl cms -verify on the detached CMS of the separate attachment.
      const cms = sealed.body.signatures.find((s: { form: string }) => s.form === 'CMS');
      writeFileSync(join(dir, 'annex.p7s'), await download(node, clerk, cms.detachedSignatureUrl));
      writeFileSync(join(dir, 'annex.txt'), await download(node, clerk, `${api}/documents/${id}/attachments/${cms.attachmentId}`));
      writeFileSync(join(dir, 'ca.pem'), Buffer.concat([readFileSync(join(devDir, 'ca/root.crt.pem')), readFileSync(join(devDir, 'ca/issuing-ca.crt.pem'))]));
      const verified = run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'annex.p7s'), '-content', join(dir, 'annex.txt'), '-CAfile', join(dir, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null']);
      expect(verified.out).to.match(/Verification successful/);

      // Every use of a key is recorded and audited.
      const uses = await node.db.database.knex('signing_key_uses').where({ document_id: id }).select('form');
      expect(uses.map((u: { form: string }) => u.form).sort()).to.deep.equal(['CMS', 'PAdES', 'PAdES']);
      const actions = await auditActions(node);
      expect(actions.filter((a) => a === 'key.use').length).to.be.at.least(3);
      expect(actions).to.include.members(['document.sign_personal', 'document.sign_organisation']);
    });

    it('a leader cannot use another leader\'s key; a văn thư or chuyên viên cannot sign personally', async () => {
      const admin = await node.login(`quantri@${G22}`);
      const created = await node.request('POST', `${api}/users`, { token: admin, json: { username: 'lanhdao2.vpcp', fullName: 'Phó Đức Hải', roles: ['lanh_dao'], password: 'another password 123' } });
      expect(created.status, created.text).to.equal(201);
      // The quản trị imports a personal key for the second leader (a dev personal certificate).
      const imported = await node.request('POST', `${api}/keys`, { token: admin, json: { kind: 'personal', pkcs12: p12('agencies/000.00.00.G10/lanhdao.p12'), passphrase: devPassphrase, pin: '654321', ownerUserId: created.body.id } });
      expect(imported.status, imported.text).to.equal(201);
      const id = await draftWithFiles(node);
      const leader = await node.login(`lanhdao@${G22}`);
      const foreign = await node.request('POST', `${api}/documents/${id}/signatures/personal`, { token: leader, json: { pin: '654321', keyId: imported.body.id } });
      expect(foreign.status).to.equal(403);
      expect(foreign.body.error.code).to.equal('pki.not_key_holder');
      for (const who of ['vanthu', 'chuyenvien']) {
        const res = await node.request('POST', `${api}/documents/${id}/signatures/personal`, { token: await node.login(`${who}@${G22}`), json: { pin: DEMO_PIN } });
        expect(res.status).to.equal(403);
        expect(res.body.error.code).to.equal('auth.forbidden');
      }
      const uses = await node.db.database.knex('signing_key_uses').where({ key_id: imported.body.id });
      expect(uses).to.have.length(0);
    });

    it('wrong PINs are counted and audited; after 5 the key is locked until a quản trị unlocks it', async () => {
      const id = await draftWithFiles(node);
      const leader = await node.login(`lanhdao@${G22}`);
      const sign = (pin: string) => node.request('POST', `${api}/documents/${id}/signatures/personal`, { token: leader, json: { pin } });
      const codes: string[] = [];
      for (let i = 0; i < 5; i += 1) codes.push((await sign('000000')).body.error.code);
      expect(codes).to.deep.equal(['pki.wrong_pin', 'pki.wrong_pin', 'pki.wrong_pin', 'pki.wrong_pin', 'pki.key_locked']);
      const locked = await sign(DEMO_PIN);
      expect(locked.status).to.equal(403);
      expect(locked.body.error.code).to.equal('pki.key_locked'); // even the right PIN
      const actions = await auditActions(node);
      expect(actions.filter((a) => a === 'key.wrong_pin')).to.have.length(5);
      expect(actions).to.include('key.lock');
      expect(actions).to.include('key.use_refused_locked');

      const keys = await node.request('GET', `${api}/keys`, { token: leader });
      const own = keys.body.items.find((k: { kind: string; status: string }) => k.kind === 'personal' && k.status === 'active');
      expect(own.locked).to.equal(true);
      expect(own.failedPinAttempts).to.equal(5);
      const byLeader = await node.request('POST', `${api}/keys/${own.id}/unlock`, { token: leader });
      expect(byLeader.body.error.code).to.equal('auth.forbidden');
      const unlocked = await node.request('POST', `${api}/keys/${own.id}/unlock`, { token: await node.login(`quantri@${G22}`) });
      expect(unlocked.status, unlocked.text).to.equal(200);
      expect(unlocked.body.locked).to.equal(false);
      expect((await sign(DEMO_PIN)).status).to.equal(201);
      expect(await auditActions(node)).to.include('key.unlock');
    });

    it('concurrent signatures of one document never fork the main PDF (signing.main_changed)', async () => {
      const id = await draftWithFiles(node);
      const leader = await node.login(`lanhdao@${G22}`);
      const results = await Promise.all([0, 1, 2].map(() => node.request('POST', `${api}/documents/${id}/signatures/personal`, { token: leader, json: { pin: DEMO_PIN } })));
      const ok = results.filter((r) => r.status === 201);
      expect(ok.length).to.be.at.least(1);
      for (const r of results.filter((x) => x.status !== 201)) expect(r.body.error.code).to.equal('signing.main_changed');
      const reports = (await node.request('GET', `${api}/documents/${id}/signatures`, { token: leader })).body.items as { sourceAttachmentId: string; attachmentId: string }[];
      expect(reports).to.have.length(ok.length);
      expect(new Set(reports.map((r) => r.sourceAttachmentId)).size).to.equal(reports.length); // each version signed once
      // The last version carries every accepted signature, each valid.
      const last = reports[reports.length - 1] as { attachmentId: string };
      const pdf = await download(node, leader, `${api}/documents/${id}/attachments/${last.attachmentId}`);
      writeFileSync(join(dir, `concurrent-${kind}.pdf`), pdf);
      const check = await pdfsigWithDevTrust(join(dir, `concurrent-${kind}.pdf`));
      expect(check.out.match(/Signature Validation: Signature is Valid\./g), check.out).to.have.length(ok.length);
    });

    it('with an unlock window, one PIN opens the key for that leader only, until the window ends', async () => {
      const custody = new KeyCustodyService(node.app.uow, () => { throw new Error('no cryptography needed'); }, () => new KeySealer(SIGNING_TEST_SECRET, { cost: 1024 }), node.clock, { maxPinAttempts: 5, unlockWindowSeconds: 60, minPinLength: 6 });
      const leader = await actorFor(node.db.database, 'lanh_dao', G22);
      const row = await node.db.database.knex('users').where({ username: 'lanhdao2.vpcp' }).first();
      const other = { userId: row.id as string, username: 'lanhdao2.vpcp', agencyOrganId: G22, roles: ['lanh_dao' as const] };
      const needsPin = async (actor: typeof leader): Promise<boolean> => {
        try { await custody.unsealPersonal(actor, G22, {}); return false; } catch (error) { return isDomainError(error, 'request.invalid'); }
      };
      expect(await needsPin(leader)).to.equal(true);
      const opened = await custody.unsealPersonal(leader, G22, { pin: DEMO_PIN });
      const again = await custody.unsealPersonal(leader, G22, {});
      expect(again.keyId).to.equal(opened.keyId);
      expect(again.privateKeyPkcs8.equals(opened.privateKeyPkcs8)).to.equal(true);
      expect(await needsPin(other)).to.equal(true); // another leader gets nothing from this window
      const start = node.clock.now();
      node.clock.set(new Date(start.getTime() + 61_000));
      try { expect(await needsPin(leader)).to.equal(true); } finally { node.clock.set(start); }
    });

    it('PKCS#12 import: wrong passphrase, another agency\'s or a revoked certificate refused; rotation keeps the old certificate', async () => {
      const admin = await node.login(`quantri@${G22}`);
      const importOrg = (pkcs12: string, passphrase = devPassphrase) => node.request('POST', `${api}/keys`, { token: admin, json: { kind: 'organisation', pkcs12, passphrase } });
      expect((await importOrg(p12(`agencies/${G22}/organisation.p12`), 'wrong')).body.error.code).to.equal('pki.invalid_key');
      const other = await importOrg(p12('agencies/000.00.00.G10/organisation.p12'));
      expect(other.status).to.equal(400);
      expect(other.body.error.code).to.equal('pki.invalid_certificate');
      const leader = await node.login(`lanhdao@${G22}`);
      const revoked = await node.request('POST', `${api}/keys`, { token: leader, json: { kind: 'personal', pkcs12: p12('bad/revoked.p12'), passphrase: devPassphrase, pin: '112233' } });
      expect(revoked.body.error.code).to.equal('pki.invalid_certificate');
      expect(revoked.body.error.details[0].message).to.match(/REVOKED/);
      const clerk = await node.login(`vanthu@${G22}`);
      expect((await node.request('POST', `${api}/keys`, { token: clerk, json: { kind: 'organisation', pkcs12: p12(`agencies/${G22}/organisation.p12`), passphrase: devPassphrase } })).body.error.code).to.equal('auth.forbidden');

      // A document signed with the leader's current key, then the leader rotates to a new certificate.
      const id = await draftWithFiles(node);
      const before = await node.request('POST', `${api}/documents/${id}/signatures/personal`, { token: leader, json: { pin: DEMO_PIN } });
      expect(before.status, before.text).to.equal(201);
      const oldKeyId = before.body.signature.keyId as string;
      const rotated = await node.request('POST', `${api}/keys`, { token: leader, json: { kind: 'personal', pkcs12: p12('agencies/000.00.32.H53/lanhdao.p12'), passphrase: devPassphrase, pin: '246810' } });
      expect(rotated.status, rotated.text).to.equal(201);
      const keys = (await node.request('GET', `${api}/keys`, { token: leader })).body.items as { id: string; status: string; kind: string; certificate: { sha256: string; pem: string } }[];
      const old = keys.find((k) => k.id === oldKeyId);
      expect(old?.status).to.equal('retired');
      expect(old?.certificate.sha256).to.equal(before.body.signature.signer.sha256); // kept for verification
      expect(old?.certificate.pem).to.match(/^-----BEGIN CERTIFICATE-----/);
      expect(keys.filter((k) => k.kind === 'personal' && k.status === 'active').map((k) => k.id)).to.deep.equal([rotated.body.id]);
      expect(await auditActions(node)).to.include('key.rotate');
      // The old PIN no longer opens anything; the new key signs with the new PIN.
      expect((await node.request('POST', `${api}/documents/${id}/signatures/personal`, { token: leader, json: { pin: DEMO_PIN, keyId: oldKeyId } })).body.error.code).to.equal('pki.key_retired');
      const after = await node.request('POST', `${api}/documents/${id}/signatures/personal`, { token: leader, json: { pin: '246810' } });
      expect(after.status, after.text).to.equal(201);
      expect(after.body.signature.signer.sha256).to.not.equal(before.body.signature.signer.sha256);
      // The PDF now carries both signatures; the one made before the rotation still verifies.
      const pdf = await download(node, leader, `${api}/documents/${id}/attachments/${after.body.attachment.id}`);
      writeFileSync(join(dir, `rotated-${kind}.pdf`), pdf);
      const check = await pdfsigWithDevTrust(join(dir, `rotated-${kind}.pdf`));
      expect(check.out.match(/Signature Validation: Signature is Valid\./g), check.out).to.have.length(2);
      const reports = (await node.request('GET', `${api}/documents/${id}/signatures`, { token: leader })).body.items as { keyId: string; indication: string }[];
      expect(reports.map((r) => [r.keyId, r.indication])).to.deep.equal([[oldKeyId, 'TOTAL_PASSED'], [rotated.body.id, 'TOTAL_PASSED']]);
    });
  });
}
