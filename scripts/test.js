#!/usr/bin/env node
// `npm test`: lint, type-check, then every mocha test (unit + integration against real PostgreSQL,
// RabbitMQ and PGlite). Ends with the plain line "N passed, N failed"; lint and type-check count as one
// check each. A skipped (pending) test counts as failed: a skipped test proves nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const run = (cmd, argv, env = {}) =>
  spawnSync(cmd, argv, { stdio: 'inherit', env: { ...process.env, ...env } }).status === 0;

let passed = 0;
let failed = 0;
const check = (name, ok) => {
  console.log(`${ok ? '✔' : '✘'} ${name}`);
  if (ok) passed += 1; else failed += 1;
};

if (!args.includes('--no-static')) {
  check('lint (eslint, import boundaries)', run('node_modules/.bin/eslint', ['.']));
  check('type-check (tsc --noEmit)', run('node_modules/.bin/tsc', ['--noEmit']));
}
const summary = join(mkdtempSync(join(tmpdir(), 'edoc-test-')), 'summary.json');
const specs = args.filter((a) => !a.startsWith('--'));
const mochaOk = run('node_modules/.bin/mocha', ['--reporter', './test/support/summary-reporter.cjs', ...(specs.length ? specs : ['test/**/*.test.ts'])], { EDOC_TEST_SUMMARY: summary });
if (existsSync(summary)) {
  const counts = JSON.parse(readFileSync(summary, 'utf8'));
  passed += counts.passed;
  failed += counts.failed + counts.pending;
  if (counts.pending) console.log(`${counts.pending} skipped test(s) counted as failed`);
} else {
  failed += 1;
  console.log('mocha did not report (crashed before the run ended)');
}
if (!mochaOk && failed === 0) failed += 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
