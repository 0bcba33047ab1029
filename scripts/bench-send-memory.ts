// npm run bench:send-memory — the memory of both sides for one large document, on PostgreSQL and
// RabbitMQ. Sender: a node drafts a document with a 50 MB attachment (BENCH_FILE_MB), then issues and
// sends it while its RSS is sampled every 5 ms, until the relay has published the package (1 MB chunks).
// Receiver: then, in the same process, a second node (its own database) hosting the recipient starts,
// reassembles, parses, verifies and stores the package, until the incoming document is committed. Prints
// each side's RSS before, peak and rise, and one JSON line:
// {"bench":"send-memory","fileMb":…,"riseMb":…,"receiverRiseMb":…}. The file is a PDF whose bulk is random
// bytes (a scan: stored in the ZIP, not deflated), signed by the leader (PAdES) before the measure starts,
// so that the receiver verifies its signature (from the blob store); BENCH_RAW_FILE=1: random bytes, no PDF;
// BENCH_TEXT_FILE=1: a text file (a data table: it compresses, so the sender deflates it).
// Run with --expose-gc for a settled starting point (the npm script does).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexLib from 'knex';
import { createNodeApp } from '../src/app.ts';
import { loadConfig } from '../src/config/load.ts';
import { demoNetwork } from '../src/domain/demo-network.ts';
import { DEMO_PIN } from '../src/services/demo-keys.ts';
import { actorFor, cheapHasher } from '../test/support/network.ts';
import { samplePdf } from '../test/unit/pki/signatures/support/sample-pdf.ts';

