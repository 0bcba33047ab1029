// The dead-letter queue over RabbitMQ, for an operator (docs/axis.md "Dead letters"). AMQP has no peek, and
// a message put back with a nack counts as a delivery on the quorum queue (RabbitMQ 4 drops a message past
// its default limit of 20), so one pass takes each message present when it starts and, before acking it,
// publishes it (publisher confirm awaited) either back to the tail of the dead-letter queue (kept, order
// unchanged after a full pass) or to its recipient's inbox (re-driven, as a fresh message with the same
// message id: the inbox dedupes it if it had in fact been processed). A crash between the confirm and the
// ack leaves a duplicate, never a loss.
import type { ConfirmChannel, GetMessage, MessageProperties } from 'amqplib';
import { AXIS_MESSAGE_TYPES, type AxisDeadLetter, type AxisMessageType } from '../domain/axis-transport.ts';
import { declareInbox, type AxisTopology } from './topology.ts';

export type DeadLetterDecision = 'keep' | 'redrive';

/** Our copy of the broker's death facts: kept across passes whatever the broker does with `x-death`. */
const REASON = 'edoc-dead-letter-reason';
const AT = 'edoc-dead-lettered-at';
const BROKER_HEADERS = /^x-(death|first-death-|last-death-|delivery-count)/;

const text = (value: unknown): string | undefined => {
  const s = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  return typeof s === 'string' && s !== '' ? s : undefined;
};

function deathOf(headers: Record<string, unknown>): { reason: string; at?: string } {
  const death = Array.isArray(headers['x-death']) ? (headers['x-death'][0] as Record<string, unknown> | undefined) : undefined;
  const reason = text(headers[REASON]) ?? text(death?.reason) ?? text(headers['x-first-death-reason']) ?? 'unknown';
  const time = death?.time as { value?: number } | number | Date | undefined;
  const seconds = typeof time === 'number' ? time : time instanceof Date ? time.getTime() / 1000 : time?.value;
  const at = text(headers[AT]) ?? (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : undefined);
  return at ? { reason, at } : { reason };
}

/** What an operator sees of a dead letter (the headers mirror the axis interface; see wire-message.ts). */
export function deadLetterOf(message: GetMessage): AxisDeadLetter {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const { reason, at } = deathOf(headers);
  const from = text(headers.from); const to = text(headers.to); const messageId = text(message.properties.messageId);
  const messageType = text(headers.messagetype); const packageDigest = text(headers['package-digest']);
  const index = headers['chunk-index']; const count = headers['chunk-count'];
  return {
    headers: {
      ...(from ? { from } : {}), ...(to ? { to } : {}), ...(messageId ? { messageId } : {}),
      ...(AXIS_MESSAGE_TYPES.includes(messageType as AxisMessageType) ? { messageType: messageType as AxisMessageType } : {}),
      ...(packageDigest ? { packageDigest } : {}),
    },
    reason, size: message.content.byteLength,
    ...(typeof index === 'number' && typeof count === 'number' ? { chunk: { index, count } } : {}),
    ...(at ? { deadLetteredAt: at } : {}),
  };
}

function publishOptions(properties: MessageProperties, headers: Record<string, unknown>): Record<string, unknown> {
  const { contentType, contentEncoding, correlationId, messageId, timestamp, type, appId, priority } = properties;
  const defined = Object.entries({ contentType, contentEncoding, correlationId, messageId, timestamp, type, appId, priority }).filter(([, v]) => v !== undefined);
  return { ...Object.fromEntries(defined), headers, persistent: true };
}

/**
 * One pass over the dead letters present when it starts (oldest first): `decide` says, for each, whether it
 * stays or goes back to its recipient's inbox. A letter without a recipient (`to`) always stays.
 */
export async function walkDeadLetters(channel: ConfirmChannel, topology: AxisTopology, decide: (letter: AxisDeadLetter) => DeadLetterDecision): Promise<void> {
  const queue = topology.deadLetterQueue;
  const { messageCount } = await channel.checkQueue(queue);
  const inboxes = new Set<string>();
  let returned = false; // basic.return comes before the confirm of an unroutable mandatory publish
  channel.on('return', () => { returned = true; });
  for (let i = 0; i < messageCount; i += 1) {
    const message = await channel.get(queue, { noAck: false });
    if (!message) break;
    const letter = deadLetterOf(message);
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    const to = letter.headers.to;
    const kept = { ...headers, [REASON]: letter.reason, ...(letter.deadLetteredAt ? { [AT]: letter.deadLetteredAt } : {}) };
    const keep = (): boolean => channel.sendToQueue(queue, message.content, publishOptions(message.properties, kept));
    const decision = decide(letter); // every letter is seen (listed), even one that cannot be re-driven
    if (to && decision === 'redrive') {
      // The recipient's inbox may not exist on this broker any more: declaring it keeps the publish routable.
      if (!inboxes.has(to)) { await declareInbox(channel, topology, to); inboxes.add(to); }
      const fresh = Object.fromEntries(Object.entries(headers).filter(([name]) => !BROKER_HEADERS.test(name) && name !== REASON && name !== AT));
      returned = false;
      channel.publish(topology.exchange, to, message.content, { ...publishOptions(message.properties, fresh), mandatory: true });
      await channel.waitForConfirms();
      if (returned) { keep(); await channel.waitForConfirms(); channel.ack(message); throw new UnroutableDeadLetter(to); }
    } else {
      keep();
      await channel.waitForConfirms();
    }
    channel.ack(message);
  }
}

/** A re-driven dead letter the broker could not route (it was kept in the dead-letter queue). */
export class UnroutableDeadLetter extends Error {
  constructor(readonly to: string) {
    super(`no inbox bound for ${to}: the dead letter stays in the dead-letter queue`);
  }
}
