// npm run bench:ab -- <base commit> [<current commit>] — does a change move the exchange benchmark? Runs
// `npm run bench:exchange` on the base commit and on this working tree (or the current commit), alternating in pairs (base, current, then current, base, …:
// a steady drift of the machine weighs on both sides alike), and prints each run, then the pairs compared
// one by one (scripts/bench-ab-summary.ts). On this machine one run of each side proves nothing: its speed
// drifts by ±10–20 % within minutes.
// Both sides run from git worktrees of the same shape in the temporary directory. The current side is the
// working tree as it is, new files included (ignored ones not), committed aside through a temporary index;
// the repository's index, branch and files are left alone. No side runs from the repository's own
// directory: in an A/A run of one commit against itself, the side run from there came out slower in 6 of 7
// pairs (mean −8 %).
// BENCH_AB_PAIRS=<n> (default 5, the fewest that can give a verdict) pairs; every other BENCH_* variable
// goes to each run (BENCH_DOCUMENTS, …). The worktrees share this tree's node_modules when their
// package-lock.json is this tree's, else get their own `npm ci`; they are removed at the end, also after a
// failed run or Ctrl-C.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIN_PAIRS_FOR_VERDICT, parseExchangeRun, summarisePairs, type ExchangeRun, type RunPair } from './bench-ab-summary.ts';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

const baseRef = process.argv[2];
const currentRef = process.argv[3];
const pairs = Number(process.env.BENCH_AB_PAIRS ?? MIN_PAIRS_FOR_VERDICT);
if (!baseRef || !Number.isInteger(pairs) || pairs < 1) {
  console.error('usage: npm run bench:ab -- <base commit> [<current commit>, default the working tree] (BENCH_AB_PAIRS=<n>, default 5; other BENCH_* go to each run)');
  process.exit(2);
}
const baseSha = commitNamed(baseRef);
const scratch = mkdtempSync(join(tmpdir(), 'edoc-bench-ab-'));
const trees = { base: join(scratch, 'base'), current: join(scratch, 'current') };
let running: ReturnType<typeof spawn> | undefined;
let removed = false;
function removeWorktrees(): void {
  if (removed) return;
  removed = true;
  running?.kill('SIGTERM');
  for (const tree of Object.values(trees)) try { git('worktree', 'remove', '--force', tree); } catch { /* not made, or gone: pruned below */ }
  rmSync(scratch, { recursive: true, force: true });
  git('worktree', 'prune');
}
process.on('SIGINT', () => { removeWorktrees(); process.exit(130); });

/** A worktree of `sha` at `tree`, with node_modules: this tree's when the lock file is the same, else its own. */
function prepareTree(tree: string, sha: string): void {
  git('worktree', 'add', '--detach', tree, sha);
  if (lockUnchangedSince(sha)) symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
  else execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: tree, stdio: 'inherit' });
}

/** One `bench:exchange` run in `tree`: its output kept (shown only when it fails), its figures parsed. */
function runBench(tree: string, label: string): Promise<ExchangeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-exchange.ts'], { cwd: tree, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    running = child;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => {
      running = undefined;
      try {
        if (code !== 0) throw new Error(`exited with code ${code}`);
        resolve(parseExchangeRun(output));
      } catch (error) {
        console.error(output);
        reject(new Error(`${label}: ${(error as Error).message}`));
      }
    });
  });
}

function commitNamed(ref: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    console.error(`bench:ab: no commit named '${ref}' in ${root}`);
    process.exit(2);
  }
}

/** HEAD, or a commit (on no branch) of the working tree with its changes and new files, when it has any. */
function workingTreeCommit(): string {
  const env = { ...process.env, GIT_INDEX_FILE: join(scratch, 'index') };
  const inTemporaryIndex = (...args: string[]): string => execFileSync('git', args, { cwd: root, env, encoding: 'utf8' }).trim();
  inTemporaryIndex('read-tree', 'HEAD');
  inTemporaryIndex('add', '--all');
  const tree = inTemporaryIndex('write-tree');
  const head = git('rev-parse', 'HEAD');
  return tree === git('rev-parse', 'HEAD^{tree}') ? head : inTemporaryIndex('commit-tree', tree, '-p', head, '-m', 'bench:ab: the working tree');
}

