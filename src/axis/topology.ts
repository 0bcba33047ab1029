// The broker topology of the axis, in one file (STYLE.md habit 9), declared and then asserted at start-up:
// - `<prefix>axis.packages`: durable direct exchange; the routing key is the recipient organ id;
// - `<prefix>axis.inbox.<organ id>`: one durable quorum queue per agency, bound with its organ id;
//   `x-delivery-limit` dead-letters a message after that many unsuccessful deliveries (poison messages);
//   at-least-once dead-lettering (`x-dead-letter-strategy`, requires `x-overflow: reject-publish`) so a
//   poison message is never lost on its way to the dead-letter queue;
// - `<prefix>axis.dead-letter`: fanout exchange and its durable quorum queue, read by an operator.
// Messages are published persistent, with publisher confirms; consumers use a prefetch and manual acks.
// The prefix isolates deployments (and tests) sharing one broker. Every node of a deployment must use the
// same prefix and delivery limit: a queue declared with other arguments fails the assertion.
import type { Channel } from 'amqplib';
import { DomainError } from '../domain/errors.ts';

export interface AxisTopologyOptions {
  /** Prepended to every exchange and queue name, e.g. `prod.` or a per-test prefix. */
  readonly prefix: string;
  /** Unsuccessful deliveries allowed before dead-lettering (quorum `x-delivery-limit`). */
  readonly deliveryLimit: number;
}

export interface AxisTopology {
  readonly exchange: string;
  readonly deadLetterExchange: string;
  readonly deadLetterQueue: string;
  inboxQueue(organId: string): string;
  inboxArguments(): Record<string, unknown>;
}

export function axisTopology(options: AxisTopologyOptions): AxisTopology {
  const { prefix, deliveryLimit } = options;
  const deadLetterExchange = `${prefix}axis.dead-letter`;
  return {
    exchange: `${prefix}axis.packages`,
    deadLetterExchange,
    deadLetterQueue: `${prefix}axis.dead-letter`,
    inboxQueue: (organId) => `${prefix}axis.inbox.${organId}`,
    inboxArguments: () => ({
      'x-queue-type': 'quorum',
      'x-delivery-limit': deliveryLimit,
      'x-dead-letter-exchange': deadLetterExchange,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    }),
  };
}

const QUORUM = { 'x-queue-type': 'quorum' };

/** Declares the shared part (exchanges, dead-letter queue). A mismatch with what exists fails. */
export async function declareSharedTopology(channel: Channel, topology: AxisTopology): Promise<void> {
  await guarded('exchange ' + topology.exchange, () => channel.assertExchange(topology.exchange, 'direct', { durable: true, autoDelete: false }));
  await guarded('exchange ' + topology.deadLetterExchange, () => channel.assertExchange(topology.deadLetterExchange, 'fanout', { durable: true, autoDelete: false }));
  await guarded('queue ' + topology.deadLetterQueue, () => channel.assertQueue(topology.deadLetterQueue, { durable: true, arguments: QUORUM }));
  await channel.bindQueue(topology.deadLetterQueue, topology.deadLetterExchange, '');
}

/**
 * Declares the inbox of one agency. Also used by a sender for a recipient it has not seen yet, so a
 * package sent before the recipient's node first starts waits in the recipient's inbox instead of
 * being dropped as unroutable.
 */
export async function declareInbox(channel: Channel, topology: AxisTopology, organId: string): Promise<string> {
  const queue = topology.inboxQueue(organId);
  await guarded('queue ' + queue, () => channel.assertQueue(queue, { durable: true, arguments: topology.inboxArguments() }));
  await channel.bindQueue(queue, topology.exchange, organId);
  return queue;
}

/** Asserts (passively) that everything the node relies on exists after declaration. */
export async function assertTopology(channel: Channel, topology: AxisTopology, organIds: readonly string[]): Promise<void> {
  await guarded('exchange ' + topology.exchange, () => channel.checkExchange(topology.exchange));
  await guarded('exchange ' + topology.deadLetterExchange, () => channel.checkExchange(topology.deadLetterExchange));
  await guarded('queue ' + topology.deadLetterQueue, () => channel.checkQueue(topology.deadLetterQueue));
  for (const organId of organIds) {
    await guarded('queue ' + topology.inboxQueue(organId), () => channel.checkQueue(topology.inboxQueue(organId)));
  }
}

async function guarded<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (cause) {
    // PRECONDITION_FAILED (406, arguments differ) or NOT_FOUND (404, passive check) close the channel.
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/PRECONDITION_FAILED|NOT_FOUND|406|404/.test(message)) {
      throw new DomainError('axis.topology_mismatch', { details: [{ field: what, message }], cause });
    }
    throw new DomainError('axis.unavailable', { details: [{ field: what, message }], cause });
  }
}
