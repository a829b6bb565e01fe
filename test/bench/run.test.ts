import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Metric, RunReport } from '../../bench/lib/report';
import { ROOT, runBuiltScript, type ScriptRun } from '../support/built-script';

const RUNNER = path.join(ROOT, 'dist', 'bench', 'run.js');

/** The built benchmark runner in quick mode, its results in a directory of its own (never bench/results). */
const runQuick = (only: string, results: string): Promise<ScriptRun> => runBuiltScript(RUNNER, ['--quick', `--only=${only}`, `--results=${results}`]);

describe('npm run bench --quick (events and reconcile)', () => {
  let results: string;
  let run: ScriptRun;
  let report: RunReport;
  const row = (benchmark: string, pattern: RegExp): Metric[] => report.metrics.filter((m) => m.benchmark === benchmark && pattern.test(m.name));

  beforeAll(async () => {
    if (!existsSync(RUNNER)) throw new Error(`${RUNNER} is missing: run npm run build first (npm test does)`);
    results = mkdtempSync(path.join(tmpdir(), 'bench-results-'));
    run = await runQuick('events,reconcile', results);
    report = JSON.parse(readFileSync(path.join(results, 'latest.json'), 'utf8')) as RunReport;
  }, 600_000);

  afterAll(() => rmSync(results, { recursive: true, force: true }));

  it('completes both benchmarks', () => {
    expect(run.stderr).not.toMatch(/ failed: /);
    expect(report.metrics.filter((m) => m.name === 'benchmark did not complete')).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('compares each kind of event with one read + one transaction of its own operations, at most 10 of them', () => {
    const [account] = row('events', /^account events .*: throughput vs read \+ its own transaction$/);
    const [sms] = row('events', /^SMS events .*: throughput vs read \+ its own transaction$/);
    expect(account).toMatchObject({ kind: 'target', target: 'ratio >= 0.6', baselineUnit: expect.stringMatching(/^read\+tx\(\d+ ops\)\/s$/) });
    expect(sms).toMatchObject({ kind: 'target', target: 'ratio >= 0.6', baselineUnit: 'read/s' });
    const [largest] = row('events', /^operations in the largest transaction of an account event$/);
    expect(largest).toMatchObject({ kind: 'target', target: 'value <= 10' });
    expect(largest?.value).toBeGreaterThan(0);
    expect(account?.baselineUnit).toBe(`read+tx(${largest?.value} ops)/s`);
    expect(row('events', /^storage round trips per (account|SMS) event$/).map((m) => m.target)).toEqual(['value <= 3', 'value <= 3']);
  });

  it('keeps the earlier read + write baseline as info rows', () => {
    const earlier = row('events', /throughput vs read \+ single-entity write \(earlier\)$/);
    expect(earlier).toHaveLength(2);
    for (const m of earlier) expect(m).toMatchObject({ kind: 'info', pass: null, target: 'info: was ratio >= 0.5' });
  });

  it('adds the raw time of the run’s own transactions to the reconcile ideal, and times a run with nothing changed', () => {
    const sizes = report.details.reconcile as { runs: Array<{ writes: { transactions: number; rawMs: number }; unchanged: { changes: number } }> };
    expect(sizes.runs).toHaveLength(2);
    for (const size of sizes.runs) {
      // A tenth of the numbers changed in Meta: each is a transaction the replay repeats.
      expect(size.writes.transactions).toBeGreaterThan(0);
      expect(size.unchanged.changes).toBe(0);
    }
    const withWrites = row('reconcile', /: wall time vs ideal \(calls x latency \/ concurrency \+ raw write time\)$/);
    const unchanged = row('reconcile', /, nothing changed in Meta: wall time vs calls x latency \/ concurrency$/);
    const earlier = row('reconcile', /: wall time vs calls x latency \/ concurrency \(earlier ideal\)$/);
    // The targets apply at the design size, the last run; the first prints the same figures for information.
    expect(withWrites.map((m) => [m.kind, m.target])).toEqual([
      ['info', '—'],
      ['target', 'ratio <= 1.5'],
    ]);
    expect(unchanged.map((m) => [m.kind, m.target])).toEqual([
      ['info', '—'],
      ['target', 'ratio <= 1.3'],
    ]);
    expect(earlier.map((m) => [m.kind, m.pass])).toEqual([
      ['info', null],
      ['info', null],
    ]);
    expect(row('reconcile', /: raw Azurite time of the run's \d+ transactions, \d+ in flight$/)).toHaveLength(2);
    expect(row('reconcile', /^storage reads per unchanged WABA /).map((m) => [m.kind, m.target])).toEqual([['target', 'value <= 1']]);
  });

  it('counts only target rows in "N of M targets met"', () => {
    const targets = report.metrics.filter((m) => m.kind === 'target');
    const met = targets.filter((m) => m.pass === true).length;
    expect(report.metrics.some((m) => m.kind === 'info' && m.target.startsWith('info: was'))).toBe(true);
    expect(run.stdout).toContain(`${met} of ${targets.length} targets met`);
  });
});
