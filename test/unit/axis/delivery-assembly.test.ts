import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { DeliveryAssembler, type AxisProblem } from '../../../src/axis/delivery-assembly.ts';
import { FileChunkStore } from '../../../src/axis/file-chunk-store.ts';
import { TempFilePayloadSink } from '../../../src/axis/temp-file-payload-sink.ts';
import { fromAmqpHeaders, toAmqpHeaders, toWireMessages, type WireMessage } from '../../../src/axis/wire-message.ts';
import type { AxisDelivery, AxisPayload } from '../../../src/domain/axis-transport.ts';
import { isDomainError } from '../../../src/domain/errors.ts';
import { AGENCY_B, axisMessage } from './support/transport-behaviour.ts';
import { eventually } from './support/wait.ts';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A payload that streams in uneven pieces, as a file read would. */
function streamedPayload(bytes: Uint8Array, piece: number): AxisPayload {
  return {
    size: bytes.byteLength,
    async *chunks() {
      for (let i = 0; i < bytes.byteLength; i += piece) yield bytes.subarray(i, i + piece);
    },
    bytes: async () => bytes,
  };
}

async function wireMessages(bytes: Uint8Array, chunkSize: number, piece = 1000): Promise<WireMessage[]> {
  const m = axisMessage(AGENCY_B, bytes);
  const out: WireMessage[] = [];
  for await (const w of toWireMessages({ headers: m.headers, payload: streamedPayload(bytes, piece) }, chunkSize)) out.push(w);
  return out;
}

describe('wire messages and chunking', () => {
  it('sends a package no larger than a chunk whole, and a larger one as ceil(size/chunk) chunks', async () => {
    expect((await wireMessages(randomBytes(4096), 4096)).map((w) => w.chunk)).to.deep.equal([undefined]);
    const bytes = randomBytes(10_000);
    const chunks = await wireMessages(bytes, 4096, 777);
    expect(chunks.map((w) => [w.chunk!.index, w.chunk!.count, w.body.byteLength])).to.deep.equal([[0, 3, 4096], [1, 3, 4096], [2, 3, 1808]]);
    expect(chunks.every((w) => w.chunk!.chunkDigest === sha256(w.body) && w.chunk!.totalSize === 10_000)).to.equal(true);
    expect(Buffer.concat(chunks.map((w) => w.body)).equals(bytes)).to.equal(true);
  });

  it('splits and rejoins any package whatever the chunk and read sizes (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 5000 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 3000 }), async (bytes, chunk, piece) => {
      const wires = await wireMessages(bytes, chunk, piece);
      expect(wires.every((w) => w.body.byteLength <= chunk)).to.equal(true);
      expect(Buffer.concat(wires.map((w) => w.body)).equals(Buffer.from(bytes))).to.equal(true);
    }), { numRuns: 60 });
  });

  it('maps headers to the axis names and back', async () => {
    const [wire] = await wireMessages(randomBytes(10), 1024);
    const amqp = toAmqpHeaders(wire!);
    expect(amqp).to.include({ from: wire!.headers.from, to: AGENCY_B, messagetype: 'edoc', servicetype: 'eDoc' });
    expect(fromAmqpHeaders(wire!.headers.messageId, amqp)).to.deep.equal({ headers: wire!.headers, chunk: undefined });
    const bad = (() => { try { fromAmqpHeaders('id', { ...amqp, messagetype: 'fax' }); } catch (e) { return e; } })();
    expect(isDomainError(bad, 'axis.invalid_headers')).to.equal(true);
  });
});

