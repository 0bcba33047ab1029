// The figures of `npm run bench:ab` (scripts/bench-ab.ts): runs of `npm run bench:exchange` on two trees,
// alternating, reduced to what a change did. This machine drifts by ±10–20 % within minutes (docs/exchange.md,
// Figures), so one run of each side says nothing about a change of a few per cent; the pairs are compared
// one by one (each pair ran minutes apart, on about the same machine), and a change is called a change only
// when every pair of at least five moved the same way: a sign test, as two-sided as the question (identical
// code moves all of n pairs one way with odds 2 × 2^-n: 50 % for two pairs, 6 % for five). Two pairs of the
// same commit against itself came out −7 % and −9.5 % on 7 Dec.

/** The fewest pairs whose agreement is a verdict (odds of chance 6.25 %). */
export const MIN_PAIRS_FOR_VERDICT = 5;

/** What one `bench:exchange` run reports (its closing JSON line), as far as a comparison needs it. */
export interface ExchangeRun {
  readonly docsPerSecond: number;
  readonly p99Ms: number;
  /** CPU per document: the node processes, PostgreSQL and RabbitMQ. */
  readonly cpuMsPerDocument: { readonly nodes: number; readonly postgres: number; readonly rabbitmq: number };
  readonly contextSwitchesPerDocument?: { readonly nodes: number; readonly postgres: number; readonly rabbitmq: number };
}

export interface RunPair {
  readonly base: ExchangeRun;
  readonly current: ExchangeRun;
}

export interface SideFigures {
  readonly docsPerSecond: number[];
  readonly meanDocsPerSecond: number;
  readonly meanCpuMsPerDocument: number;
  readonly meanP99Ms: number;
  readonly meanNodeContextSwitches: number | null;
}

export interface AbSummary {
  readonly pairs: number;
  readonly base: SideFigures;
  readonly current: SideFigures;
  /** Per pair: (current − base) / base of documents per second, in per cent. */
  readonly changePercent: number[];
  readonly meanChangePercent: number;
  /** Per pair: the change of CPU per document (nodes + PostgreSQL + RabbitMQ), in per cent. */
  readonly cpuChangePercent: number[];
  /** Per pair: the change of p99 at half rate, in per cent, and the sign test's verdict on it. */
  readonly p99ChangePercent: number[];
  readonly p99Verdict: 'higher' | 'lower' | 'drift';
  /** `faster`/`slower`: every pair (at least MIN_PAIRS_FOR_VERDICT) moved that way; else `drift`. */
  readonly verdict: 'faster' | 'slower' | 'drift';
}

/** The closing JSON line of a `bench:exchange` run's output, or an error naming what is missing. */
export function parseExchangeRun(output: string): ExchangeRun {
  const line = output.split('\n').reverse().find((l) => l.startsWith('{"bench":"exchange"'));
  if (!line) throw new Error('the run printed no {"bench":"exchange",…} line (did it fail? its output is above)');
  const run = JSON.parse(line) as Partial<ExchangeRun> & { failed?: number };
  if (typeof run.docsPerSecond !== 'number' || typeof run.p99Ms !== 'number' || !run.cpuMsPerDocument) throw new Error(`the run's JSON line lacks docsPerSecond, p99Ms or cpuMsPerDocument: ${line}`);
  if (run.failed) throw new Error(`${run.failed} documents failed in the run: its figures are not comparable`);
  return run as ExchangeRun;
}

const mean = (values: readonly number[]): number => values.reduce((n, v) => n + v, 0) / values.length;
const round1 = (value: number): number => Math.round(value * 10) / 10;
const cpuOf = (run: ExchangeRun): number => run.cpuMsPerDocument.nodes + run.cpuMsPerDocument.postgres + run.cpuMsPerDocument.rabbitmq;
const percent = (from: number, to: number): number => round1(((to - from) / from) * 100);

function sideOf(runs: readonly ExchangeRun[]): SideFigures {
  const switches = runs.map((r) => r.contextSwitchesPerDocument?.nodes).filter((n): n is number => typeof n === 'number');
  return {
    docsPerSecond: runs.map((r) => r.docsPerSecond),
    meanDocsPerSecond: round1(mean(runs.map((r) => r.docsPerSecond))),
    meanCpuMsPerDocument: round1(mean(runs.map(cpuOf))),
    meanP99Ms: round1(mean(runs.map((r) => r.p99Ms))),
    meanNodeContextSwitches: switches.length === runs.length ? round1(mean(switches)) : null,
  };
}

export function summarisePairs(pairs: readonly RunPair[]): AbSummary {
  if (pairs.length === 0) throw new Error('no pair of runs to compare');
  const changePercent = pairs.map((p) => percent(p.base.docsPerSecond, p.current.docsPerSecond));
  const cpuChangePercent = pairs.map((p) => percent(cpuOf(p.base), cpuOf(p.current)));
  const p99ChangePercent = pairs.map((p) => percent(p.base.p99Ms, p.current.p99Ms));
  const verdict = signTest(changePercent, 'faster', 'slower');
  return {
    pairs: pairs.length,
    base: sideOf(pairs.map((p) => p.base)),
    current: sideOf(pairs.map((p) => p.current)),
    changePercent,
    meanChangePercent: round1(mean(changePercent)),
    cpuChangePercent,
    verdict,
    p99ChangePercent,
    p99Verdict: signTest(p99ChangePercent, 'higher', 'lower'),
  };
}

/** `up` or `down` when every change of at least MIN_PAIRS_FOR_VERDICT pairs went that way, else drift. */
function signTest<U extends string, D extends string>(changes: readonly number[], up: U, down: D): U | D | 'drift' {
  if (changes.length < MIN_PAIRS_FOR_VERDICT) return 'drift';
  return changes.every((c) => c > 0) ? up : changes.every((c) => c < 0) ? down : 'drift';
}
