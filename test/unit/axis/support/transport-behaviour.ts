// The behaviour every axis transport must show (issue 5: "the in-process transport passes the same
// behavioural tests"): run by test/unit/axis/in-process-axis-transport.test.ts and by
// test/integration/axis/amqp-axis-transport.test.ts against real RabbitMQ.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { expect } from 'chai';
import type { AxisProblem } from '../../../../src/axis/delivery-assembly.ts';
import {
  bytesPayload, type AxisDeadLetterQueue, type AxisDelivery, type AxisDeliveryVerdict, type AxisOutgoingMessage, type AxisTransport,
} from '../../../../src/domain/axis-transport.ts';
import { isDomainError } from '../../../../src/domain/errors.ts';
import { eventually, pause } from './wait.ts';

export const AGENCY_A = '000.00.13.H53';
export const AGENCY_B = '000.00.32.H53';

export interface TransportSettings {
  readonly deliveryLimit: number;
  readonly prefetch: number;
  readonly chunkSizeBytes: number;
}

export interface TransportUnderTest {
  readonly transport: AxisTransport & AxisDeadLetterQueue;
  readonly problems: AxisProblem[];
  /** Where reassembled large packages are written (must be empty once handlers settled). */
  readonly payloadDir: string;
  close(): Promise<void>;
}

export type TransportFactory = (settings: TransportSettings) => Promise<TransportUnderTest>;

export const DEFAULT_SETTINGS: TransportSettings = { deliveryLimit: 2, prefetch: 8, chunkSizeBytes: 256 * 1024 };

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export function axisMessage(to: string, body: Uint8Array | string, overrides: Partial<AxisOutgoingMessage['headers']> = {}): AxisOutgoingMessage {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return {
    headers: {
      from: AGENCY_A, to, messageType: 'edoc', serviceType: 'eDoc', messageId: randomUUID(), packageDigest: sha256(bytes), ...overrides,
    },
    payload: bytesPayload(bytes),
  };
}

