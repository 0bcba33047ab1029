// KnexOutboxStore and KnexInboxStore on real PostgreSQL and on embedded PGlite.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { InboxConsumer } from '../../../src/axis/inbox-consumer.ts';
import { KnexInboxStore, KnexTransactionUnitOfWork } from '../../../src/db/knex-inbox-store.ts';
import { KnexExchangeUnitOfWork } from '../../../src/db/knex-exchange-unit-of-work.ts';
import { KnexOutboxStore } from '../../../src/db/knex-outbox-store.ts';
import { KnexUnitOfWork } from '../../../src/db/knex-unit-of-work.ts';
import { bytesPayload, type AxisDelivery, type AxisHeaders } from '../../../src/domain/axis-transport.ts';
import { DomainError } from '../../../src/domain/errors.ts';
import { OUTBOX_INLINE_MAX_BYTES, type OutboxEntry } from '../../../src/domain/outbox.ts';
import { joinSignedParts } from '../../../src/pki/xmldsig/envelope-signer.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../support/databases.ts';
import { AGENCY_A, AGENCY_B } from '../../unit/axis/support/transport-behaviour.ts';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const headers = (bytes: Uint8Array, to = AGENCY_B): AxisHeaders => ({
  from: AGENCY_A, to, messageType: 'edoc', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: sha256(bytes),
});

