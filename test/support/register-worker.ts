// A separate OS process registering documents into a shared PostgreSQL database:
//   node --import tsx test/support/register-worker.ts <databaseUrl> <organId> <total> <workers>
import { openDatabase } from '../../src/db/connection.ts';
import { KnexUnitOfWork } from '../../src/db/knex-unit-of-work.ts';
import { RegistryService } from '../../src/services/registry-service.ts';
import { BatchingRegistrationWriter } from '../../src/db/batching-registration-writer.ts';
import { actorFor } from './network.ts';
import { registerConcurrently } from './registrants.ts';

const [url, organId, total, workers] = process.argv.slice(2) as [string, string, string, string];
const clock = { now: () => new Date() };
const database = await openDatabase({ url, dataDir: '', poolMax: Number(workers) });
try {
  const registry = new RegistryService(new KnexUnitOfWork(database.knex, clock), clock, new BatchingRegistrationWriter(database.knex));
  const failures = await registerConcurrently(registry, await actorFor(database, 'van_thu', organId), organId, Number(total), Number(workers));
  process.stdout.write(JSON.stringify({ failures }));
} finally {
  await database.close();
}
