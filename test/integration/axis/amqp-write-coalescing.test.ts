// amqplib writes each frame to the socket on its own; the transport corks the socket for each pass of
// amqplib's muxer (src/axis/amqp-write-coalescing.ts), so frames queued together leave in one write.
// Real RabbitMQ (an exclusive queue of the default vhost, gone with its connection).
import type { Socket } from 'node:net';
import { expect } from 'chai';
import amqp, { type ChannelModel } from 'amqplib';
import { coalesceWrites } from '../../../src/axis/amqp-write-coalescing.ts';
import { BROKER_BASE_URL } from './support/broker.ts';

/** Socket writes (`_write` and `_writev` calls) while 20 messages are sent in one tick, and what arrived. */
async function writesFor20Messages(model: ChannelModel): Promise<{ writes: number; received: string[] }> {
  const channel = await model.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  const received: string[] = [];
  await channel.consume(queue, (m) => { if (m) { received.push(m.content.toString()); channel.ack(m); } });
  const socket = (model as unknown as { connection: { stream: Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void } } }).connection.stream;
  let writes = 0;
  const [write, writev] = [socket._write, socket._writev];
  socket._write = function (...args: unknown[]) { writes += 1; return write.apply(this, args); };
  socket._writev = function (...args: unknown[]) { writes += 1; return writev.apply(this, args); };
  for (let i = 0; i < 20; i++) channel.sendToQueue(queue, Buffer.from(`văn bản ${i}`));
  const deadline = Date.now() + 10_000;
  while (received.length < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  socket._write = write;
  socket._writev = writev;
  const sent = writes;
  return { writes: sent, received };
}

describe('amqplib writes coalesced per muxer pass (real RabbitMQ)', function () {
  this.timeout(30_000);

  it('sends frames queued together in one socket write, and every message arrives', async () => {
    const [plain, corked] = [await amqp.connect(BROKER_BASE_URL), await amqp.connect(BROKER_BASE_URL)];
    try {
      expect(coalesceWrites(corked)).to.equal(true);
      const before = await writesFor20Messages(plain);
      const after = await writesFor20Messages(corked);
      for (const run of [before, after]) expect(run.received).to.deep.equal(Array.from({ length: 20 }, (_, i) => `văn bản ${i}`));
      expect(before.writes, 'amqplib alone: a write a frame').to.be.at.least(20);
      expect(after.writes, 'the 20 publishes (and the acks after them) in a few writes').to.be.at.most(10);
    } finally {
      await Promise.all([plain.close(), corked.close()]);
    }
  });
});
