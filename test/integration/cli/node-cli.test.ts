import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('blobs sweep: a dry run lists an old unreferenced file, --apply removes it, a too-young cutoff is refused (PGlite)', function () {
    this.timeout(120_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'edoc-sweep-cli-'));
    try {
      const env = { DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'error' };
      expect(cli(['migrate'], env).status).to.equal(0);
      const bytes = Buffer.from('gói tin của một lần gửi bị hủy');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      // Written in the store's layout before 7 Dec 2026 (blobs/ab/cd/<sha256>), in a store without the mark
      // of the new one (`migrate` made no store): the command's start moves it to blobs/ab/.
      expect(existsSync(join(dataDir, 'blobs')), 'no store made by migrate').to.equal(false);
      const dir = join(dataDir, 'blobs', sha256.slice(0, 2), sha256.slice(2, 4));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, sha256), bytes);
      const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
      utimesSync(join(dir, sha256), twoDaysAgo, twoDaysAgo);

      const dry = cli(['blobs', 'sweep'], env);
      expect(dry.status, dry.stderr).to.equal(0);
      expect(dry.stdout).to.contain(sha256).and.contain('dry run');
      const path = join(dataDir, 'blobs', sha256.slice(0, 2), sha256);
      expect(existsSync(path), 'moved to the one-level layout').to.equal(true);
      expect(existsSync(dir), 'the emptied ab/cd/ removed').to.equal(false);
      const young = cli(['blobs', 'sweep', '--older-than-hours', '0.1'], env);
      expect(young.status).to.equal(3);
      expect(young.stderr).to.contain('at least 1 hour');
      const applied = cli(['blobs', 'sweep', '--apply', '--json'], env);
      expect(applied.status, applied.stderr).to.equal(0);
      expect(JSON.parse(applied.stdout)).to.include({ applied: true, removed: 1 });
      expect(existsSync(path)).to.equal(false);
      // blobs write-out (test/integration/db/package-files-write-out.test.ts has the files): nothing kept in a package here.
      const writeOut = cli(['blobs', 'write-out', '--json'], env);
      expect(writeOut.status, writeOut.stderr).to.equal(0);
      expect(JSON.parse(writeOut.stdout)).to.deep.equal({ written: 0, missing: [] });
      // A running node holds the embedded database: a clear refusal, not a stack trace.
      writeFileSync(join(dataDir, 'pglite.lock'), String(process.pid));
      for (const command of [['blobs', 'sweep'], ['blobs', 'write-out']]) {
        const locked = cli(command, env);
        expect(locked.status).to.equal(3);
        expect(locked.stderr).to.contain('Cơ sở dữ liệu').and.contain(`in use by process ${process.pid}`).and.not.contain('    at ');
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