/** `git diff --quiet` exits 1 when this tree's package-lock.json differs from the commit's. */
function lockUnchangedSince(sha: string): boolean {
  try { execFileSync('git', ['diff', '--quiet', sha, '--', 'package-lock.json'], { cwd: root, stdio: 'ignore' }); return true; } catch { return false; }
}

const line = (label: string, run: ExchangeRun): string =>
  `${label.padEnd(22)} ${run.docsPerSecond.toFixed(1).padStart(6)} documents/s, CPU per document ${(run.cpuMsPerDocument.nodes + run.cpuMsPerDocument.postgres + run.cpuMsPerDocument.rabbitmq).toFixed(1)} ms (nodes ${run.cpuMsPerDocument.nodes}), p99 at half rate ${run.p99Ms} ms`;

try {
  const currentSha = currentRef ? commitNamed(currentRef) : workingTreeCommit();
  const currentLabel = currentRef ? currentSha.slice(0, 7) : `${git('rev-parse', '--short', 'HEAD')}${currentSha === git('rev-parse', 'HEAD') ? '' : ' + uncommitted changes'}`;
  console.log(`bench:ab — base ${baseSha.slice(0, 7)} against ${currentLabel}, ${pairs} pairs of \`npm run bench:exchange\` (alternating)`);
  prepareTree(trees.base, baseSha);
  prepareTree(trees.current, currentSha);
  const results: RunPair[] = [];
  for (let i = 1; i <= pairs; i += 1) {
    const order = i % 2 === 1 ? (['base', 'current'] as const) : (['current', 'base'] as const);
    const pair: Partial<Record<'base' | 'current', ExchangeRun>> = {};
    for (const side of order) {
      const run = await runBench(trees[side], `pair ${i}, ${side}`);
      console.log(line(`pair ${i}, ${side}`, run));
      pair[side] = run;
    }
    results.push(pair as RunPair);
  }
  const summary = summarisePairs(results);
  console.log(`documents/s, base    : ${summary.base.docsPerSecond.join(', ')} (mean ${summary.base.meanDocsPerSecond}; CPU ${summary.base.meanCpuMsPerDocument} ms a document; p99 ${summary.base.meanP99Ms} ms)`);
  console.log(`documents/s, current : ${summary.current.docsPerSecond.join(', ')} (mean ${summary.current.meanDocsPerSecond}; CPU ${summary.current.meanCpuMsPerDocument} ms a document; p99 ${summary.current.meanP99Ms} ms)`);
  console.log(`change pair by pair  : ${summary.changePercent.map((c) => `${c > 0 ? '+' : ''}${c} %`).join(', ')} (CPU per document ${summary.cpuChangePercent.map((c) => `${c > 0 ? '+' : ''}${c} %`).join(', ')})`);
  console.log(`p99 pair by pair     : ${summary.p99ChangePercent.map((c) => `${c > 0 ? '+' : ''}${c} %`).join(', ')}${summary.p99Verdict === 'drift' ? '' : ` — ${summary.p99Verdict} in every pair`}`);
  console.log(summary.verdict === 'drift'
    ? `verdict: not shown — ${summary.pairs < MIN_PAIRS_FOR_VERDICT ? `fewer than ${MIN_PAIRS_FOR_VERDICT} pairs` : 'the pairs disagree'}: within this machine's drift`
    : `verdict: ${summary.verdict} in every pair (mean ${summary.meanChangePercent > 0 ? '+' : ''}${summary.meanChangePercent} %)`);
  console.log(JSON.stringify({ bench: 'ab', baseCommit: baseSha, currentTree: currentLabel, ...summary }));
} finally {
  removeWorktrees();
}
