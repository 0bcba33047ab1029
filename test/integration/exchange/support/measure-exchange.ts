// A measurement, not a test: end-to-end exchange with signatures between two nodes (RabbitMQ +
// PostgreSQL when AXIS_TEST_URL's broker is reachable via a fresh vhost; MEASURE_INPROCESS=1 for the
// in-process axis + PGlite). Run: node --import tsx test/integration/exchange/support/measure-exchange.ts
// Prints issue+send → 01 back at the sender, then accept → 05 back, for MEASURE_DOCS documents (default 100).
import { performance } from 'node:perf_hooks';
import { actorFor } from '../../../support/network.ts';
import { createTestVhost, testPrefix } from '../../axis/support/broker.ts';
import { devDirectory, eventually, startExchangeNetwork } from './exchange-network.ts';

const N = Number(process.env.MEASURE_DOCS ?? 100);
const SENDER = '000.00.00.G22';
const RECIPIENT = '000.00.00.H53';
const inProcess = process.env.MEASURE_INPROCESS === '1';

const vhost = inProcess ? undefined : await createTestVhost();
const net = await startExchangeNetwork(inProcess ? 'pglite' : 'postgres', { url: vhost?.url ?? null, prefix: testPrefix() }, [SENDER, RECIPIENT]);
try {
  const now = new Date();
  await net.node(SENDER).app.exchange.publishDirectory(devDirectory({ version: 1, validFrom: new Date(now.getTime() - 3600_000), validUntil: new Date(now.getTime() + 30 * 86400_000) }));
  for (const n of net.nodes) await eventually(async () => n.app.exchange.directoryHealth().status === 'ok', 'directory');
  const s = net.node(SENDER);
  const r = net.node(RECIPIENT);
  const specialist = await actorFor(s.db.database, 'chuyen_vien', SENDER);
  const clerk = await actorFor(s.db.database, 'van_thu', SENDER);
  const rClerk = await actorFor(r.db.database, 'van_thu', RECIPIENT);
  const drafts: string[] = [];
  for (let i = 0; i < N; i++) drafts.push((await s.app.registry.draftOutgoing(specialist, SENDER, { typeName: 'Quyết định', subject: `Đo ${i}`, priority: 0, recipients: [{ organId: RECIPIENT, organName: 'UBND tỉnh Tây Ninh' }] })).id);
  for (const id of drafts) await s.app.registry.issueOutgoing(clerk, SENDER, id);

  const statusCount = async (code: string) => Number((await s.db.database.knex('exchange_deliveries').where({ status: code }).count({ n: '*' }))[0]?.n ?? 0);
  const rssPeak = { mb: 0 };
  const sampler = setInterval(() => { rssPeak.mb = Math.max(rssPeak.mb, process.memoryUsage().rss / 1048576); }, 100);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 4 }, async (_, w) => { for (let i = w; i < N; i += 4) await s.app.exchange.sending.send(clerk, SENDER, drafts[i] as string); }));
  const tSent = performance.now();
  await eventually(async () => (await statusCount('01')) === N, 'all 01', 600_000);
  const t01 = performance.now();
  const received = await r.db.database.knex('documents').where({ direction: 'incoming', status: 'received' }).pluck('id') as string[];
  const t1 = performance.now();
  await Promise.all(Array.from({ length: 4 }, async (_, w) => { for (let i = w; i < received.length; i += 4) await r.app.exchange.clerk.accept(rClerk, RECIPIENT, received[i] as string); }));
  await eventually(async () => (await statusCount('05')) === N, 'all 05', 600_000);
  const t05 = performance.now();
  clearInterval(sampler);
  const result = {
    bench: 'exchange-services', transport: inProcess ? 'in-process+pglite' : 'rabbitmq+postgres', documents: N,
    sendPerSecond: Math.round((N / (tSent - t0)) * 1000), sendTo01PerSecond: Math.round((N / (t01 - t0)) * 1000),
    acceptTo05PerSecond: Math.round((N / (t05 - t1)) * 1000), peakRssMb: Math.round(rssPeak.mb), nodesInProcess: 2,
  };
  console.log(JSON.stringify(result));
} finally {
  await net.close();
  await vhost?.remove();
}
