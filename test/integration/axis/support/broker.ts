// Real RabbitMQ for the axis integration tests (STYLE.md habit 10: isolated per run). Each run gets its
// own vhost (created with rabbitmqctl, deleted afterwards), and each test its own name prefix, so cutting
// "all connections" of the vhost touches only this run. A broker that cannot be reached fails the tests.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqp from 'amqplib';

const run = promisify(execFile);

export const BROKER_BASE_URL = process.env.AXIS_TEST_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const USER = new URL(BROKER_BASE_URL).username || 'guest';

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
  return stdout;
}

export interface TestVhost {
  readonly name: string;
  readonly url: string;
  /** Cuts every client connection of this vhost, as a network failure or broker-side close would. */
  cutConnections(): Promise<void>;
  remove(): Promise<void>;
}

export async function createTestVhost(): Promise<TestVhost> {
  const name = `edoc-axis-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, USER, '.*', '.*', '.*');
  const url = `${BROKER_BASE_URL.replace(/\/$/, '')}/${encodeURIComponent(name)}`;
  // Fail (not skip) right here when the broker is unreachable with these credentials.
  const probe = await amqp.connect(url);
  await probe.close();
  return {
    name,
    url,
    cutConnections: async () => {
      await rabbitmqctl('close_all_connections', '--vhost', name, 'edoc-node axis test: connection cut');
    },
    remove: async () => {
      await rabbitmqctl('delete_vhost', name);
    },
  };
}

export const testPrefix = (): string => `t${randomBytes(4).toString('hex')}.`;
