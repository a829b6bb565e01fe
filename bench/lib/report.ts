import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { round } from './stats';

/**
 * One row of the results table. `ratio` is value ÷ baseline when both exist; `target` says what
 * passes (`ratio >= 0.5`, `value <= 3`, …). A row of kind `info` is printed and kept but is not a
 * target: its `pass` is null and it is not counted in "N of M targets met" (an earlier baseline
 * kept for comparison shows the limit it had, marked as information).
 */
export interface Metric {
  kind: 'target' | 'info';
  benchmark: string;
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  baselineUnit: string | null;
  ratio: number | null;
  target: string;
  pass: boolean | null;
  note?: string;
}

type Check = { on: 'ratio' | 'value'; op: '<=' | '>='; limit: number } | null;

export function metric(input: {
  benchmark: string;
  name: string;
  value: number;
  unit: string;
  baseline?: number | null;
  baselineUnit?: string | null;
  check?: Check;
  /** Printed with its check for comparison, never counted as a target. */
  info?: boolean;
  note?: string;
}): Metric {
  const baseline = input.baseline ?? null;
  const ratio = baseline !== null && baseline !== 0 && Number.isFinite(input.value) ? input.value / baseline : null;
  const check = input.check ?? null;
  const info = input.info === true || check === null;
  let pass: boolean | null = null;
  let target = '—';
  if (check) {
    target = `${info ? 'info: was ' : ''}${check.on} ${check.op} ${check.limit}`;
    const subject = check.on === 'ratio' ? ratio : input.value;
    if (!info) pass = subject === null || !Number.isFinite(subject) ? false : check.op === '<=' ? subject <= check.limit : subject >= check.limit;
  }
  return {
    kind: info ? 'info' : 'target',
    benchmark: input.benchmark,
    name: input.name,
    value: round(input.value),
    unit: input.unit,
    baseline: baseline === null ? null : round(baseline),
    baselineUnit: input.baselineUnit ?? (baseline === null ? null : input.unit),
    ratio: ratio === null ? null : round(ratio),
    target,
    pass,
    ...(input.note ? { note: input.note } : {}),
  };
}

/** The targets among `metrics` and how many of them passed; info rows are not targets. */
export function countTargets(metrics: readonly Metric[]): { met: number; targets: number } {
  const targets = metrics.filter((m) => m.kind === 'target');
  return { met: targets.filter((m) => m.pass === true).length, targets: targets.length };
}

const show = (value: number | null, unit?: string | null): string => (value === null ? '—' : unit ? `${value} ${unit}` : String(value));

/** A plain-text table, one row per metric, columns padded to their widest cell. */
export function formatTable(metrics: readonly Metric[]): string {
  const header = ['benchmark', 'metric', 'value', 'unit', 'baseline', 'ratio', 'target', 'result'];
  const rows = metrics.map((m) => [
    m.benchmark,
    m.name,
    show(m.value),
    m.unit,
    show(m.baseline, m.baselineUnit),
    show(m.ratio),
    m.target,
    m.kind === 'info' ? 'info' : m.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === 2 || column === 5 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'default' | 'full';
  machine: { node: string; platform: string; cpus: number; cpuModel: string; totalMemoryMb: number };
  /** Sizes used, and why a design size was scaled down. */
  sizes: Record<string, unknown>;
  notes: string[];
  metrics: Metric[];
  /** Extra detail per benchmark (round-trip breakdowns, run tallies). */
  details: Record<string, unknown>;
}

/** Writes `bench/results/<timestamp>.json` and `bench/results/latest.json`; returns the first path. */
export function writeReport(report: RunReport, directory: string): string {
  mkdirSync(directory, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const file = path.join(directory, `${stamp}.json`);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(path.join(directory, 'latest.json'), text);
  return file;
}
