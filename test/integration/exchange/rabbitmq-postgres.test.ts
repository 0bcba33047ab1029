// The exchange cases on real RabbitMQ (a vhost per run, created with rabbitmqctl) and PostgreSQL (a
// database per node). Fails, never skips, when either cannot be reached.
import { exchangeFlowCases } from './exchange-flow.cases.ts';
import { createTestVhost, testPrefix, type TestVhost } from '../axis/support/broker.ts';

describe('exchange over real RabbitMQ and PostgreSQL', function () {
  this.timeout(120_000);
  let vhost: TestVhost | undefined;
  const prefix = testPrefix();
  before(async () => { vhost = await createTestVhost(); });
  after(async () => { await vhost?.remove(); });
  exchangeFlowCases('postgres', () => ({ url: vhost?.url ?? 'amqp://vhost-not-created', prefix }));
});