export function transportBehaviour(name: string, factory: TransportFactory): void {
  describe(`${name}: axis transport behaviour`, function () {
    let under: TransportUnderTest;
    const open = async (settings: Partial<TransportSettings> = {}): Promise<TransportUnderTest> => {
      under = await factory({ ...DEFAULT_SETTINGS, ...settings });
      return under;
    };
    afterEach(async () => {
      await under?.close();
    });

    it('delivers a package to the recipient with the axis headers and intact bytes', async () => {
      const { transport } = await open();
      const received: AxisDelivery[] = [];
      const bodies: string[] = [];
      await transport.consume(AGENCY_B, async (d) => {
        received.push(d);
        bodies.push(Buffer.from(await d.payload.bytes()).toString('utf8'));
        return 'ack';
      });
      const message = axisMessage(AGENCY_B, '<edXML>văn bản số 7816</edXML>', { messageType: 'status' });
      await transport.publish(message);
      await eventually(() => received.length === 1, 'one delivery');
      expect(received[0]!.headers).to.deep.equal(message.headers);
      expect(bodies).to.deep.equal(['<edXML>văn bản số 7816</edXML>']);
      expect(received[0]!.redelivered).to.equal(false);
      expect(received[0]!.deliveryCount).to.equal(0);
    });

    it('routes by recipient organ id: each agency reads only its own inbox', async () => {
      const { transport } = await open();
      const byInbox: Record<string, string[]> = { [AGENCY_A]: [], [AGENCY_B]: [] };
      for (const organId of [AGENCY_A, AGENCY_B]) {
        await transport.consume(organId, async (d) => {
          byInbox[organId]!.push(`${d.headers.to}:${Buffer.from(await d.payload.bytes()).toString()}`);
          return 'ack';
        });
      }
      await transport.publish(axisMessage(AGENCY_B, 'one'));
      await transport.publish(axisMessage(AGENCY_A, 'two', { from: AGENCY_B }));
      await transport.publish(axisMessage(AGENCY_B, 'three'));
      await eventually(() => byInbox[AGENCY_A]!.length + byInbox[AGENCY_B]!.length === 3, 'three deliveries');
      expect(byInbox[AGENCY_A]).to.deep.equal([`${AGENCY_A}:two`]);
      expect(byInbox[AGENCY_B]!.slice().sort()).to.deep.equal([`${AGENCY_B}:one`, `${AGENCY_B}:three`]);
    });

    it('keeps a package published before the recipient consumes, until it does', async () => {
      const { transport } = await open();
      const message = axisMessage(AGENCY_B, 'waiting');
      await transport.publish(message);
      const ids: string[] = [];
      await transport.consume(AGENCY_B, async (d) => {
        ids.push(d.headers.messageId);
        return 'ack';
      });
      await eventually(() => ids.length === 1, 'the waiting package');
      expect(ids).to.deep.equal([message.headers.messageId]);
    });

    it('redelivers after requeue and after a crashed handler, then forgets it once acked', async () => {
      const { transport } = await open({ deliveryLimit: 5 });
      const seen: Array<[boolean, number]> = [];
      await transport.consume(AGENCY_B, async (d) => {
        seen.push([d.redelivered, d.deliveryCount]);
        if (seen.length === 1) return 'requeue';
        if (seen.length === 2) throw new Error('handler crashed before its commit');
        return 'ack';
      });
      await transport.publish(axisMessage(AGENCY_B, 'again'));
      await eventually(() => seen.length === 3, 'three deliveries');
      await pause(300);
      expect(seen).to.deep.equal([[false, 0], [true, 1], [true, 2]]);
      expect(under.problems.some((p) => p.error instanceof Error && p.error.message.includes('handler crashed'))).to.equal(true);
    });

    it('dead-letters a poison message after the delivery limit (limit + 1 deliveries)', async () => {
      const { transport } = await open({ deliveryLimit: 2 });
      let deliveries = 0;
      await transport.consume(AGENCY_B, async () => {
        deliveries += 1;
        throw new Error('poison');
      });
      const poison = axisMessage(AGENCY_B, 'poison');
      await transport.publish(poison);
      const letters: Awaited<ReturnType<typeof transport.takeDeadLetters>> = [];
      await eventually(async () => {
        letters.push(...(await transport.takeDeadLetters(10)));
        return letters.length > 0;
      }, 'a dead letter');
      expect(deliveries).to.equal(3);
      expect(letters).to.have.length(1);
      expect(letters[0]!.headers.messageId).to.equal(poison.headers.messageId);
      expect(letters[0]!.headers.from).to.equal(AGENCY_A);
      expect(letters[0]!.reason).to.equal('delivery_limit');
    });

    it('dead-letters at once on a dead-letter verdict', async () => {
      const { transport } = await open();
      let deliveries = 0;
      await transport.consume(AGENCY_B, async (): Promise<AxisDeliveryVerdict> => {
        deliveries += 1;
        return 'dead-letter';
      });
      const refused = axisMessage(AGENCY_B, 'never processable');
      await transport.publish(refused);
      const letters: Awaited<ReturnType<typeof transport.takeDeadLetters>> = [];
      await eventually(async () => {
        letters.push(...(await transport.takeDeadLetters(10)));
        return letters.length > 0;
      }, 'a dead letter');
      expect(deliveries).to.equal(1);
      expect(letters.map((l) => [l.headers.messageId, l.reason])).to.deep.equal([[refused.headers.messageId, 'rejected']]);
    });

    it('lists dead letters without taking them, and re-drives the chosen ones to their inbox (same message id, same bytes, a large package too)', async () => {
      const { transport } = await open({ deliveryLimit: 1, chunkSizeBytes: 16 * 1024 });
      let accept = false;
      const got: Array<{ messageId: string; digest: string }> = [];
      // Poison until the operator has fixed the cause (a full disk, say): dead-lettered after the delivery
      // limit, the earlier chunks of the large package still in the chunk store.
      await transport.consume(AGENCY_B, async (d): Promise<AxisDeliveryVerdict> => {
        if (!accept) throw new Error('poison until fixed');
        const pieces: Uint8Array[] = [];
        for await (const piece of d.payload.chunks()) pieces.push(piece);
        got.push({ messageId: d.headers.messageId, digest: sha256(Buffer.concat(pieces)) });
        return 'ack';
      });
      const first = axisMessage(AGENCY_B, 'first poison');
      const large = axisMessage(AGENCY_B, randomBytes(16 * 1024 * 2 + 5)); // 3 chunks
      const other = axisMessage(AGENCY_B, 'stays dead');
      for (const m of [first, large, other]) await transport.publish(m);
      let listed: Awaited<ReturnType<typeof transport.listDeadLetters>> = [];
      await eventually(async () => (listed = await transport.listDeadLetters(100)).length >= 3, 'three dead letters');
      const ids = [first, large, other].map((m) => m.headers.messageId);
      expect([...new Set(listed.map((l) => l.headers.messageId))]).to.have.members(ids);
      expect(listed.every((l) => l.reason === 'delivery_limit' && l.headers.to === AGENCY_B && l.headers.from === AGENCY_A)).to.equal(true);
      expect(listed.find((l) => l.headers.messageId === large.headers.messageId)?.chunk).to.deep.equal({ index: 2, count: 3 });
      expect(listed.find((l) => l.headers.messageId === first.headers.messageId)).to.deep.include({ size: 'first poison'.length });
      expect(listed.every((l) => !Number.isNaN(Date.parse(l.deadLetteredAt ?? '')))).to.equal(true);
      // Listing again sees the same letters, in the same order, with the same facts: nothing was taken.
      expect(await transport.listDeadLetters(100)).to.deep.equal(listed);

      accept = true;
      const redriven = await transport.redriveDeadLetters((l) => l.headers.messageId !== other.headers.messageId, 100);
      expect([...new Set(redriven.map((l) => l.headers.messageId))]).to.have.members([first.headers.messageId, large.headers.messageId]);
      await eventually(() => got.length === 2, 'the re-driven packages processed');
      const sent = new Map([first, large].map((m) => [m.headers.messageId, m.headers.packageDigest]));
      expect(got.map((g) => sent.get(g.messageId) === g.digest)).to.deep.equal([true, true]);
      const left = await transport.listDeadLetters(100);
      expect(left.map((l) => l.headers.messageId)).to.deep.equal([other.headers.messageId]);
      // Nothing chosen: nothing moves.
      expect(await transport.redriveDeadLetters(() => false, 100)).to.deep.equal([]);
      expect(await transport.listDeadLetters(100)).to.have.length(1);
    });

    it('refuses a package whose bytes do not match its digest header', async () => {
      const { transport } = await open();
      let deliveries = 0;
      await transport.consume(AGENCY_B, async () => {
        deliveries += 1;
        return 'ack';
      });
      const tampered = axisMessage(AGENCY_B, 'tampered', { packageDigest: sha256(Buffer.from('original')) });
      await transport.publish(tampered);
      await eventually(() => under.problems.some((p) => isDomainError(p.error, 'axis.digest_mismatch')), 'a digest problem');
      const letters: Awaited<ReturnType<typeof transport.takeDeadLetters>> = [];
      await eventually(async () => {
        letters.push(...(await transport.takeDeadLetters(10)));
        return letters.length > 0;
      }, 'a dead letter');
      expect(deliveries).to.equal(0);
      expect(letters.map((l) => l.headers.messageId)).to.deep.equal([tampered.headers.messageId]);
    });

    it('returns unsettled deliveries to the queue when a consumer stops, for another consumer', async () => {
      const { transport } = await open();
      let release: () => void = () => undefined;
      const first: string[] = [];
      const subscription = await transport.consume(AGENCY_B, async (d) => {
        first.push(d.headers.messageId);
        await new Promise<void>((resolve) => { release = resolve; });
        return 'ack';
      });
      const message = axisMessage(AGENCY_B, 'in flight');
      await transport.publish(message);
      await eventually(() => first.length === 1, 'first delivery');
      await subscription.cancel();
      const second: Array<[string, boolean]> = [];
      await transport.consume(AGENCY_B, async (d) => {
        second.push([d.headers.messageId, d.redelivered]);
        return 'ack';
      });
      await eventually(() => second.length === 1, 'redelivery to the new consumer');
      release();
      expect(second).to.deep.equal([[message.headers.messageId, true]]);
    });

    it('never has more unsettled deliveries than the prefetch', async () => {
      const { transport } = await open({ prefetch: 3 });
      let inFlight = 0;
      let maxInFlight = 0;
      let done = 0;
      // All twelve wait in the inbox before the consumer starts, so the prefetch is what limits it.
      await Promise.all(Array.from({ length: 12 }, (_, i) => transport.publish(axisMessage(AGENCY_B, `m${i}`))));
      await transport.consume(AGENCY_B, async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await pause(20);
        inFlight -= 1;
        done += 1;
        return 'ack';
      });
      await eventually(() => done === 12, 'twelve deliveries');
      expect(maxInFlight).to.equal(3);
    });

    it('shares an inbox between competing consumers, each package handled by one of them', async () => {
      const { transport } = await open({ prefetch: 2 });
      const handledBy = new Map<string, string>();
      for (const consumer of ['process-1', 'process-2']) {
        await transport.consume(AGENCY_B, async (d) => {
          expect(handledBy.has(d.headers.messageId)).to.equal(false);
          handledBy.set(d.headers.messageId, consumer);
          await pause(5);
          return 'ack';
        });
      }
      const messages = Array.from({ length: 20 }, (_, i) => axisMessage(AGENCY_B, `doc ${i}`));
      for (const m of messages) await transport.publish(m);
      await eventually(() => handledBy.size === 20, 'twenty packages');
      await pause(200);
      expect([...handledBy.keys()].sort()).to.deep.equal(messages.map((m) => m.headers.messageId).sort());
      expect(new Set(handledBy.values()).size).to.equal(2);
    });

    it('carries a package larger than the chunk size as chunks, reassembled into a file and verified', async () => {
      const { transport } = await open({ chunkSizeBytes: 64 * 1024 });
      const big = randomBytes(64 * 1024 * 5 + 123); // 6 chunks, the last one short
      const got: Array<{ size: number; digest: string; streamed: number }> = [];
      await transport.consume(AGENCY_B, async (d) => {
        let streamed = 0;
        const hash = createHash('sha256');
        for await (const piece of d.payload.chunks()) {
          streamed += 1;
          hash.update(piece);
        }
        got.push({ size: d.payload.size, digest: hash.digest('hex'), streamed });
        return 'ack';
      });
      const message = axisMessage(AGENCY_B, big);
      await transport.publish(message);
      await eventually(() => got.length === 1, 'the large package');
      expect(got[0]!.size).to.equal(big.byteLength);
      expect(got[0]!.digest).to.equal(message.headers.packageDigest);
      // The temp file is released once the handler has settled.
      await eventually(async () => (await readdir(under.payloadDir)).length === 0, 'the temp file to be removed');
    });

    it('reassembles a large package again when its handler asks for a redelivery', async () => {
      const { transport } = await open({ chunkSizeBytes: 16 * 1024, deliveryLimit: 5 });
      const big = randomBytes(16 * 1024 * 3 + 1);
      const digests: string[] = [];
      await transport.consume(AGENCY_B, async (d) => {
        digests.push(sha256(await d.payload.bytes()));
        return digests.length === 1 ? 'requeue' : 'ack';
      });
      const message = axisMessage(AGENCY_B, big);
      await transport.publish(message);
      await eventually(() => digests.length === 2, 'the package twice');
      await pause(200);
      expect(digests).to.deep.equal([message.headers.packageDigest, message.headers.packageDigest]);
    });

    it('fails a publish cleanly with a retryable error once closed', async () => {
      const { transport } = await open();
      await transport.close();
      const error = await transport.publish(axisMessage(AGENCY_B, 'late')).then(() => undefined, (e: unknown) => e);
      expect(isDomainError(error, 'axis.unavailable')).to.equal(true);
    });
  });
}
