// The batched inbox consumer: several deliveries per transaction, together, or each under its own savepoint
// once one of them has failed.
import { expect } from 'chai';
import { InboxConsumer, type InboxResult } from '../../../src/axis/inbox-consumer.ts';
import type { InProcessAxisTransport } from '../../../src/axis/in-process-axis-transport.ts';
import type { AxisDelivery, AxisDeliveryHandler, AxisDeliveryVerdict, AxisSubscription, AxisTransport } from '../../../src/domain/axis-transport.ts';
import { bytesPayload } from '../../../src/domain/axis-transport.ts';
import { DomainError } from '../../../src/domain/errors.ts';
import { AGENCY_A, AGENCY_B, axisMessage, DEFAULT_SETTINGS, type TransportUnderTest } from './support/transport-behaviour.ts';
import { MemoryInboxStore, MemoryUnitOfWork, type MemoryTx } from './support/memory-stores.ts';
import { inProcessTransport } from './support/in-process.ts';
import { eventually, pause } from './support/wait.ts';

/** Hands deliveries to the consumer's handler directly, as many at once as the test starts. */
class DirectTransport implements AxisTransport {
  handler: AxisDeliveryHandler | undefined;
  async start(): Promise<void> {}
  async publish(): Promise<void> {}
  async consume(_organId: string, handler: AxisDeliveryHandler): Promise<AxisSubscription> {
    this.handler = handler;
    return { cancel: async () => undefined };
  }
  deliver(delivery: AxisDelivery): Promise<AxisDeliveryVerdict> {
    return this.handler!(delivery);
  }
  async close(): Promise<void> {}
}

const delivery = (body: string, deliveryCount = 0): AxisDelivery => {
  const m = axisMessage(AGENCY_B, body);
  return { headers: m.headers, payload: bytesPayload(Buffer.from(body)), redelivered: deliveryCount > 0, deliveryCount };
};

/** The "registry" effect of a message, staged in the transaction (or savepoint) like a document row. */
class Registry {
  readonly documents: string[] = [];
  register(tx: MemoryTx, body: string): void {
    tx.staged.push(() => this.documents.push(body));
  }
}

/** Counts the batch-wide inbox calls. */
class CountingInboxStore extends MemoryInboxStore {
  readonly calls: string[] = [];
  override async findMany(tx: MemoryTx, keys: Parameters<MemoryInboxStore['findMany']>[1]): ReturnType<MemoryInboxStore['findMany']> {
    this.calls.push(`findMany ${keys.length}`);
    return super.findMany(tx, keys);
  }
  override async recordMany(tx: MemoryTx, records: Parameters<MemoryInboxStore['recordMany']>[1]): Promise<number> {
    this.calls.push(`recordMany ${records.length}`);
    return super.recordMany(tx, records);
  }
}

const bodyOf = async (d: AxisDelivery): Promise<string> => Buffer.from(await d.payload.bytes()).toString();

function batchedConsumer(options: { uow: MemoryUnitOfWork; registry: Registry; transport?: AxisTransport; poison?: string; batchSize?: number; calls?: string[]; after?: InboxResult[] }): InboxConsumer<MemoryTx> {
  return new InboxConsumer<MemoryTx>({
    transport: options.transport ?? new DirectTransport(), unitOfWork: options.uow, inbox: new MemoryInboxStore(), batchSize: options.batchSize ?? 8,
    handler: async (tx, d) => {
      const body = await bodyOf(d);
      options.calls?.push(body);
      options.registry.register(tx, body); // staged before the failure: the savepoint must drop it
      if (body === options.poison) throw new Error(`cannot process ${body}`);
      return { status: '01', body };
    },
    afterCommit: async (_d, result) => { options.after?.push(result); },
  });
}

