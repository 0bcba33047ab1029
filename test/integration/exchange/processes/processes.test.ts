// Issue 5 "Tests that must exist" with real OS processes: three `edoc-node start` processes (each its own
// PostgreSQL database and data directory) on one RabbitMQ vhost, driven over HTTP; then fault injection
// (SIGKILL at fault points, broker connection cut, database outage, two processes for one agency).
// Fails, never skips, when PostgreSQL or RabbitMQ cannot be reached.
import { createTestVhost, rabbitmqctl, testPrefix, type TestVhost } from '../../axis/support/broker.ts';
import { endToEndCases } from './end-to-end.cases.ts';
import { faultCases } from './faults.cases.ts';
import { SO_TTTT, TAY_NINH, VPCP } from './support/exchange-actions.ts';
import { ProcessNetwork } from './support/process-network.ts';

describe('exchange across edoc-node OS processes (RabbitMQ + PostgreSQL)', function () {
  this.timeout(180_000);
  let vhost: TestVhost | undefined;
  let net: ProcessNetwork | undefined;
  const prefix = testPrefix();
  const network = (): ProcessNetwork => {
    if (!net) throw new Error('the process network did not start');
    return net;
  };

  before(async () => {
    vhost = await createTestVhost();
    net = ProcessNetwork.create({ axisUrl: vhost.url, prefix });
    // Started one after the other: the first start compiles the sources (tsx cache) for the others.
    for (const organId of [VPCP, TAY_NINH, SO_TTTT]) await net.add(organId);
  });
  after(async () => {
    await net?.close();
    await vhost?.remove();
  });

  const queueDepth = async (queue: string): Promise<number> => {
    const listed = await rabbitmqctl('list_queues', '-p', vhost?.name ?? '', 'name', 'messages');
    const line = listed.split('\n').map((l) => l.trim().split(/\s+/)).find(([name]) => name === queue);
    if (!line) throw new Error(`no queue ${queue} in:\n${listed}`);
    return Number(line[1]);
  };

  endToEndCases(network);
  faultCases({
    network,
    deadLetters: () => queueDepth(`${prefix}axis.dead-letter`),
    inboxDepth: (organId) => queueDepth(`${prefix}axis.inbox.${organId}`),
    inboxConsumers: async (organId) => {
      const listed = await rabbitmqctl('list_consumers', '-p', vhost?.name ?? '', 'queue_name');
      return listed.split('\n').filter((l) => l.trim() === `${prefix}axis.inbox.${organId}`).length;
    },
  });
});
