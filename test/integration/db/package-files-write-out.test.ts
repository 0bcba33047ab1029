// Received files kept in their package (attachments.source_package_sha256, migration 20261208020000) on both
// databases: the lookup of a file's packages, `writeOutPackageFiles` (`edoc-node blobs write-out`) making each
// a blob of its own and clearing its rows' source, a file no stored package yields listed and left named, and
// the migration's `down` refusing while a file is kept only in its package.
import { expect } from 'chai';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, up } from '../../../migrations/20261208020000_attachments_source_package.ts';
import { KnexUnitOfWork } from '../../../src/db/knex-unit-of-work.ts';
import { buildDocumentPackage } from '../../../src/edxml/package-builder.ts';
import { PackageFileBlobStore, writeOutPackageFiles } from '../../../src/services/package-file-blobs.ts';
import { FileSystemBlobStore } from '../../../src/storage/fs-blob-store.ts';
import { samplePackage } from '../../unit/edxml/sample-package.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';

const AGENCY = '000.00.00.G22';
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const once = async function* (b: Uint8Array) { yield b; };

for (const kind of databaseKinds) {
  describe(`received files kept in their package: lookup, write-out, migration (${kind})`, function () {
    this.timeout(60_000);
    let test: TestDatabase;
    let root: string;
    const userId = randomUUID();

    before(async () => {
      test = await createTestDatabase(kind);
      root = await mkdtemp(join(tmpdir(), 'edoc-write-out-'));
      await test.database.knex('agencies').insert({ organ_id: AGENCY, name: 'Sở Thông tin và Truyền thông', abbreviation: 'STTTT', level: 'province' });
      await test.database.knex('users').insert({ id: userId, username: 'truc', agency_organ_id: AGENCY, full_name: 'Trục liên thông', password_hash: 'x' });
    });
    after(async () => { await test.drop(); await rm(root, { recursive: true, force: true }); });

    async function receivedFile(content: Buffer, packageSha256: string): Promise<string> {
      const documentId = randomUUID();
      await test.database.knex('documents').insert({
        id: documentId, agency_organ_id: AGENCY, direction: 'incoming', origin: 'electronic', status: 'received',
        type_name: 'Công văn', organ_name: 'Văn phòng Chính phủ', subject: 'Văn bản đến', created_by: userId,
      });
      await test.database.knex('attachments').insert({ id: randomUUID(), document_id: documentId, role: 'main', file_name: 'cong-van.pdf', media_type: 'application/pdf', size: content.length, sha256: sha(content), uploaded_by: userId, source_package_sha256: packageSha256 });
      return sha(content);
    }

    it('finds a file\'s packages, writes every file out, lists the one no stored package yields; down refused until then', async () => {
      const files = new FileSystemBlobStore(root);
      const uow = new KnexUnitOfWork(test.database.knex, { now: () => new Date() });
      const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(50_000)]);
      const bytes = buildDocumentPackage(samplePackage({ attachments: [{ contentId: 'a1', name: 'cong-van.pdf', contentType: 'application/pdf', content: pdf, transferEncoding: 'zip' }] }));
      const stored = await files.put(once(bytes), 10_000_000);
      const kept = await receivedFile(pdf, stored.sha256);
      const lost = await receivedFile(Buffer.from('gói tin đã mất'), '0'.repeat(64));

      expect(await uow.run((repos) => repos.attachments.packagesHolding(kept))).to.deep.equal([stored.sha256]);
      expect(await uow.run((repos) => repos.attachments.packagesHolding(sha(randomBytes(8))))).to.deep.equal([]);
      const refused = await down(test.database.knex).then(() => null, (e: unknown) => e);
      expect((refused as Error).message).to.contain('blobs write-out');

      const store = new PackageFileBlobStore(files, (s) => uow.run((repos) => repos.attachments.packagesHolding(s)), 50 * 1024 * 1024);
      const report = await writeOutPackageFiles(uow, store);
      expect(report).to.deep.equal({ written: 1, missing: [lost] });
      expect(await files.has(kept), 'a blob of its own').to.equal(true);
      const sources = await test.database.knex('attachments').whereIn('sha256', [kept, lost]).select('sha256', 'source_package_sha256');
      expect(Object.fromEntries(sources.map((r) => [r.sha256.trim(), r.source_package_sha256?.trim() ?? null]))).to.deep.equal({ [kept]: null, [lost]: '0'.repeat(64) });

      await test.database.knex('attachments').where({ sha256: lost }).del(); // the operator's decision for the lost one
      await down(test.database.knex);
      expect(await test.database.knex.schema.hasColumn('attachments', 'source_package_sha256')).to.equal(false);
      await up(test.database.knex);
      expect(await writeOutPackageFiles(uow, store)).to.deep.equal({ written: 0, missing: [] });
    });
  });
}
