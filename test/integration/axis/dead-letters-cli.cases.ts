// (Registered by rabbitmq.test.ts.) `edoc-node axis dead-letters` and `edoc-node axis redrive` as an
// operator runs them, as OS processes against real RabbitMQ: a receiver keeps failing on two packages until
// the cause is fixed, they end in the dead-letter queue; the listing shows them and leaves them; re-driving
// one by message id delivers it (same id, same bytes) and leaves the other; --to re-drives the rest.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { AmqpAxisTransport } from '../../../src/axis/amqp-axis-transport.ts';
import { FileChunkStore } from '../../../src/axis/file-chunk-store.ts';
import { TempFilePayloadSink } from '../../../src/axis/temp-file-payload-sink.ts';
import type { AxisDeadLetter, AxisDeliveryVerdict } from '../../../src/domain/axis-transport.ts';
import { AGENCY_A, AGENCY_B, axisMessage } from '../../unit/axis/support/transport-behaviour.ts';
import { eventually } from '../../unit/axis/support/wait.ts';
import { testPrefix, type TestVhost } from './support/broker.ts';

const run = promisify(execFile);

export function deadLettersCliCases(vhost: () => TestVhost): void {
  describe('edoc-node axis dead-letters / redrive (real RabbitMQ, OS processes)', function () {
    this.timeout(120_000);
    let root: string;
    let transport: AmqpAxisTransport;
    const prefix = testPrefix();

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'edoc-dlq-cli-'));
      await writeFile(join(root, 'config.json'), JSON.stringify({ axis: { prefix, deliveryLimit: 1 } }));
      transport = new AmqpAxisTransport({
        url: vhost().url, topology: { prefix, deliveryLimit: 1 }, hostedOrganIds: [AGENCY_A, AGENCY_B], prefetch: 8, chunkSizeBytes: 1024 * 1024,
        chunkStore: new FileChunkStore(join(root, 'chunks')), payloadSink: new TempFilePayloadSink(join(root, 'in')), connectionName: `edoc-node-test-${prefix}`,
      });
      await transport.start();
    });
    after(async () => {
      await transport.close();
      await rm(root, { recursive: true, force: true });
    });

    /** `axisUrl` null: no AXIS_URL (the in-process axis). */
    const cli = async (args: string[], axisUrl: string | null = vhost().url): Promise<{ code: number; stdout: string; stderr: string }> => {
      const env: NodeJS.ProcessEnv = { ...process.env, EDOC_CONFIG: join(root, 'config.json'), DATA_DIR: join(root, 'data'), LOG_LEVEL: 'error' };
      if (axisUrl === null) delete env.AXIS_URL;
      else env.AXIS_URL = axisUrl;
      try {
        const { stdout, stderr } = await run(process.execPath, ['bin/edoc-node.js', ...args], { env, timeout: 60_000 });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    };
    const listed = async (): Promise<AxisDeadLetter[]> => {
      const out = await cli(['axis', 'dead-letters', '--json']);
      expect(out.code, out.stderr).to.equal(0);
      return (JSON.parse(out.stdout) as { deadLetters: AxisDeadLetter[] }).deadLetters;
    };

    it('lists dead letters and leaves them; re-drives one by message id, then the rest by recipient; refuses bad usage', async () => {
      let fixed = false;
      const processed: string[] = [];
      await transport.consume(AGENCY_B, async (d): Promise<AxisDeliveryVerdict> => {
        if (!fixed) throw new Error('disk full');
        processed.push(d.headers.messageId);
        return 'ack';
      });
      const one = axisMessage(AGENCY_B, 'gói tin thứ nhất');
      const two = axisMessage(AGENCY_B, 'gói tin thứ hai');
      await transport.publish(one);
      await transport.publish(two);
      await eventually(async () => (await transport.listDeadLetters(10)).length === 2, 'both dead-lettered');

      const first = await listed();
      expect(first.map((l) => l.headers.messageId)).to.have.members([one.headers.messageId, two.headers.messageId]);
      const letterOne = first.find((l) => l.headers.messageId === one.headers.messageId);
      expect(letterOne).to.deep.include({ reason: 'delivery_limit', size: Buffer.byteLength('gói tin thứ nhất') });
      expect(letterOne?.headers).to.deep.include({ from: AGENCY_A, to: AGENCY_B, messageType: 'edoc', packageDigest: one.headers.packageDigest });
      expect(await listed()).to.deep.equal(first); // nothing taken
      const text = await cli(['axis', 'dead-letters']);
      expect(text.stdout).to.contain('dead letters: 2').and.contain(one.headers.messageId).and.contain(`${AGENCY_A} → ${AGENCY_B}`);

      // Usage: exactly one selector; and the in-process axis has no queue a CLI can reach.
      expect((await cli(['axis', 'redrive'])).code).to.equal(3);
      expect((await cli(['axis', 'redrive', '--all', '--to', AGENCY_B])).code).to.equal(3);
      const inProcess = await cli(['axis', 'dead-letters'], null);
      expect(inProcess.code).to.equal(3);
      expect(inProcess.stderr).to.contain('AXIS_URL');
      const unreachable = await cli(['axis', 'dead-letters'], 'amqp://guest:guest@127.0.0.1:1');
      expect([unreachable.code, unreachable.stderr.includes('Không kết nối được trục liên thông')]).to.deep.equal([4, true]);

      fixed = true;
      const byId = await cli(['axis', 'redrive', '--message-id', one.headers.messageId, '--json']);
      expect(byId.code, byId.stderr).to.equal(0);
      expect((JSON.parse(byId.stdout) as { redriven: AxisDeadLetter[] }).redriven.map((l) => l.headers.messageId)).to.deep.equal([one.headers.messageId]);
      await eventually(() => processed.length === 1, 'the re-driven package processed');
      expect(processed).to.deep.equal([one.headers.messageId]);
      expect((await listed()).map((l) => l.headers.messageId)).to.deep.equal([two.headers.messageId]);

      const byRecipient = await cli(['axis', 'redrive', '--to', AGENCY_B]);
      expect(byRecipient.code, byRecipient.stderr).to.equal(0);
      expect(byRecipient.stdout).to.contain('re-driven: 1');
      await eventually(() => processed.length === 2, 'the second package processed');
      expect(processed).to.deep.equal([one.headers.messageId, two.headers.messageId]);
      expect(await listed()).to.deep.equal([]);
    });
  });
}