describe('DeliveryAssembler: reassembly of large packages', () => {
  let root: string;
  let problems: AxisProblem[];
  let assembler: DeliveryAssembler;
  let store: FileChunkStore;
  let handled: Array<{ size: number; digest: string }>;
  const handler = async (d: AxisDelivery): Promise<'ack'> => {
    handled.push({ size: d.payload.size, digest: sha256(await d.payload.bytes()) });
    return 'ack';
  };
  const receive = (w: WireMessage, deliveryCount = 0) => assembler.receive({ message: w, redelivered: deliveryCount > 0, deliveryCount }, handler);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'edoc-axis-asm-'));
    problems = [];
    handled = [];
    store = new FileChunkStore(join(root, 'chunks'));
    assembler = new DeliveryAssembler({ chunkStore: store, payloadSink: new TempFilePayloadSink(join(root, 'out')), onProblem: (p) => problems.push(p) });
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('acks each chunk once stored, hands the whole package over on the last (in any order), then cleans up', async () => {
    const bytes = randomBytes(9000);
    const wires = await wireMessages(bytes, 2000);
    const order = [3, 0, 4, 1, 2];
    const verdicts = [];
    for (const i of order) verdicts.push(await receive(wires[i]!));
    expect(verdicts).to.deep.equal(['ack', 'ack', 'ack', 'ack', 'ack']);
    expect(handled).to.deep.equal([{ size: 9000, digest: sha256(bytes) }]);
    expect(await store.incomplete()).to.deep.equal([]);
    expect(await readdir(join(root, 'out'))).to.deep.equal([]);
  });

  it('accepts a duplicate chunk with the same bytes without handing the package over twice', async () => {
    const wires = await wireMessages(randomBytes(5000), 2000);
    await receive(wires[0]!);
    expect(await receive(wires[0]!, 1)).to.equal('ack');
    expect(handled).to.have.length(0);
    await receive(wires[1]!);
    await receive(wires[2]!);
    expect(handled).to.have.length(1);
  });

  it('dead-letters a corrupted chunk (bytes not matching its digest)', async () => {
    const wires = await wireMessages(randomBytes(5000), 2000);
    const corrupted = { ...wires[1]!, body: Buffer.from(wires[1]!.body).fill(7, 0, 10) };
    expect(await receive(corrupted)).to.equal('dead-letter');
    expect(isDomainError(problems[0]?.error, 'axis.chunk_invalid')).to.equal(true);
    expect(String((problems[0]!.error as Error).message)).to.match(/chunk 1 of message/);
  });

  it('dead-letters a chunk that arrives twice with different (but self-consistent) bytes', async () => {
    const wires = await wireMessages(randomBytes(5000), 2000);
    await receive(wires[0]!);
    const other = Buffer.from(randomBytes(2000));
    const forged: WireMessage = { ...wires[0]!, body: other, chunk: { ...wires[0]!.chunk!, chunkDigest: sha256(other) } };
    expect(await receive(forged)).to.equal('dead-letter');
    expect(String((problems[0]!.error as Error).message)).to.match(/arrived twice with different bytes/);
  });

  it('dead-letters a chunk whose manifest contradicts the earlier chunks, and impossible indexes', async () => {
    const wires = await wireMessages(randomBytes(5000), 2000);
    await receive(wires[0]!);
    const recounted: WireMessage = { ...wires[1]!, chunk: { ...wires[1]!.chunk!, count: 4 } };
    expect(await receive(recounted)).to.equal('dead-letter');
    const beyond: WireMessage = { ...wires[1]!, chunk: { ...wires[1]!.chunk!, index: 3 } };
    expect(await receive(beyond)).to.equal('dead-letter');
    expect(problems.map((p) => (p.error as Error).message)).to.satisfy((m: string[]) => m[0]!.includes('count differs') && m[1]!.includes('impossible'));
  });

  it('refuses a reassembled package whose total does not match the package digest', async () => {
    const bytes = randomBytes(5000);
    const wires = (await wireMessages(bytes, 2000)).map((w) => ({ ...w, headers: { ...w.headers, packageDigest: sha256(Buffer.from('other')) } }));
    const verdicts = [];
    for (const w of wires) verdicts.push(await receive(w));
    expect(verdicts).to.deep.equal(['ack', 'ack', 'dead-letter']);
    expect(handled).to.have.length(0);
    expect(isDomainError(problems[0]?.error, 'axis.digest_mismatch')).to.equal(true);
    expect(await store.incomplete()).to.deep.equal([]);
  });

  it('reports and drops a package whose missing chunk never comes', async () => {
    const wires = await wireMessages(randomBytes(7000), 2000);
    await receive(wires[0]!);
    await receive(wires[2]!);
    const waiting = await store.incomplete();
    expect(waiting.map((a) => [a.messageId, a.received, a.count])).to.deep.equal([[wires[0]!.headers.messageId, 2, 4]]);
    expect(await assembler.expireIncomplete(new Date(), 60_000)).to.deep.equal([]); // not old enough yet
    const expired = await assembler.expireIncomplete(new Date(Date.now() + 61_000), 60_000);
    expect(expired).to.have.length(1);
    expect(isDomainError(problems[0]?.error, 'axis.chunk_invalid')).to.equal(true);
    expect((problems[0]!.error as Error).message).to.include('2 of 4 chunks arrived');
    expect(await store.incomplete()).to.deep.equal([]);
    expect(handled).to.have.length(0);
  });

  it('sweeps incomplete packages in the background once started, until stopped', async () => {
    const wires = await wireMessages(randomBytes(7000), 2000);
    await receive(wires[1]!);
    const stop = assembler.startExpiry(50);
    try {
      await eventually(() => problems.length >= 1, 'the background sweep');
      await new Promise((resolve) => setTimeout(resolve, 150)); // later sweeps find nothing more to report
    } finally {
      stop();
    }
    expect(problems).to.have.length(1);
    expect((problems[0]!.error as Error).message).to.include('1 of 4 chunks arrived');
    expect(await store.incomplete()).to.deep.equal([]);
  });

  it('keeps whole-package messages out of the chunk store', async () => {
    const m = axisMessage(AGENCY_B, 'small', { messageId: randomUUID() });
    const [wire] = await wireMessages(Buffer.from('small'), 1024);
    expect(await receive({ ...wire!, headers: m.headers })).to.equal('ack');
    expect(handled).to.deep.equal([{ size: 5, digest: sha256(Buffer.from('small')) }]);
    expect(await readdir(root)).to.deep.equal([]);
  });
});
