// Factory of an InProcessAxisTransport with temp-dir chunk store and payload sink, for the axis tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AxisProblem } from '../../../../src/axis/delivery-assembly.ts';
import { FileChunkStore } from '../../../../src/axis/file-chunk-store.ts';
import { InProcessAxisTransport } from '../../../../src/axis/in-process-axis-transport.ts';
import { TempFilePayloadSink } from '../../../../src/axis/temp-file-payload-sink.ts';
import { type TransportSettings, type TransportUnderTest } from './transport-behaviour.ts';

export async function inProcessTransport(settings: TransportSettings): Promise<TransportUnderTest> {
  const root = await mkdtemp(join(tmpdir(), 'edoc-axis-'));
  const problems: AxisProblem[] = [];
  const payloadDir = join(root, 'payloads');
  const transport = new InProcessAxisTransport({
    ...settings,
    chunkStore: new FileChunkStore(join(root, 'chunks')),
    payloadSink: new TempFilePayloadSink(payloadDir),
    onProblem: (p) => problems.push(p),
  });
  await transport.start();
  return {
    transport, problems, payloadDir,
    close: async () => {
      await transport.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