for (const kind of databaseKinds) {
  describe(`axis stores on ${kind}`, function () {
    let db: TestDatabase;
    let knex: Knex;
    let outbox: KnexOutboxStore;
    const t0 = new Date(Date.now() + 3_600_000); // the relay's clock, ahead of the rows' default now()
    const at = (ms: number): Date => new Date(t0.getTime() + ms);

    before(async () => {
      db = await createTestDatabase(kind);
      knex = db.database.knex;
      outbox = new KnexOutboxStore(knex);
      await knex.schema.createTable('axis_test_effects', (t) => {
        t.text('message_id').notNullable();
      });
      await knex.schema.createTable('axis_test_unique', (t) => {
        t.text('code').primary();
      });
    });
    after(async () => db?.drop());
    beforeEach(async () => {
      await knex('axis_outbox').delete();
      await knex('axis_inbox').delete();
      await knex('axis_test_effects').delete();
      await knex('axis_test_unique').delete();
    });

    it('only entries of a committed issuing transaction become claimable', async () => {
      const kept = Buffer.from('kept');
      const keptHeaders = headers(kept);
      await knex.transaction(async (trx) => outbox.enqueue(trx, { id: randomUUID(), headers: keptHeaders, package: kept, documentId: null }));
      await knex.transaction(async (trx) => {
        await outbox.enqueue(trx, { id: randomUUID(), headers: headers(Buffer.from('lost')), package: Buffer.from('lost'), documentId: null });
        throw new Error('issuing failed');
      }).catch(() => undefined);
      const claimed = await outbox.claimDue(new Date(), 10, 60_000);
      expect(claimed.map((e) => e.headers)).to.deep.equal([keptHeaders]);
      expect(Buffer.from(await claimed[0]!.payload.bytes()).toString()).to.equal('kept');
    });

    it('hands the entries of a committed transaction to the relay, leased; none of a rolled-back savepoint or transaction', async () => {
      const taken: OutboxEntry[][] = [];
      const claims: boolean[] = [];
      const leaseUntil = at(120_000);
      const exchange = new KnexExchangeUnitOfWork(knex, new KnexUnitOfWork(knex, { now: () => new Date() }));
      exchange.handOutboxTo({ leaseUntil: () => leaseUntil, take: (entries, alsoClaim) => { taken.push([...entries]); claims.push(alsoClaim); } });
      const entry = (label: string) => { const bytes = Buffer.from(label); return { id: randomUUID(), headers: headers(bytes), package: bytes, documentId: null }; };
      const [first, kept, dropped, last, lost] = ['01', '03', 'rolled back', '05', 'lost'].map(entry) as [ReturnType<typeof entry>, ReturnType<typeof entry>, ReturnType<typeof entry>, ReturnType<typeof entry>, ReturnType<typeof entry>];
      await exchange.run(async (repos) => {
        await repos.outbox.enqueue(first);
        await exchange.savepoint(repos, (inner) => inner.outbox.enqueue(kept));
        await exchange.savepoint(repos, async (inner) => { await inner.outbox.enqueue(dropped); throw new Error('this savepoint rolls back'); }).catch(() => undefined);
        await repos.outbox.enqueue(last);
        expect(taken).to.deep.equal([]); // not before the commit
      });
      await exchange.run(async (repos) => { await repos.outbox.enqueue(lost); throw new Error('rolled back'); }).catch(() => undefined);
      expect(taken.map((entries) => entries.map((e) => e.headers.messageId))).to.deep.equal([[first, kept, last].map((e) => e.headers.messageId)]);
      expect(Buffer.from(await taken[0]![1]!.payload.bytes()).toString()).to.equal('03');
      expect(claims).to.deep.equal([false]);
      const rows = await knex('axis_outbox').select('id', 'lease_until');
      expect(rows.map((r) => r.id).sort()).to.deep.equal([first.id, kept.id, last.id].sort());
      expect(rows.every((r) => new Date(r.lease_until).getTime() === leaseUntil.getTime())).to.equal(true);
      expect(await outbox.claimDue(at(0), 10, 60_000)).to.deep.equal([]); // leased to the relay it was handed to
      await outbox.release([first.id]); // that relay stopped before publishing it
      expect((await outbox.claimDue(at(0), 10, 60_000)).map((e) => e.id)).to.deep.equal([first.id]);
      const large = { id: randomUUID(), headers: headers(Buffer.from('large')), packageBlob: { sha256: 'ab'.repeat(32), size: 300_000 }, documentId: null };
      await exchange.run((repos) => repos.outbox.enqueue(large)); // a package in the blob store is not handed off: claimed
      expect([taken[1], claims[1]]).to.deep.equal([[], true]);
      expect(await knex('axis_outbox').where({ id: large.id }).first('lease_until')).to.deep.equal({ lease_until: null });
      await knex('axis_outbox').where({ id: large.id }).delete();
      exchange.handOutboxTo(undefined);
      await exchange.run((repos) => repos.outbox.enqueue(entry('no relay')));
      expect(taken).to.have.length(2);
      expect(await outbox.claimDue(at(0), 10, 60_000)).to.have.length(1); // claimable at once
    });

    it('writes the entries of one enqueue in one statement, handed off and claimed in their order', async () => {
      const taken: OutboxEntry[][] = [];
      const exchange = new KnexExchangeUnitOfWork(knex, new KnexUnitOfWork(knex, { now: () => new Date() }));
      exchange.handOutboxTo({ leaseUntil: () => at(-1), take: (entries) => { taken.push([...entries]); } });
      const entry = (label: string) => { const bytes = Buffer.from(label); return { id: randomUUID(), headers: headers(bytes), package: bytes, documentId: null }; };
      const statuses = ['03', '05', '04'].map(entry);
      const inserts: string[] = [];
      const count = (q: { sql: string }): void => { if (/^INSERT INTO "?axis_outbox/i.test(q.sql)) inserts.push(q.sql); };
      knex.on('query', count);
      try {
        await exchange.run((repos) => repos.outbox.enqueue(...statuses));
      } finally {
        knex.off('query', count);
      }
      expect(inserts).to.have.length(1);
      expect(taken.map((entries) => entries.map((e) => e.id))).to.deep.equal([statuses.map((e) => e.id)]);
      const claimed = await outbox.claimDue(at(0), 10, 60_000); // the lease given has passed
      expect(claimed.map((e) => e.id)).to.deep.equal(statuses.map((e) => e.id));
      expect(await Promise.all(claimed.map(async (e) => Buffer.from(await e.payload.bytes()).toString()))).to.deep.equal(['03', '05', '04']);
    });

    it('splits the entries of one enqueue at ~1 MB of inline packages, keeping their order', async () => {
      const entries = [0, 1, 2, 3, 4].map((i) => { const bytes = Buffer.alloc(256_000, 0x41 + i); return { entry: { id: randomUUID(), headers: headers(bytes), package: bytes, documentId: null } }; });
      const inserts: string[] = [];
      const count = (q: { sql: string }): void => { if (/^INSERT INTO "?axis_outbox/i.test(q.sql)) inserts.push(q.sql); };
      knex.on('query', count);
      try {
        await knex.transaction((trx) => outbox.enqueueAll(trx, entries));
      } finally {
        knex.off('query', count);
      }
      expect(inserts.map((sql) => (sql.match(/\(\$\d+, /g) ?? []).length)).to.deep.equal([4, 1]); // 4 × 256 KB, then the fifth
      const claimed = await outbox.claimDue(at(0), 10, 60_000);
      expect(claimed.map((e) => e.id)).to.deep.equal(entries.map((e) => e.entry.id));
      expect(await Promise.all(claimed.map(async (e) => Buffer.from(await e.payload.bytes())[0]))).to.deep.equal([0x41, 0x42, 0x43, 0x44, 0x45]);
    });

    it('leases claimed entries, retries on schedule, and records sent and failed states with reasons', async () => {
      const documentId = randomUUID();
      for (const to of [AGENCY_A, AGENCY_B]) {
        const p = Buffer.from(`to ${to}`);
        await knex.transaction((trx) => outbox.enqueue(trx, { id: randomUUID(), headers: headers(p, to), package: p, documentId }));
      }
      const first = await outbox.claimDue(at(0), 10, 60_000);
      expect(first).to.have.length(2);
      expect(await outbox.claimDue(at(1_000), 10, 60_000)).to.have.length(0); // leased
      const [a, b] = first.sort((x, y) => x.headers.to.localeCompare(y.headers.to));
      await outbox.markSent([a!.id], at(2_000));
      await outbox.scheduleRetry(b!.id, 1, at(5_000), 'axis.unavailable: broker down');
      expect(await outbox.claimDue(at(4_000), 10, 60_000)).to.have.length(0); // not due
      const retried = await outbox.claimDue(at(5_000), 10, 60_000);
      expect(retried.map((e) => [e.id, e.attempts])).to.deep.equal([[b!.id, 1]]);
      await outbox.markFailed(b!.id, 2, at(6_000), 'axis.publish_refused: nack');
      const tracking = await outbox.listByDocument(documentId);
      expect(tracking.map((r) => [r.recipient, r.state, r.attempts, r.lastError])).to.deep.equal([
        [AGENCY_A, 'sent', 0, null],
        [AGENCY_B, 'failed', 2, 'axis.publish_refused: nack'],
      ]);
      expect(tracking[0]!.sentAt?.toISOString()).to.equal(at(2_000).toISOString());
    });

    it('makes a fresh entry due at once even for a relay whose clock is behind the database', async () => {
      const p = Buffer.from('x');
      await knex.transaction((trx) => outbox.enqueue(trx, { id: randomUUID(), headers: headers(p), package: p, documentId: null }));
      expect(await outbox.claimDue(new Date(Date.now() - 3_600_000), 10, 1_000)).to.have.length(1);
    });

    it('frees an entry whose lease expired (relay crashed) for another relay', async () => {
      const p = Buffer.from('x');
      await knex.transaction((trx) => outbox.enqueue(trx, { id: randomUUID(), headers: headers(p), package: p, documentId: null }));
      expect(await outbox.claimDue(at(0), 10, 30_000)).to.have.length(1);
      expect(await outbox.claimDue(at(30_001), 10, 30_000)).to.have.length(1);
    });

    it('never gives the same entry to two relays claiming at the same time', async () => {
      for (let i = 0; i < 40; i++) {
        const p = Buffer.from(`doc ${i}`);
        await knex.transaction((trx) => outbox.enqueue(trx, { id: randomUUID(), headers: headers(p), package: p, documentId: null }));
      }
      const claims = await Promise.all([0, 1, 2, 3].map(() => outbox.claimDue(at(0), 15, 60_000)));
      const ids = claims.flat().map((e) => e.id);
      expect(new Set(ids).size).to.equal(ids.length);
      expect(ids).to.have.length(40);
    });

    it('gives claimed entries in the order they were written, within one transaction too (03 before 05)', async () => {
      const written: string[] = [];
      await knex.transaction(async (trx) => {
        for (let i = 0; i < 6; i++) {
          const p = Buffer.from(`status ${i}`);
          const h = { ...headers(p), messageType: 'status' as const };
          written.push(h.messageId);
          await outbox.enqueue(trx, { id: randomUUID(), headers: h, package: p, documentId: null });
        }
      });
      // The first two rows get new versions at the end of the heap, as any update of a row does.
      await knex('axis_outbox').whereIn('message_id', written.slice(0, 2)).update({ attempts: 0 });
      const heapOrder = (await knex.raw<{ rows: Array<{ message_id: string }> }>('SELECT message_id FROM axis_outbox')).rows.map((r) => r.message_id);
      expect(heapOrder, 'the test needs the heap out of the written order').to.not.deep.equal(written);
      const claimed = await outbox.claimDue(new Date(), 10, 60_000);
      expect(claimed.map((e) => e.headers.messageId)).to.deep.equal(written);
    });

    it('reads packages up to the inline limit with their claim, whole and intact at every slice boundary', async () => {
      const S = 48 * 1024;
      const sizes = [1, S - 1, S, S + 1, 3 * S, 150_000, OUTBOX_INLINE_MAX_BYTES - 1, OUTBOX_INLINE_MAX_BYTES, OUTBOX_INLINE_MAX_BYTES + 1];
      const packages = new Map<string, Buffer>();
      await knex.transaction(async (trx) => {
        for (const size of sizes) {
          const bytes = randomBytes(size);
          const h = headers(bytes);
          packages.set(h.messageId, bytes);
          await outbox.enqueue(trx, { id: randomUUID(), headers: h, package: bytes, documentId: null });
        }
      });
      const claimed = await outbox.claimDue(new Date(), sizes.length, 60_000);
      expect(claimed).to.have.length(sizes.length);
      for (const entry of claimed) {
        const sent = packages.get(entry.headers.messageId) as Buffer;
        expect(entry.payload.size).to.equal(sent.byteLength);
        expect(Buffer.compare(Buffer.from(await entry.payload.bytes()), sent), `package of ${sent.byteLength} bytes`).to.equal(0);
      }
    });

    it('streams a large package out in 1 MB slices', async () => {
      const big = randomBytes(2 * 1024 * 1024 + 5);
      await knex.transaction((trx) => outbox.enqueue(trx, { id: randomUUID(), headers: headers(big), package: big, documentId: null }));
      const [entry] = await outbox.claimDue(new Date(), 1, 60_000);
      expect(entry!.payload.size).to.equal(big.byteLength);
      const slices: number[] = [];
      const hash = createHash('sha256');
      for await (const slice of entry!.payload.chunks()) {
        slices.push(slice.byteLength);
        hash.update(slice);
      }
      expect(slices).to.deep.equal([1024 * 1024, 1024 * 1024, 5]);
      expect(hash.digest('hex')).to.equal(entry!.headers.packageDigest);
    });

    it('keeps a document package as its parts (signed skeleton, files), not whole; a claim makes the same bytes again, never other bytes', async () => {
      const files = new Map<string, Buffer>();
      const file = (bytes: Buffer): string => { files.set(sha256(bytes), bytes); return sha256(bytes); };
      const read = async (sha: string): Promise<Buffer> => {
        const found = files.get(sha);
        if (!found) throw new DomainError('attachment.not_found', { details: [{ field: 'sha256', message: sha }] });
        return found;
      };
      const pdf = randomBytes(100_000); // stored in its ZIP
      const letter = Buffer.from('Công văn số 12/UBND-VP về việc báo cáo. '.repeat(2_000), 'utf8'); // deflated
      const note = randomBytes(1_000); // sent raw
      const marker = (i: number) => `edocAttachment${'f'.repeat(32)}n${i}e`;
      const skeleton = Buffer.from(`<edXML><A>${marker(0)}</A><B>${marker(1)}</B><C>${marker(2)}</C></edXML>`, 'utf8');
      const modifiedAt = '2026-12-07T10:00:00.000Z';
      const parts = {
        skeleton,
        attachments: [
          { marker: marker(0), sha256: file(pdf), name: 'van-ban.pdf', transferEncoding: 'zip' as const, modifiedAt },
          { marker: marker(1), sha256: file(letter), name: 'phu-luc.txt', transferEncoding: 'zip' as const, modifiedAt },
          { marker: marker(2), sha256: file(note), name: 'ghi-chu.bin', transferEncoding: 'raw' as const, modifiedAt },
        ],
      };
      const whole = await joinSignedParts(parts, read);
      expect(whole.length).to.be.greaterThan(pdf.length * 4 / 3).and.below((pdf.length + letter.length) * 4 / 3);
      const store = new KnexOutboxStore(knex, undefined, (p) => joinSignedParts(p, read));
      const id = randomUUID();
      const h = headers(whole);
      await knex.transaction((trx) => store.enqueue(trx, { id, headers: h, package: whole, parts, documentId: null }));
      const row = await knex('axis_outbox').where({ id }).first('package', 'package_skeleton', 'package_size');
      expect(row.package).to.equal(null); // not whole in the row ...
      expect(Buffer.compare(row.package_skeleton, skeleton)).to.equal(0); // ... but its skeleton and its size
      expect(Number(row.package_size)).to.equal(whole.length);
      const [entry] = await store.claimDue(new Date(), 1, 60_000);
      expect(entry!.headers).to.deep.equal(h);
      expect(entry!.payload.size).to.equal(whole.length);
      expect(Buffer.compare(Buffer.from(await entry!.payload.bytes()), whole)).to.equal(0);
      const chunks: Uint8Array[] = [];
      for await (const chunk of entry!.payload.chunks()) chunks.push(chunk);
      expect(Buffer.compare(Buffer.concat(chunks), whole)).to.equal(0);
      // Bytes other than those signed and digested are never given: a ZIP made at another time, a file missing, a marker lost.
      const changes: Array<[string, unknown, Buffer]> = [
        ['a ZIP entry of another time', parts.attachments.map((a, i) => (i === 1 ? { ...a, modifiedAt: '2026-12-07T10:00:02.000Z' } : a)), skeleton],
        ['a file missing', parts.attachments.map((a, i) => (i === 0 ? { ...a, sha256: sha256(Buffer.from('không có')) } : a)), skeleton],
        ['a marker lost', parts.attachments, Buffer.from(skeleton.toString('utf8').replace(marker(2), ''), 'utf8')],
        ['parts that are not a list', { files: parts.attachments }, skeleton],
      ];
      const other = Buffer.from('a status beside it');
      await knex.transaction((trx) => store.enqueue(trx, { id: randomUUID(), headers: headers(other), package: other, documentId: null }));
      for (const [label, attachments, changedSkeleton] of changes) {
        await knex('axis_outbox').where({ id }).update({ package_parts: JSON.stringify(attachments), package_skeleton: changedSkeleton, lease_until: null });
        await knex('axis_outbox').whereNot({ id }).update({ lease_until: null });
        const claimed = await store.claimDue(new Date(), 2, 60_000); // the claim itself never fails for one entry's parts
        expect(claimed, label).to.have.length(2);
        const again = claimed.find((e) => e.id === id);
        expect(Buffer.from(await claimed.find((e) => e.id !== id)!.payload.bytes()).toString(), label).to.equal('a status beside it');
        let error: unknown;
        try { await again!.payload.bytes(); } catch (e) { error = e; }
        expect((error as { code?: string }).code, label).to.equal('exchange.package_not_rebuilt');
      }
    });

    it('records an inbox message once, in the caller transaction, with its outcome', async () => {
      const inbox = new KnexInboxStore();
      const uow = new KnexTransactionUnitOfWork(knex);
      const record = { messageId: randomUUID(), recipient: AGENCY_B, sender: AGENCY_A, messageType: 'edoc' as const, packageDigest: 'ab', outcome: { status: '01', incomingNumber: 12 }, receivedAt: t0 };
      await uow.run(async (trx) => {
        await inbox.record(trx, record);
        throw new Error('rolled back');
      }).catch(() => undefined);
      expect(await uow.run((trx) => inbox.find(trx, AGENCY_B, record.messageId))).to.equal(undefined);
      expect(await uow.run((trx) => inbox.record(trx, record))).to.equal('recorded');
      expect(await uow.run((trx) => inbox.record(trx, { ...record, outcome: { status: '02' } }))).to.equal('duplicate');
      const found = await uow.run((trx) => inbox.find(trx, AGENCY_B, record.messageId));
      expect(found).to.deep.include({ sender: AGENCY_A, outcome: { status: '01', incomingNumber: 12 } });
      expect(found!.receivedAt.toISOString()).to.equal(t0.toISOString());
    });

    it('gives exactly-once effect through InboxConsumer, even for concurrent deliveries of one message', async () => {
      const consumer = new InboxConsumer<Knex.Transaction>({
        transport: { start: async () => undefined, publish: async () => undefined, consume: async () => ({ cancel: async () => undefined }), close: async () => undefined },
        unitOfWork: new KnexTransactionUnitOfWork(knex),
        inbox: new KnexInboxStore(),
        handler: async (trx, d) => {
          await trx('axis_test_effects').insert({ message_id: d.headers.messageId });
          return { status: '01' };
        },
      });
      const body = Buffer.from('package');
      const delivery: AxisDelivery = { headers: headers(body), payload: bytesPayload(body), redelivered: false, deliveryCount: 0 };
      // PGlite has a single connection: concurrent transactions serialise there; PostgreSQL runs them at once.
      const results = await Promise.all([consumer.process(delivery), consumer.process(delivery), consumer.process(delivery)]);
      expect(results.filter((r) => !r.duplicate)).to.have.length(1);
      expect(results.every((r) => r.outcome.status === '01')).to.equal(true);
      expect(await knex('axis_test_effects').count({ n: '*' })).to.deep.equal([{ n: 1 }]);
    });
    it('batches deliveries in one transaction: a failed SQL statement rolls back only its own savepoint; a redelivered batch changes nothing', async () => {
      const consumer = new InboxConsumer<Knex.Transaction>({
        transport: { start: async () => undefined, publish: async () => undefined, consume: async () => ({ cancel: async () => undefined }), close: async () => undefined },
        unitOfWork: new KnexTransactionUnitOfWork(knex),
        inbox: new KnexInboxStore(),
        batchSize: 8,
        handler: async (trx, d) => {
          const body = Buffer.from(await d.payload.bytes()).toString();
          await trx('axis_test_effects').insert({ message_id: d.headers.messageId });
          // 'clash' violates the primary key of a row committed earlier: PostgreSQL aborts the statement,
          // which without a savepoint would abort the whole transaction (and every delivery in it).
          await trx('axis_test_unique').insert({ code: body === 'clash' ? 'taken' : d.headers.messageId });
          return { status: '01', body };
        },
      });
      await knex('axis_test_unique').insert({ code: 'taken' });
      const deliveries = ['first', 'clash', 'third'].map((text): AxisDelivery => {
        const body = Buffer.from(text);
        return { headers: headers(body), payload: bytesPayload(body), redelivered: false, deliveryCount: 0 };
      });
      const items = await consumer.processBatch(deliveries);
      expect(items.map((i) => i.kind)).to.deep.equal(['done', 'failed', 'done']);
      const effects = await knex('axis_test_effects').orderBy('message_id').pluck('message_id');
      expect(effects).to.deep.equal([deliveries[0]!.headers.messageId, deliveries[2]!.headers.messageId].sort());
      expect(await knex('axis_inbox').pluck('message_id')).to.have.members([deliveries[0]!.headers.messageId, deliveries[2]!.headers.messageId]);

      // The same batch again (a crash after the commit, before the acks): the two committed ones are
      // duplicates with their first outcome; the failed one fails again; no effect is written twice.
      const again = await consumer.processBatch(deliveries.map((d) => ({ ...d, redelivered: true, deliveryCount: 1 })));
      expect(again.map((i) => (i.kind === 'done' ? { duplicate: i.result.duplicate, outcome: i.result.outcome } : i.kind))).to.deep.equal([
        { duplicate: true, outcome: { status: '01', body: 'first' } }, 'failed', { duplicate: true, outcome: { status: '01', body: 'third' } },
      ]);
      expect(await knex('axis_test_effects').count({ n: '*' })).to.deep.equal([{ n: 2 }]);
    });
  });
}
