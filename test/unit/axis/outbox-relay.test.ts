import { expect } from 'chai';
import { OutboxRelay, type OutboxRelayEvent } from '../../../src/axis/outbox-relay.ts';
import type { AxisOutgoingMessage, AxisSubscription, AxisTransport } from '../../../src/domain/axis-transport.ts';
import { DomainError } from '../../../src/domain/errors.ts';
import { nextRetry } from '../../../src/domain/outbox.ts';
import { AGENCY_B, axisMessage } from './support/transport-behaviour.ts';
import { MemoryOutboxStore } from './support/memory-stores.ts';

/** A transport whose publish outcome is scripted per call; records what was confirmed. */
class ScriptedTransport implements AxisTransport {
  readonly confirmed: string[] = [];
  constructor(private readonly script: Array<'ok' | DomainError | Error>) {}
  async start(): Promise<void> {}
  async publish(message: AxisOutgoingMessage): Promise<void> {
    const step = this.script.shift() ?? 'ok';
    if (step !== 'ok') throw step;
    this.confirmed.push(message.headers.messageId);
  }
  async consume(): Promise<AxisSubscription> {
    throw new Error('not used');
  }
  async close(): Promise<void> {}
}

describe('OutboxRelay', () => {
  let now: number;
  const clock = (): Date => new Date(now);
  beforeEach(() => {
    now = Date.parse('2026-11-23T08:00:00Z');
  });

  const relayWith = (store: MemoryOutboxStore, transport: AxisTransport, events: OutboxRelayEvent[] = []): OutboxRelay =>
    new OutboxRelay({ store, transport, retryScheduleMs: [1_000, 5_000], batchSize: 10, concurrency: 4, leaseMs: 60_000, pollIntervalMs: 50, clock, onEvent: (e) => events.push(e) });

  it('applies the retry schedule and gives up after schedule.length + 1 attempts', () => {
    expect(nextRetry([1_000, 5_000], 1)).to.deep.equal({ retry: true, delayMs: 1_000 });
    expect(nextRetry([1_000, 5_000], 2)).to.deep.equal({ retry: true, delayMs: 5_000 });
    expect(nextRetry([1_000, 5_000], 3)).to.deep.equal({ retry: false });
  });

  it('marks entries sent only after the confirm, with the time of the confirm', async () => {
    const store = new MemoryOutboxStore();
    const message = axisMessage(AGENCY_B, 'doc');
    store.add('e1', message.headers, message.payload);
    const transport = new ScriptedTransport(['ok']);
    const pass = await relayWith(store, transport).runOnce();
    expect(pass).to.deep.equal({ claimed: 1, sent: 1, retried: 0, failed: 0 });
    expect(transport.confirmed).to.deep.equal([message.headers.messageId]);
    expect(store.rows.get('e1')).to.include({ state: 'sent', sentAt: now, attempts: 0 });
  });

  it('publishes a pass in the order the store gives (the order the entries were written), though several publish at once', async () => {
    const store = new MemoryOutboxStore();
    const written = ['01', '03', '05', '01', '03', '05'].map((code, i) => {
      const message = axisMessage(AGENCY_B, `status ${code} of document ${Math.floor(i / 3)}`);
      store.add(`e${i}`, message.headers, message.payload);
      return message.headers.messageId;
    });
    const transport = new ScriptedTransport([]);
    expect(await relayWith(store, transport).runOnce()).to.include({ claimed: 6, sent: 6 });
    expect(transport.confirmed).to.deep.equal(written);
  });

  it('retries a broker failure on the schedule, keeping the message id, then sends', async () => {
    const store = new MemoryOutboxStore();
    const message = axisMessage(AGENCY_B, 'doc');
    store.add('e1', message.headers, message.payload);
    const transport = new ScriptedTransport([new DomainError('axis.unavailable'), 'ok']);
    const events: OutboxRelayEvent[] = [];
    const relay = relayWith(store, transport, events);

    expect(await relay.runOnce()).to.include({ retried: 1 });
    expect(store.rows.get('e1')).to.include({ state: 'pending', attempts: 1, nextAttemptAt: now + 1_000 });
    expect(store.rows.get('e1')!.lastError).to.match(/^axis\.unavailable/);
    expect(await relay.runOnce()).to.include({ claimed: 0 }); // not due yet
    now += 1_000;
    expect(await relay.runOnce()).to.include({ sent: 1 });
    expect(transport.confirmed).to.deep.equal([message.headers.messageId]);
    expect(events.map((e) => e.kind)).to.deep.equal(['retry', 'sent']);
  });

  it('ends in a visible failed state with the reason once the schedule is exhausted', async () => {
    const store = new MemoryOutboxStore();
    const message = axisMessage(AGENCY_B, 'doc');
    store.add('e1', message.headers, message.payload);
    const refused = new DomainError('axis.publish_refused', { message: 'broker nack' });
    const relay = relayWith(store, new ScriptedTransport([refused, refused, refused]));
    await relay.runOnce();
    now += 1_000;
    await relay.runOnce();
    now += 5_000;
    expect(await relay.runOnce()).to.include({ failed: 1 });
    expect(store.rows.get('e1')).to.include({ state: 'failed', attempts: 3, lastError: 'axis.publish_refused: broker nack' });
    now += 60_000;
    expect(await relay.runOnce()).to.include({ claimed: 0 });
  });

  it('fails at once, without retrying, a package the node itself refuses', async () => {
    const store = new MemoryOutboxStore();
    const message = axisMessage(AGENCY_B, 'doc');
    store.add('e1', message.headers, message.payload);
    await relayWith(store, new ScriptedTransport([new DomainError('axis.unknown_recipient')])).runOnce();
    expect(store.rows.get('e1')).to.include({ state: 'failed', attempts: 1 });
    expect(store.rows.get('e1')!.lastError).to.match(/^axis\.unknown_recipient/);
  });

  it('leases claimed entries so a second relay does not publish them concurrently', async () => {
    const store = new MemoryOutboxStore();
    for (let i = 0; i < 3; i++) {
      const m = axisMessage(AGENCY_B, `doc ${i}`);
      store.add(`e${i}`, m.headers, m.payload);
    }
    const claimedByFirst = await store.claimDue(clock(), 10, 60_000);
    const second = new ScriptedTransport([]);
    expect(await relayWith(store, second).runOnce()).to.include({ claimed: 0 });
    expect(claimedByFirst).to.have.length(3);
    now += 60_001; // the first relay crashed: its lease expires and the entries are sent once
    expect(await relayWith(store, second).runOnce()).to.include({ sent: 3 });
    expect(second.confirmed).to.have.length(3);
    expect(store.markSentCalls).to.equal(1); // one statement for the pass
  });

  it('leaves confirmed entries pending (to be re-sent after the lease) when marking them sent fails', async () => {
    const store = new MemoryOutboxStore();
    const m = axisMessage(AGENCY_B, 'doc');
    store.add('e1', m.headers, m.payload);
    store.markSent = async () => {
      throw new DomainError('db.unavailable');
    };
    const transport = new ScriptedTransport([]);
    const error = await relayWith(store, transport).runOnce().then(() => undefined, (e: unknown) => e);
    expect((error as DomainError).code).to.equal('db.unavailable');
    expect(transport.confirmed).to.deep.equal([m.headers.messageId]);
    expect(store.rows.get('e1')).to.include({ state: 'pending', attempts: 0 });
  });

  it('runs in the background until stopped and sends what is issued meanwhile', async () => {
    const store = new MemoryOutboxStore();
    const transport = new ScriptedTransport([]);
    const relay = new OutboxRelay({ store, transport, retryScheduleMs: [10], batchSize: 2, concurrency: 2, leaseMs: 60_000, pollIntervalMs: 10_000 });
    relay.start();
    for (let i = 0; i < 5; i++) {
      const m = axisMessage(AGENCY_B, `doc ${i}`);
      store.add(`e${i}`, m.headers, m.payload);
    }
    relay.wake();
    for (let i = 0; i < 200 && store.inState('sent').length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    await relay.stop();
    expect(store.inState('sent').map((r) => r.id).sort()).to.deep.equal(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(transport.confirmed).to.have.length(5);
  });
  it('with lingerMs, sends the entries of a burst of commits in one pass (one markSent)', async () => {
    const store = new MemoryOutboxStore();
    const transport = new ScriptedTransport([]);
    const relay = new OutboxRelay({ store, transport, retryScheduleMs: [10], batchSize: 50, concurrency: 4, leaseMs: 60_000, pollIntervalMs: 10_000, lingerMs: 300 });
    relay.start();
    for (let i = 0; i < 20 && store.markSentCalls === 0; i++) await new Promise((r) => setTimeout(r, 5)); // the first (empty) pass ran
    const before = store.markSentCalls;
    for (let i = 0; i < 4; i++) { // four commits, each waking the relay, within the linger window
      const m = axisMessage(AGENCY_B, `burst ${i}`);
      store.add(`b${i}`, m.headers, m.payload);
      relay.wake();
      await new Promise((r) => setTimeout(r, 2));
    }
    for (let i = 0; i < 200 && store.inState('sent').length < 4; i++) await new Promise((r) => setTimeout(r, 5));
    await relay.stop();
    expect(store.inState('sent')).to.have.length(4);
    expect(store.markSentCalls - before).to.equal(1);
  });

  describe('hand-off (entries published from memory after their commit)', () => {
    /** A store that counts claims; the rows are added as the unit of work writes them: already leased. */
    const handOff = (store: MemoryOutboxStore, relay: OutboxRelay, label: string, id: string) => {
      const m = axisMessage(AGENCY_B, label);
      store.add(id, m.headers, m.payload, relay.leaseUntil().getTime());
      return { id, headers: m.headers, payload: m.payload, attempts: 0 };
    };
    const counting = (store: MemoryOutboxStore): { claims: number } => {
      const counter = { claims: 0 };
      const claimDue = store.claimDue.bind(store);
      store.claimDue = (...args) => { counter.claims += 1; return claimDue(...args); };
      return counter;
    };

    it('publishes handed-off entries in the order written, without claiming, and marks them sent', async () => {
      const store = new MemoryOutboxStore();
      const transport = new ScriptedTransport([]);
      const relay = new OutboxRelay({ store, transport, retryScheduleMs: [10], batchSize: 50, concurrency: 4, leaseMs: 60_000, pollIntervalMs: 60_000, clock });
      relay.start();
      await new Promise((r) => setTimeout(r, 20));
      const counter = counting(store); // from here: the first (start-up) pass has claimed
      const entries = ['03', '05'].map((code) => handOff(store, relay, `status ${code}`, `s${code}`));
      expect(await store.claimDue(clock(), 10, 60_000)).to.deep.equal([]); // leased: no other relay takes them
      counter.claims = 0;
      relay.take(entries, false);
      for (let i = 0; i < 200 && store.inState('sent').length < 2; i++) await new Promise((r) => setTimeout(r, 5));
      await relay.stop();
      expect(transport.confirmed).to.deep.equal(entries.map((e) => e.headers.messageId));
      expect(store.inState('sent').map((r) => r.id)).to.deep.equal(['s03', 's05']);
      expect(counter.claims).to.equal(0);
    });

    it('a pass full of handed-off entries keeps a claim that was asked for, for the next pass', async () => {
      const store = new MemoryOutboxStore();
      const transport = new ScriptedTransport([]);
      const relay = new OutboxRelay({ store, transport, retryScheduleMs: [10], batchSize: 2, concurrency: 2, leaseMs: 60_000, pollIntervalMs: 60_000, clock });
      const counter = counting(store);
      const due = axisMessage(AGENCY_B, 'retry due');
      store.add('due', due.headers, due.payload);
      relay.take(['h1', 'h2'].map((id) => handOff(store, relay, id, id)), true); // not running: released, claimed like any entry
      expect((await relay.runOnce()).claimed).to.equal(2);
      const handed = ['h3', 'h4'].map((id) => handOff(store, relay, id, id));
      (relay as unknown as { running: boolean }).running = true; // take() as the running loop sees it, passes driven by hand
      relay.take(handed, true);
      const claimsBefore = counter.claims;
      expect(await relay.runOnce()).to.include({ claimed: 2, sent: 2 }); // full of handed-off entries: no claim statement
      expect(counter.claims).to.equal(claimsBefore);
      relay.take([handOff(store, relay, 'h5', 'h5')], false);
      expect(await relay.runOnce()).to.include({ claimed: 2, sent: 2 }); // h5, and the claim asked for before: h2
      expect(counter.claims).to.equal(claimsBefore + 1);
      expect(store.inState('sent').map((r) => r.id).sort()).to.deep.equal(['due', 'h1', 'h2', 'h3', 'h4', 'h5']);
    });

    it('a failed publish of a handed-off entry is retried through the claim; a stopped relay releases what it was handed', async () => {
      const store = new MemoryOutboxStore();
      const transport = new ScriptedTransport([new DomainError('axis.unavailable')]);
      const relay = relayWith(store, transport);
      relay.start();
      const entry = handOff(store, relay, 'doc', 'h1');
      relay.take([entry], false);
      for (let i = 0; i < 200 && store.rows.get('h1')!.attempts === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(store.rows.get('h1')).to.include({ state: 'pending', attempts: 1, leaseUntil: 0 });
      now += 1_000; // due again: the claim finds it
      relay.wake();
      for (let i = 0; i < 200 && store.inState('sent').length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      await relay.stop();
      expect(store.rows.get('h1')).to.include({ state: 'sent' });

      const late = handOff(store, relay, 'committed while stopping', 'h2');
      relay.take([late], false); // the relay is stopped: the lease ends at once, so a relay claims it now, not after 60 s
      await new Promise((r) => setTimeout(r, 5));
      expect(store.rows.get('h2')).to.include({ state: 'pending', leaseUntil: 0 });
      expect((await store.claimDue(clock(), 10, 60_000)).map((e) => e.id)).to.deep.equal(['h2']);
    });
  });
});
