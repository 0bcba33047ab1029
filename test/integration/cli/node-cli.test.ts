import { spawnSync } from 'node:child_process';
import { expect } from 'chai';

const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['bin/edoc-node.js', ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000 });

describe('edoc-node CLI (node commands)', () => {
  it('--help lists the node commands', () => {
    const out = cli(['--help']);
    expect(out.status).to.equal(0);
    for (const c of ['start', 'migrate', 'seed-demo', 'audit verify']) expect(out.stdout).to.contain(`edoc-node ${c}`);
  });

  it('refuses to start on invalid configuration, naming every bad key, with a non-zero exit', () => {
    const out = cli(['start'], { PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    expect(out.status).to.equal(2);
    expect(out.stderr).to.contain('PORT').and.contain('database.url').and.contain('log.level');
  });

  it('refuses demo seeding in production', () => {
    const out = cli(['seed-demo'], { NODE_ENV: 'production', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    expect(out.status).to.equal(2);
    expect(out.stderr).to.contain('disabled');
  });
});
