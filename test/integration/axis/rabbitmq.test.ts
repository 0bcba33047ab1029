// Every axis test that needs real RabbitMQ, sharing one vhost per run (created with rabbitmqctl, deleted
// afterwards: creating one takes seconds). Each case declares under its own name prefix; cuts touch
// only this vhost's connections. The broker restart runs last.
import { amqpTransportCases } from './amqp-axis-transport.cases.ts';
import { brokerRestartCases } from './broker-restart.cases.ts';
import { deadLettersCliCases } from './dead-letters-cli.cases.ts';
import { exactlyOnceCases } from './exactly-once.cases.ts';
import { createTestVhost, type TestVhost } from './support/broker.ts';

describe('axis over real RabbitMQ', function () {
  let vhost: TestVhost | undefined;
  const current = (): TestVhost => {
    if (!vhost) throw new Error('the test vhost was not created (is RabbitMQ running?)');
    return vhost;
  };
  before(async () => {
    vhost = await createTestVhost();
  });
  after(async () => {
    await vhost?.remove();
  });

  amqpTransportCases(current);
  exactlyOnceCases(current);
  deadLettersCliCases(current);
  brokerRestartCases(current);
});
