// `edoc-node start`, `migrate`, `seed-demo`, `audit verify`.
import { createNodeApp } from '../app.ts';
import { startNode } from '../main.ts';
import type { CliCommand } from './command.ts';
import { loadConfigOrReport } from './node-config.ts';

export const startCommand: CliCommand = {
  words: ['start'],
  summary: 'run the node: migrations, demo network (not in production), HTTP API and web UI',
  usage: 'start   (configuration: config/default.json + PORT, DATABASE_URL, AXIS_URL, DATA_DIR, …)',
  async run() {
    const config = loadConfigOrReport();
    if (!config) return 2;
    const node = await startNode(config);
    await new Promise<void>((resolve) => {
      const stop = () => { node.stop().then(resolve, resolve); };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    return 0;
  },
};

export const migrateCommand: CliCommand = {
  words: ['migrate'],
  summary: 'apply pending database migrations (PostgreSQL when DATABASE_URL is set, else embedded PGlite)',
  usage: 'migrate',
  async run() {
    const config = loadConfigOrReport();
    if (!config) return 2;
    const app = await createNodeApp(config);
    try {
      const applied = await app.migrate();
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date');
      return 0;
    } finally { await app.close(); }
  },
};

export const seedDemoCommand: CliCommand = {
  words: ['seed-demo'],
  summary: 'create the demo network of agencies and users (refused when NODE_ENV=production)',
  usage: 'seed-demo   (password: DEMO_PASSWORD, else generated and printed once)',
  async run() {
    const config = loadConfigOrReport();
    if (!config) return 2;
    if (!config.demo.seed) { console.error('demo seeding is disabled (NODE_ENV=production or demo.seed=false)'); return 2; }
    const app = await createNodeApp(config);
    try {
      await app.migrate();
      const result = await app.seedDemo();
      if (result.created.length === 0) console.log('the demo network already exists');
      else console.log(`created: ${result.created.join(', ')}${result.generatedPassword ? `\npassword of every demo user (shown once): ${result.generatedPassword}` : ''}`);
      return 0;
    } finally { await app.close(); }
  },
};

export const auditVerifyCommand: CliCommand = {
  words: ['audit', 'verify'],
  summary: 'check the audit hash chains; exit 1 and name the first broken link if an entry was altered or removed',
  usage: 'audit verify [--json]',
  async run(args) {
    const config = loadConfigOrReport();
    if (!config) return 2;
    const app = await createNodeApp(config);
    try {
      const result = await app.audit.verify();
      if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
      else if (result.broken) console.log(`Nhật ký kiểm tra bị phá vỡ — audit chain broken: ${result.broken.message} (chain ${result.broken.chain}, entry ${result.broken.seq}, ${result.broken.reason})`);
      else console.log(`Nhật ký kiểm tra toàn vẹn — audit log intact: ${result.chains.length} chains, ${result.chains.reduce((n, c) => n + c.entries, 0)} entries`);
      return result.broken ? 1 : 0;
    } finally { await app.close(); }
  },
};
