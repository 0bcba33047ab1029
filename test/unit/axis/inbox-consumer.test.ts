import { expect } from 'chai';
import { InboxConsumer, type InboxResult } from '../../../src/axis/inbox-consumer.ts';
import type { AxisDelivery, AxisDeliveryHandler, AxisDeliveryVerdict, AxisSubscription, AxisTransport } from '../../../src/domain/axis-transport.ts';
import { bytesPayload } from '../../../src/domain/axis-transport.ts';
import { DomainError } from '../../../src/domain/errors.ts';
import { AGENCY_B, axisMessage, DEFAULT_SETTINGS, type TransportUnderTest } from './support/transport-behaviour.ts';
import { MemoryInboxStore, MemoryUnitOfWork, type MemoryTx } from './support/memory-stores.ts';
import { inProcessTransport } from './support/in-process.ts';
import { eventually, pause } from './support/wait.ts';

/** Hands deliveries to the consumer's handler directly and records each verdict in the shared log. */
class DirectTransport implements AxisTransport {
  handler: AxisDeliveryHandler | undefined;
  constructor(private readonly log: string[]) {}
  async start(): Promise<void> {}
  async publish(): Promise<void> {}
  async consume(_organId: string, handler: AxisDeliveryHandler): Promise<AxisSubscription> {
    this.handler = handler;
    return { cancel: async () => undefined };
  }
  async deliver(delivery: AxisDelivery): Promise<AxisDeliveryVerdict> {
    const verdict = await this.handler!(delivery);
    this.log.push(`verdict:${verdict}`);
    return verdict;
  }
  async close(): Promise<void> {}
}

const delivery = (body = 'package', deliveryCount = 0): AxisDelivery => {
  const m = axisMessage(AGENCY_B, body);
  return { headers: m.headers, payload: bytesPayload(Buffer.from(body)), redelivered: deliveryCount > 0, deliveryCount };
};

/** The "registry" effect of a message, staged in the transaction like a document row would be. */
class Registry {
  readonly documents: string[] = [];
  register(tx: MemoryTx, messageId: string): void {
    tx.staged.push(() => this.documents.push(messageId));
  }
}