describe('InboxConsumer, batched (several deliveries per transaction)', () => {
  it('runs a batch of good deliveries in one transaction without savepoints, the inbox read and written once', async () => {
    const uow = new MemoryUnitOfWork();
    const registry = new Registry();
    const inbox = new CountingInboxStore();
    const consumer = new InboxConsumer<MemoryTx>({
      transport: new DirectTransport(), unitOfWork: uow, inbox, batchSize: 8,
      handler: async (tx, d) => { registry.register(tx, await bodyOf(d)); return { status: '01' }; },
    });
    const first = await consumer.processBatch([delivery('one'), delivery('two'), delivery('three')]);
    expect(first.map((i) => i.kind === 'done' && i.result.duplicate)).to.deep.equal([false, false, false]);
    expect(uow.log).to.deep.equal(['commit']); // no savepoint was needed
    expect(inbox.calls).to.deep.equal(['findMany 3', 'recordMany 3']);
    expect(registry.documents).to.deep.equal(['one', 'two', 'three']);
    expect(inbox.committed.size).to.equal(3);
  });

  it('announces a batch to beforeBatch in its transaction, before the handlers, without the deliveries done already; not in the savepoint pass', async () => {
    const uow = new MemoryUnitOfWork();
    const seen: string[] = [];
    const consumer = new InboxConsumer<MemoryTx>({
      transport: new DirectTransport(), unitOfWork: uow, inbox: new MemoryInboxStore(), batchSize: 8,
      beforeBatch: async (tx, deliveries) => { seen.push(`before ${(await Promise.all(deliveries.map(bodyOf))).join(',')}${tx.staged.length === 0 ? '' : ' (late)'}`); },
      handler: async (_tx, d) => {
        const body = await bodyOf(d);
        seen.push(body);
        if (body === 'bad') throw new Error('cannot process bad');
        return { status: '01' };
      },
    });
    const one = delivery('one');
    await consumer.processBatch([one, delivery('two')]);
    expect(seen).to.deep.equal(['before one,two', 'one', 'two']);
    seen.length = 0;
    await consumer.processBatch([{ ...one, redelivered: true, deliveryCount: 1 }, delivery('three'), delivery('bad')]);
    // 'one' is done already: not announced. 'bad' fails the pass together; the savepoint pass has no beforeBatch.
    expect(seen).to.deep.equal(['before three,bad', 'three', 'bad', 'three', 'bad']);
  });

  it('commits the good deliveries of a batch together and rolls back only the bad one, which is requeued', async () => {
    const uow = new MemoryUnitOfWork();
    const registry = new Registry();
    const consumer = batchedConsumer({ uow, registry, poison: 'bad' });
    const items = await consumer.processBatch([delivery('one'), delivery('bad'), delivery('three')]);
    expect(items.map((i) => i.kind)).to.deep.equal(['done', 'failed', 'done']);
    expect(uow.commits).to.equal(1); // one transaction committed for the whole batch
    // Together first: 'bad' fails, all is rolled back; then a savepoint each, and only 'bad' is rolled back.
    expect(uow.log).to.deep.equal(['rollback', 'rollback to savepoint', 'commit']);
    expect(registry.documents).to.deep.equal(['one', 'three']); // nothing of 'bad', not even its staged row

    const transport = new DirectTransport();
    const viaTransport = batchedConsumer({ uow: new MemoryUnitOfWork(), registry: new Registry(), transport, poison: 'bad' });
    await viaTransport.start([AGENCY_B]);
    const verdicts = await Promise.all(['a', 'bad', 'c'].map((b) => transport.deliver(delivery(b))));
    expect(verdicts).to.deep.equal(['ack', 'requeue', 'ack']);
  });

  it('dead-letters a poison delivery after the delivery limit while the rest of its batches are registered once', async () => {
    let under: TransportUnderTest | undefined;
    try {
      under = await inProcessTransport({ ...DEFAULT_SETTINGS, deliveryLimit: 2, prefetch: 16 });
      const uow = new MemoryUnitOfWork();
      const registry = new Registry();
      const consumer = batchedConsumer({ uow, registry, transport: under.transport, poison: 'doc 3' });
      const bodies = Array.from({ length: 12 }, (_, i) => `doc ${i}`);
      for (const b of bodies) await under.transport.publish(axisMessage(AGENCY_B, b));
      await consumer.start([AGENCY_B]);
      const letters: Awaited<ReturnType<InProcessAxisTransport['takeDeadLetters']>> = [];
      await eventually(async () => {
        letters.push(...(await (under!.transport as InProcessAxisTransport).takeDeadLetters(10)));
        return letters.length === 1 && registry.documents.length === 11;
      }, 'the poison dead-lettered and the others registered');
      await consumer.stop();
      expect(registry.documents.slice().sort()).to.deep.equal(bodies.filter((b) => b !== 'doc 3').sort());
      expect(letters[0]!.reason).to.equal('delivery_limit');
      expect(uow.commits).to.be.lessThan(12); // deliveries shared transactions
    } finally {
      await under?.close();
    }
  });

  it('is exactly-once when a whole committed batch is delivered again (crash after commit, before ack)', async () => {
    const uow = new MemoryUnitOfWork();
    const registry = new Registry();
    const calls: string[] = [];
    const consumer = batchedConsumer({ uow, registry, calls });
    const batch = [delivery('one'), delivery('two'), delivery('three')];
    const first = await consumer.processBatch(batch);
    const again = await consumer.processBatch(batch.map((d) => ({ ...d, redelivered: true, deliveryCount: 1 })));
    expect(calls).to.deep.equal(['one', 'two', 'three']);
    expect(registry.documents).to.deep.equal(['one', 'two', 'three']);
    expect(first.map((i) => i.kind === 'done' && i.result.duplicate)).to.deep.equal([false, false, false]);
    // The redelivered batch changes nothing and gets the outcomes recorded the first time.
    expect(again).to.deep.equal(first.map((i) => (i.kind === 'done' ? { kind: 'done', result: { duplicate: true, outcome: i.result.outcome } } : i)));
  });

  it('treats the same message twice in one batch as a duplicate of itself', async () => {
    const uow = new MemoryUnitOfWork();
    const registry = new Registry();
    const consumer = batchedConsumer({ uow, registry });
    const d = delivery('twice');
    const items = await consumer.processBatch([d, { ...d, redelivered: true, deliveryCount: 1 }]);
    expect(items).to.deep.equal([
      { kind: 'done', result: { duplicate: false, outcome: { status: '01', body: 'twice' } } },
      { kind: 'done', result: { duplicate: true, outcome: { status: '01', body: 'twice' } } },
    ]);
    expect(registry.documents).to.deep.equal(['twice']);
  });

  it('groups deliveries that wait while a transaction runs, without delaying a lone delivery', async () => {
    const uow = new MemoryUnitOfWork();
    const registry = new Registry();
    const transport = new DirectTransport();
    const after: InboxResult[] = [];
    const consumer = batchedConsumer({ uow, registry, transport, after, batchSize: 4 });
    await consumer.start([AGENCY_B]);
    expect(await transport.deliver(delivery('alone'))).to.equal('ack');
    expect(uow.commits).to.equal(1);
    const verdicts = await Promise.all(Array.from({ length: 9 }, (_, i) => transport.deliver(delivery(`d${i}`))));
    expect(verdicts.every((v) => v === 'ack')).to.equal(true);
    // d0 starts a transaction at once; the 8 that arrived meanwhile go 4 by 4 (the batch size).
    expect(uow.commits).to.equal(1 + 3);
    expect(registry.documents).to.have.length(10);
    expect(after.filter((r) => !r.duplicate)).to.have.length(10); // afterCommit once per delivery
  });

  it('batches each agency apart, the agencies side by side, documents before statuses within a batch', async () => {
    const uow = new MemoryUnitOfWork();
    const transport = new DirectTransport();
    const calls: string[] = [];
    let otherAgencyRan: () => void = () => undefined;
    const otherAgency = new Promise<void>((resolve) => { otherAgencyRan = resolve; });
    const consumer = new InboxConsumer<MemoryTx>({
      transport, unitOfWork: uow, inbox: new MemoryInboxStore(), batchSize: 16,
      handler: async (_tx, d) => {
        const body = await bodyOf(d);
        calls.push(body);
        if (body === 'status a1') otherAgencyRan();
        // B's first batch waits until A's first one ran: with one batch at a time for all agencies, it never would.
        if (body === 'first') await Promise.race([otherAgency, pause(2000).then(() => { throw new Error('agency A waited for agency B'); })]);
        return { status: '01' };
      },
    });
    await consumer.start([AGENCY_A, AGENCY_B]);
    const to = (agency: string, body: string, messageType: 'edoc' | 'status' = 'edoc'): AxisDelivery => ({ ...delivery(body), headers: { ...axisMessage(agency, body).headers, messageType } });
    // 'first' (B) runs alone at once, and so does 'status a1' (A: its agency is idle); the rest wait, by agency.
    const verdicts = await Promise.all([to(AGENCY_B, 'first'), to(AGENCY_B, 'status b1', 'status'), to(AGENCY_B, 'b1'), to(AGENCY_A, 'status a1', 'status'), to(AGENCY_A, 'a1'),
      to(AGENCY_B, 'b2'), to(AGENCY_A, 'a2'), to(AGENCY_A, 'status a2', 'status'), to(AGENCY_B, 'b3'), to(AGENCY_A, 'a3')].map((d) => transport.deliver(d)));
    expect(verdicts.every((v) => v === 'ack')).to.equal(true);
    expect(calls.filter((c) => /first|b\d/.test(c))).to.deep.equal(['first', 'b1', 'b2', 'b3', 'status b1']);
    expect(calls.filter((c) => /a\d/.test(c))).to.deep.equal(['status a1', 'a1', 'a2', 'a3', 'status a2']);
    expect(uow.commits).to.equal(4); // two lone deliveries, then one batch per agency
  });

  it('preflights the deliveries of the batch that runs and of the next one, no further, each once', async () => {
    const uow = new MemoryUnitOfWork();
    const transport = new DirectTransport();
    const preflown: string[] = [];
    const handled: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const consumer = new InboxConsumer<MemoryTx>({
      transport, unitOfWork: uow, inbox: new MemoryInboxStore(), batchSize: 2,
      preflight: (d) => { preflown.push(d.headers.messageId); },
      handler: async (_tx, d) => {
        const body = await bodyOf(d);
        handled.push(`${body} (preflown: ${preflown.includes(d.headers.messageId)})`);
        if (body === 'first') await held; // the agency's first batch runs while the others arrive
        return { status: '01' };
      },
    });
    await consumer.start([AGENCY_B]);
    const bodies = ['first', 'two', 'three', 'four', 'five', 'six'];
    const all = bodies.map((b) => delivery(b));
    const body = (messageId: string): string => bodies[all.findIndex((d) => d.headers.messageId === messageId)] ?? messageId;
    const verdicts = all.map((d) => transport.deliver(d));
    await pause(10);
    // 'first' runs alone; 'two' and 'three' make the next batch (preflown), 'four' to 'six' wait beyond it.
    expect(preflown.map(body)).to.deep.equal(['first', 'two', 'three']);
    release();
    expect(await Promise.all(verdicts)).to.deep.equal(['ack', 'ack', 'ack', 'ack', 'ack', 'ack']);
    // As each batch started, the one after it was preflown: every delivery before its handler ran, once.
    expect(preflown.map(body)).to.deep.equal(['first', 'two', 'three', 'four', 'five', 'six']);
    expect(handled.every((h) => h.endsWith('(preflown: true)'))).to.equal(true, handled.join(', '));
  });

  it('processes each delivery again on its own when the batch transaction fails to commit', async () => {
    const uow = new MemoryUnitOfWork();
    const registry = new Registry();
    const transport = new DirectTransport();
    const consumer = batchedConsumer({ uow, registry, transport, batchSize: 4 });
    await consumer.start([AGENCY_B]);
    const first = transport.deliver(delivery('first'));
    uow.failingCommits = { n: 2, error: new DomainError('db.unavailable') }; // the batch, then one single attempt
    const rest = ['x', 'y', 'z'].map((b) => transport.deliver(delivery(b)));
    await pause(0);
    const verdicts = await Promise.all([first, ...rest]);
    expect(verdicts).to.deep.equal(['ack', 'ack', 'ack', 'ack']);
    expect(registry.documents.slice().sort()).to.deep.equal(['first', 'x', 'y', 'z']);
  });
  it('on stop, requeues the deliveries still waiting for a batch without processing them', async () => {
    const uow = new MemoryUnitOfWork();
    const registry = new Registry();
    const transport = new DirectTransport();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const handled: string[] = [];
    const consumer = new InboxConsumer<MemoryTx>({
      transport, unitOfWork: uow, inbox: new MemoryInboxStore(), batchSize: 8,
      handler: async (tx, d) => {
        const body = await bodyOf(d);
        handled.push(body);
        if (body === 'running') await gate; // the transaction in flight when the node stops
        registry.register(tx, body);
        return { status: '01' };
      },
    });
    await consumer.start([AGENCY_B]);
    const running = transport.deliver(delivery('running'));
    await pause(5);
    const waiting = ['w1', 'w2', 'w3'].map((b) => transport.deliver(delivery(b)));
    await consumer.stop();
    expect(await Promise.all(waiting)).to.deep.equal(['requeue', 'requeue', 'requeue']);
    release();
    expect(await running).to.equal('ack'); // the transaction in flight finishes
    expect(handled).to.deep.equal(['running']);
    expect(registry.documents).to.deep.equal(['running']);
  });
});
