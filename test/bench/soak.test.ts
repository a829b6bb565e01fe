/**
 * `npm run soak --quick` end to end: the built soak drives a local host while every kind of fault
 * happens once, audits, prints each figure and writes its results. No timing is asserted: the
 * figures are counts and the audit, and the test checks that the run met them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Figure } from '../../bench/soak/run';
import { ROOT, runBuiltScript, type ScriptRun } from '../support/built-script';

const SOAK = path.join(ROOT, 'dist', 'bench', 'soak', 'run.js');

interface SoakResults {
  mode: string;
  figures: Figure[];
  faults: Array<{ kind: string; healthyAfterMs: number | null; writeAfterMs: number | null }>;
  eventGrid: { delivered: number; duplicated: number; reordered: number; late: number };
}

describe('npm run soak -- --quick', () => {
  let results: string;
  let run: ScriptRun;
  let report: SoakResults;

  beforeAll(async () => {
    if (!existsSync(SOAK)) throw new Error(`${SOAK} is missing: run npm run build first (npm test does)`);
    results = mkdtempSync(path.join(tmpdir(), 'soak-results-'));
    run = await runBuiltScript(SOAK, ['--quick', `--results=${results}`]);
    report = JSON.parse(readFileSync(path.join(results, 'latest.json'), 'utf8')) as SoakResults;
  }, 600_000);

  afterAll(() => rmSync(results, { recursive: true, force: true }));

  it('meets every figure, says so in its last line, and exits 0', () => {
    const failed = report.figures.filter((figure) => !figure.met);
    expect({ failed, stderr: run.stderr.slice(-2000) }).toEqual({ failed: [], stderr: expect.any(String) });
    const lines = run.stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toBe(`${report.figures.length} of ${report.figures.length} figures met`);
    expect(run.code).toBe(0);
  });

  it('shows progress while it runs and prints each figure with PASS or FAIL', () => {
    expect(run.stdout).toMatch(/^\[soak\] \d+:\d\d requests \d+ events \d+ onboarded \d+ faults \d+/m);
    for (const figure of report.figures) expect(run.stdout).toContain(figure.name);
    expect(run.stdout.split('\n').filter((line) => /^(PASS|FAIL) {2}/.test(line))).toHaveLength(report.figures.length);
  });

  it('ran every kind of fault, storage restarted empty included, and recovered from each', () => {
    expect(report.mode).toBe('quick');
    expect(new Set(report.faults.map((fault) => fault.kind))).toEqual(
      new Set(['storage-restart', 'storage-empty', 'host-kill', 'meta-server-error', 'meta-rate-limit', 'meta-expired-token', 'meta-slow']),
    );
    expect(report.faults.filter((fault) => fault.healthyAfterMs === null || fault.writeAfterMs === null)).toEqual([]);
    expect(report.eventGrid.duplicated).toBeGreaterThan(0);
    expect(report.eventGrid.reordered).toBeGreaterThan(0);
    expect(report.eventGrid.late).toBeGreaterThan(0);
  });

  it('audited what it stored: the audit figures are there, and zero', () => {
    const audit = report.figures.filter((figure) => figure.name.startsWith('audit: ') && figure.target === '0');
    expect(audit.map((figure) => figure.name)).toEqual(
      expect.arrayContaining([
        'audit: stage or status disagreeing with Meta',
        'audit: history entries without exactly one event',
        'audit: events without their history entry',
        'audit: duplicated side effects at Meta',
        'audit: secrets or unmasked numbers in the service log',
      ]),
    );
    expect(audit.filter((figure) => figure.value !== 0)).toEqual([]);
  });
});