describe('InboxConsumer', () => {
  it('runs the handler and records the message in one transaction, and acks only after the commit', async () => {
    const uow = new MemoryUnitOfWork();
    const inbox = new MemoryInboxStore();
    const registry = new Registry();
    const transport = new DirectTransport(uow.log);
    const consumer = new InboxConsumer<MemoryTx>({
      transport, unitOfWork: uow, inbox,
      handler: async (tx, d) => {
        registry.register(tx, d.headers.messageId);
        return { status: '01', incomingNumber: registry.documents.length + 1 };
      },
    });
    await consumer.start([AGENCY_B]);
    const d = delivery();
    expect(await transport.deliver(d)).to.equal('ack');
    expect(uow.log).to.deep.equal(['commit', 'verdict:ack']);
    expect(registry.documents).to.deep.equal([d.headers.messageId]);
    const record = inbox.committed.get(`${AGENCY_B}|${d.headers.messageId}`);
    expect(record).to.include({ sender: d.headers.from, recipient: AGENCY_B, messageType: 'edoc', packageDigest: d.headers.packageDigest });
    expect(record!.outcome).to.deep.equal({ status: '01', incomingNumber: 1 });
  });

  it('changes nothing on a duplicate message id and returns the outcome recorded the first time', async () => {
    const uow = new MemoryUnitOfWork();
    const registry = new Registry();
    let calls = 0;
    const after: InboxResult[] = [];
    const transport = new DirectTransport(uow.log);
    const consumer = new InboxConsumer<MemoryTx>({
      transport, unitOfWork: uow, inbox: new MemoryInboxStore(),
      handler: async (tx, d) => {
        calls += 1;
        registry.register(tx, d.headers.messageId);
        return { status: '01', call: calls };
      },
      afterCommit: async (_d, result) => {
        after.push(result);
      },
    });
    await consumer.start([AGENCY_B]);
    const d = delivery();
    await transport.deliver(d);
    await transport.deliver({ ...d, redelivered: true, deliveryCount: 1 });
    await transport.deliver(d); // the sender's outbox re-sent it
    expect(calls).to.equal(1);
    expect(registry.documents).to.deep.equal([d.headers.messageId]);
    expect(after).to.deep.equal([
      { duplicate: false, outcome: { status: '01', call: 1 } },
      { duplicate: true, outcome: { status: '01', call: 1 } },
      { duplicate: true, outcome: { status: '01', call: 1 } },
    ]);
  });

  it('rolls back and requeues when the handler fails or the commit fails; nothing is recorded', async () => {
    const uow = new MemoryUnitOfWork();
    const inbox = new MemoryInboxStore();
    const registry = new Registry();
    const errors: unknown[] = [];
    let failHandler = true;
    const transport = new DirectTransport(uow.log);
    const consumer = new InboxConsumer<MemoryTx>({
      transport, unitOfWork: uow, inbox,
      handler: async (tx, d) => {
        registry.register(tx, d.headers.messageId);
        if (failHandler) throw new Error('verification service crashed');
        return { status: '01' };
      },
      onError: (e) => errors.push(e),
    });
    await consumer.start([AGENCY_B]);
    const d = delivery();
    expect(await transport.deliver(d)).to.equal('requeue');
    failHandler = false;
    uow.failNextCommit = true; // PostgreSQL unavailable at commit
    expect(await transport.deliver({ ...d, deliveryCount: 1, redelivered: true })).to.equal('requeue');
    expect(registry.documents).to.deep.equal([]);
    expect(inbox.committed.size).to.equal(0);
    expect(await transport.deliver({ ...d, deliveryCount: 2, redelivered: true })).to.equal('ack');
    expect(registry.documents).to.deep.equal([d.headers.messageId]);
    expect(uow.log).to.deep.equal(['rollback', 'verdict:requeue', 'rollback', 'verdict:requeue', 'commit', 'verdict:ack']);
    expect(errors).to.have.length(2);
  });

  it('waits out an unavailable database with the delivery held, instead of burning its delivery count', async () => {
    const uow = new MemoryUnitOfWork();
    const registry = new Registry();
    const transport = new DirectTransport(uow.log);
    const consumer = new InboxConsumer<MemoryTx>({
      transport, unitOfWork: uow, inbox: new MemoryInboxStore(), unavailableRetryDelaysMs: [5, 5, 5, 5],
      handler: async (tx, d) => {
        registry.register(tx, d.headers.messageId);
        return { status: '01' };
      },
    });
    await consumer.start([AGENCY_B]);
    uow.failingCommits = { n: 3, error: new DomainError('db.unavailable') };
    const d = delivery();
    expect(await transport.deliver(d)).to.equal('ack');
    expect(uow.log).to.deep.equal(['rollback', 'rollback', 'rollback', 'commit', 'verdict:ack']);
    expect(registry.documents).to.deep.equal([d.headers.messageId]);

    // An outage longer than the schedule: retried at its last delay until the database is back, never requeued.
    uow.failingCommits = { n: 12, error: new DomainError('db.unavailable') };
    expect(await transport.deliver(delivery('second'))).to.equal('ack');
    expect(uow.log.filter((e) => e === 'rollback')).to.have.length(3 + 12);
    expect(registry.documents).to.have.length(2);
  });

  it('lets exactly one of two concurrent consumers of the same message commit its effect', async () => {
    const uow = new MemoryUnitOfWork();
    const registry = new Registry();
    const transport = new DirectTransport(uow.log);
    const consumer = new InboxConsumer<MemoryTx>({
      transport, unitOfWork: uow, inbox: new MemoryInboxStore(),
      handler: async (tx, d) => {
        registry.register(tx, d.headers.messageId);
        await pause(10); // both transactions are open at once
        return { status: '01', handledAt: Date.now() };
      },
    });
    const d = delivery();
    const [first, second] = await Promise.all([consumer.process(d), consumer.process(d)]);
    expect(registry.documents).to.deep.equal([d.headers.messageId]);
    expect([first!.duplicate, second!.duplicate].sort()).to.deep.equal([false, true]);
    expect(first!.outcome).to.deep.equal(second!.outcome);
  });

  describe('over the in-process transport', () => {
    let under: TransportUnderTest;
    afterEach(async () => under?.close());

    it('registers every package exactly once despite re-sends and crashed handlers', async () => {
      under = await inProcessTransport({ ...DEFAULT_SETTINGS, deliveryLimit: 10 });
      const uow = new MemoryUnitOfWork();
      const registry = new Registry();
      const attempts = new Map<string, number>();
      const consumer = new InboxConsumer<MemoryTx>({
        transport: under.transport, unitOfWork: uow, inbox: new MemoryInboxStore(),
        handler: async (tx, d) => {
          const n = (attempts.get(d.headers.messageId) ?? 0) + 1;
          attempts.set(d.headers.messageId, n);
          registry.register(tx, d.headers.messageId);
          if (n === 1 && d.headers.messageId.charCodeAt(0) % 3 === 0) throw new Error('crash before commit');
          return { status: '01' };
        },
      });
      await consumer.start([AGENCY_B]);
      const messages = Array.from({ length: 40 }, (_, i) => axisMessage(AGENCY_B, `doc ${i}`));
      for (const m of messages) await under.transport.publish(m);
      for (const m of messages.slice(0, 10)) await under.transport.publish(m); // re-sent by the outbox
      await eventually(() => new Set(registry.documents).size === 40, 'forty registrations');
      await pause(100);
      await consumer.stop();
      expect(registry.documents.slice().sort()).to.deep.equal(messages.map((m) => m.headers.messageId).sort());
    });
  });
});