const SENDER = '000.00.00.G22';
const RECIPIENT = '000.00.00.G10';
const fileMb = Number(process.env.BENCH_FILE_MB ?? 50);
const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const admin = knexLib({ client: 'pg', connection: adminUrl });
const run = randomBytes(3).toString('hex');
const database = `edoc_bench_send_${run}`;
const receiverDatabase = `edoc_bench_receive_${run}`;
const dataDir = mkdtempSync(join(tmpdir(), 'edoc-send-memory-'));
await admin.raw(`CREATE DATABASE ${database}`);
await admin.raw(`CREATE DATABASE ${receiverDatabase}`);
const base = loadConfig({ configDir: join(process.cwd(), 'config'), env: { LOG_LEVEL: 'error' } });
const prefix = `sendmem${randomBytes(2).toString('hex')}`;
const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
const nodeFor = (db: string, organId: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${db}`;
  return createNodeApp({
    ...base, dataDir: join(dataDir, organId), database: { ...base.database, url: url.toString() }, demo: { ...base.demo, password: 'bench-password-1' },
    attachments: { ...base.attachments, maxBytes: Math.max(base.attachments.maxBytes, fileMb * 1024 * 1024) },
    axis: { ...base.axis, url: process.env.AXIS_URL ?? 'amqp://guest:guest@127.0.0.1:5672', prefix },
    exchange: { ...base.exchange, hostedOrganIds: [organId] },
  }, { hasher: cheapHasher() });
};
const app = await nodeFor(database, SENDER);
let receiver: Awaited<ReturnType<typeof nodeFor>> | undefined;
try {
  await app.migrate();
  await app.seedDemo();
  await app.exchange.start();
  const specialist = await actorFor(app.database, 'chuyen_vien', SENDER);
  const clerk = await actorFor(app.database, 'van_thu', SENDER);
  const draft = await app.registry.draftOutgoing(specialist, SENDER, { typeName: 'Công văn', subject: 'Hồ sơ quét dung lượng lớn (bench)', priority: 0, recipients: [{ organId: RECIPIENT, organName: demoNetwork.find((a) => a.organId === RECIPIENT)?.name ?? RECIPIENT }] });
  const text = Boolean(process.env.BENCH_TEXT_FILE);
  const signedPdf = !process.env.BENCH_RAW_FILE && !text;
  const chunks = async function* (): AsyncIterable<Uint8Array> {
    if (text) {
      for (let i = 0; i < fileMb; i++) yield Buffer.from(Array.from({ length: 16_384 }, (_, row) => `${i};${row};${randomBytes(8).toString('hex')};Sở TT&TT;${(row * 7919) % 100_000}\n`).join('').slice(0, 1024 * 1024 - 64), 'latin1');
      return;
    }
    // Under the limit with the signature the leader adds (a few tens of KB).
    if (signedPdf) { yield samplePdf({ text: 'Ho so quet (bench)', padTo: fileMb * 1024 * 1024 - 256 * 1024, incompressible: true }); return; }
    for (let i = 0; i < fileMb; i++) yield randomBytes(1024 * 1024);
  };
  await app.attachments.upload(specialist, SENDER, draft.id, text ? { fileName: 'so-lieu.csv', mediaType: 'text/csv', role: 'main', content: chunks() } : { fileName: 'ho-so-quet.pdf', mediaType: 'application/pdf', role: 'main', content: chunks() });
  if (signedPdf) await app.signing.signPersonal(await actorFor(app.database, 'lanh_dao', SENDER), SENDER, draft.id, { pin: DEMO_PIN });
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = process.memoryUsage.rss();
  // The kernel's high-water mark too (VmHWM, reset here): the 5 ms sampler cannot see a peak inside synchronous code.
  resetHighWater();
  const highWaterBefore = highWater();
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 5);
  await app.registry.issueOutgoing(clerk, SENDER, draft.id);
  await app.exchange.sending.send(clerk, SENDER, draft.id);
  for (;;) {
    const row = await app.database.knex('axis_outbox').where({ document_id: draft.id, message_type: 'edoc' }).first() as { state: string } | undefined;
    if (row && row.state !== 'pending') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  clearInterval(sampler);
  const highWaterAfter = highWater();
  console.log(`sender RSS: ${mb(before)} MB before issuing, ${mb(peak)} MB at peak while building, signing and publishing a ${fileMb} MB file`);
  console.log(`sender high-water RSS (kernel): ${mb(highWaterBefore)} MB before issuing, ${mb(highWaterAfter)} MB after publishing`);
  await app.exchange.stop();

  // The receiver: its node starts after the package waits in its queue.
  receiver = await nodeFor(receiverDatabase, RECIPIENT);
  await receiver.migrate();
  await receiver.seedDemo();
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const receiverBefore = process.memoryUsage.rss();
  let receiverPeak = receiverBefore;
  const receiverSampler = setInterval(() => { receiverPeak = Math.max(receiverPeak, process.memoryUsage.rss()); }, 5);
  await receiver.exchange.start();
  for (;;) {
    const row = await receiver.database.knex('documents').where({ agency_organ_id: RECIPIENT, direction: 'incoming' }).first() as { id: string } | undefined;
    if (row) break;
    const refused = await receiver.database.knex('exchange_quarantine').first() as { reason_code: string; reason: string } | undefined;
    if (refused) throw new Error(`the receiver quarantined the package: ${refused.reason_code} ${refused.reason}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  clearInterval(receiverSampler);
  const received = await receiver.database.knex('exchange_received').where({ agency_organ_id: RECIPIENT }).first() as { report: unknown; attachment_reports: unknown } | undefined;
  const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
  const report = json<{ indication?: string } | undefined>(received?.report);
  if (report?.indication !== 'TOTAL_PASSED') throw new Error(`the receiver did not verify the package: ${JSON.stringify(report ?? null).slice(0, 300)}`);
  const pdfReports = json<{ indication: string }[]>(received?.attachment_reports ?? '[]');
  if (signedPdf && pdfReports.map((r) => r.indication).join() !== 'TOTAL_PASSED') throw new Error(`the receiver did not verify the PDF signature: ${JSON.stringify(pdfReports).slice(0, 300)}`);
  console.log(`receiver RSS: ${mb(receiverBefore)} MB before, ${mb(receiverPeak)} MB at peak while reassembling, verifying${signedPdf ? ' (envelope and PDF signature)' : ''} and storing it`);
  console.log(JSON.stringify({ bench: 'send-memory', fileMb, signedPdf, rssBeforeMb: mb(before), peakMb: mb(peak), riseMb: mb(peak - before), highWaterRiseMb: mb(Math.max(0, highWaterAfter - before)), receiverRiseMb: mb(receiverPeak - receiverBefore) }));
} finally {
  await app.exchange.stop();
  await app.close();
  if (receiver) { await receiver.exchange.stop(); await receiver.close(); }
  await admin.raw(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.raw(`DROP DATABASE IF EXISTS ${receiverDatabase} WITH (FORCE)`);
  await admin.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}

/** Linux: resets the process's peak RSS (VmHWM) to its current RSS (proc(5), clear_refs value 5). */
function resetHighWater(): void {
  try { writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux: the high-water mark is the process's */ }
}

/** The process's peak RSS since the last reset, in bytes (VmHWM; getrusage's maxRSS elsewhere). */
function highWater(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS * 1024;
}
