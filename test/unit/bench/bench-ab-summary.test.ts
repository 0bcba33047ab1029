// `npm run bench:ab`: a change is called faster or slower only when every pair of alternating runs moved
// that way; the figures come from each run's closing JSON line.
import { expect } from 'chai';
import { parseExchangeRun, summarisePairs, type ExchangeRun } from '../../../scripts/bench-ab-summary.ts';

const run = (docsPerSecond: number, nodes = 30, p99Ms = 150): ExchangeRun => ({
  docsPerSecond, p99Ms, cpuMsPerDocument: { nodes, postgres: 10, rabbitmq: 3 }, contextSwitchesPerDocument: { nodes: 118, postgres: 50, rabbitmq: 36 },
});

describe('bench:ab summary', () => {
  const faster = [{ base: run(40), current: run(44, 27) }, { base: run(50), current: run(52.5, 28) }, { base: run(45), current: run(45.9, 29) }, { base: run(40), current: run(41, 29) }, { base: run(50), current: run(51, 29) }];

  it('compares pair by pair and calls a change faster only when every pair of five agrees', () => {
    const summary = summarisePairs(faster);
    expect(summary.changePercent).to.deep.equal([10, 5, 2, 2.5, 2]);
    expect(summary.meanChangePercent).to.equal(4.3);
    expect(summary.cpuChangePercent).to.deep.equal([-7, -4.7, -2.3, -2.3, -2.3]);
    expect(summary.verdict).to.equal('faster');
    expect(summary.base.meanDocsPerSecond).to.equal(45);
    expect(summary.current.docsPerSecond).to.deep.equal([44, 52.5, 45.9, 41, 51]);
    expect(summary.current.meanCpuMsPerDocument).to.equal(41.4);
    expect(summary.base.meanNodeContextSwitches).to.equal(118);
    expect(summary.p99ChangePercent).to.deep.equal([0, 0, 0, 0, 0]);
    expect(summary.p99Verdict).to.equal('drift');
  });

  it('compares p99 at half rate pair by pair, with its own verdict', () => {
    // 7 Dec, 186cb80 against a02826b at 20/s: p99 higher in four pairs of five — not a verdict.
    const p99 = (base: number, current: number) => ({ base: run(50, 30, base), current: run(50, 30, current) });
    const seen = summarisePairs([p99(180.2, 189.7), p99(402.9, 215.7), p99(192, 210.1), p99(121.8, 137.7), p99(119.6, 455.8)]);
    expect(seen.p99ChangePercent).to.deep.equal([5.3, -46.5, 9.4, 13.1, 281.1]);
    expect(seen.p99Verdict).to.equal('drift');
    expect(summarisePairs([p99(100, 120), p99(100, 101), p99(150, 160), p99(90, 95), p99(200, 300)]).p99Verdict).to.equal('higher');
  });

  it('calls drift pairs that disagree, whatever their mean, and fewer than five pairs even when they agree', () => {
    // The current side's mean is higher, carried by one pair: the machine, not the change.
    const oneCarries = [...faster.slice(0, 4), { base: run(50), current: run(49) }];
    expect(summarisePairs(oneCarries).meanChangePercent).to.be.greaterThan(3);
    expect(summarisePairs(oneCarries).verdict).to.equal('drift');
    // Identical code, two pairs (7 Dec): −7 % and −9.5 %. Agreement of four pairs is 12.5 % chance.
    expect(summarisePairs([{ base: run(46), current: run(42.8) }, { base: run(50.6), current: run(45.8) }]).verdict).to.equal('drift');
    expect(summarisePairs(faster.slice(0, 4)).verdict).to.equal('drift');
    const slower = faster.map((p) => ({ base: p.current, current: p.base }));
    expect(summarisePairs(slower).verdict).to.equal('slower');
  });

  it('reads the closing JSON line of a run and refuses a run without one or with failed documents', () => {
    const line = JSON.stringify({ bench: 'exchange', documents: 800, ...run(47.3), failed: 0 });
    expect(parseExchangeRun(`warm-up …\n${line}\n`).docsPerSecond).to.equal(47.3);
    expect(() => parseExchangeRun('bench node 000.00.00.G22: saturation failed\n')).to.throw(/printed no/);
    expect(() => parseExchangeRun(JSON.stringify({ bench: 'exchange', docsPerSecond: 3 }))).to.throw(/lacks/);
    expect(() => parseExchangeRun(JSON.stringify({ bench: 'exchange', ...run(47.3), failed: 2 }))).to.throw(/2 documents failed/);
  });

  it('refuses to summarise no pairs', () => {
    expect(() => summarisePairs([])).to.throw(/no pair/);
  });
});
