/**
 * `npm run bench`: the performance targets of docs/design.md §10, each as a ratio against a baseline
 * measured in the same run on the same machine. Never part of `npm test`.
 *
 *   node dist/bench/run.js            the design's sizes (100,000 stored registrations); loading them is most
 *                                     of the run: about 11 minutes of Azurite CPU (500,000 rows), more on a busy machine
 *   node dist/bench/run.js --quick    small sizes, to check that it works (~1 minute)
 *   node dist/bench/run.js --full     the design's sizes with more requests and events
 *   --only=events,reconcile,api,cold-start   a subset
 *   --results=<directory>             where the JSON goes (default bench/results)
 *
 * Prints one row per metric and writes bench/results/<timestamp>.json and bench/results/latest.json.
 */
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { benchApi, type ApiOptions } from './api';
import { benchColdStart, type ColdStartOptions } from './cold-start';
import { benchEvents, type EventsOptions } from './events';
import { runAllCleanups, type BenchContext, type BenchResult } from './lib/context';
import { countTargets, formatTable, metric, writeReport, type RunReport } from './lib/report';
import { benchReconcile, type ReconcileBenchOptions } from './reconcile';

type Mode = RunReport['mode'];
const BENCHMARKS = ['cold-start', 'events', 'reconcile', 'api'] as const;
type BenchmarkName = (typeof BENCHMARKS)[number];

interface Plan {
  events: EventsOptions;
  reconcile: ReconcileBenchOptions;
  api: ApiOptions;
  coldStart: ColdStartOptions;
  watchdogMinutes: number;
}

const TARGET_API_REGISTRATIONS = 100_000;

function planFor(mode: Mode): Plan {
  const reconcileCommon = { latencyMs: 50, concurrency: 16, changeEvery: 10, counted: { registrations: 2000, wabas: 200 } };
  switch (mode) {
    case 'quick':
      return {
        events: { registrations: 100, accountEvents: 300, smsEvents: 300, baselineOperations: 300, countedEvents: 50, senders: 4, batchSize: 10 },
        reconcile: {
          ...reconcileCommon,
          counted: { registrations: 100, wabas: 10 },
          sizes: [
            { registrations: 200, wabas: 20 },
            { registrations: 1000, wabas: 100 },
          ],
        },
        api: { registrations: 1000, requests: 300, listRequests: 100, concurrency: 32, sizeNote: 'quick run: 1,000 registrations stored instead of 100,000' },
        coldStart: { runs: 5, warmUps: 1 },
        watchdogMinutes: 10,
      };
    case 'default':
      return {
        events: { registrations: 1000, accountEvents: 1500, smsEvents: 3000, baselineOperations: 2000, countedEvents: 200, senders: 4, batchSize: 10 },
        reconcile: {
          ...reconcileCommon,
          sizes: [
            { registrations: 2000, wabas: 200 },
            { registrations: 10_000, wabas: 1000 },
          ],
        },
        api: { registrations: TARGET_API_REGISTRATIONS, requests: 2000, listRequests: 500, concurrency: 32 },
        coldStart: { runs: 15, warmUps: 2 },
        watchdogMinutes: 25,
      };
    case 'full':
      return {
        events: { registrations: 2000, accountEvents: 10_000, smsEvents: 10_000, baselineOperations: 5000, countedEvents: 500, senders: 4, batchSize: 10 },
        reconcile: {
          ...reconcileCommon,
          sizes: [
            { registrations: 2000, wabas: 200 },
            { registrations: 10_000, wabas: 1000 },
          ],
        },
        api: { registrations: TARGET_API_REGISTRATIONS, requests: 5000, listRequests: 2000, concurrency: 32 },
        coldStart: { runs: 15, warmUps: 2 },
        watchdogMinutes: 150,
      };
  }
}

function parseArgs(argv: string[]): { mode: Mode; only: BenchmarkName[]; results: string } {
  let mode: Mode = 'default';
  let only: BenchmarkName[] = [...BENCHMARKS];
  let results = path.resolve(__dirname, '..', '..', 'bench', 'results');
  for (const arg of argv) {
    if (arg === '--quick') mode = 'quick';
    else if (arg.startsWith('--results=')) results = path.resolve(arg.slice('--results='.length));
    else if (arg === '--full') mode = 'full';
    else if (arg.startsWith('--only=')) {
      const names = arg
        .slice('--only='.length)
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      const unknown = names.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
      if (unknown.length > 0) throw new Error(`Unknown benchmark(s): ${unknown.join(', ')} (known: ${BENCHMARKS.join(', ')})`);
      only = names as BenchmarkName[];
    } else if (arg === '--help' || arg === '-h') {
      console.log('Usage: node dist/bench/run.js [--quick | --full] [--only=cold-start,events,reconcile,api] [--results=<directory>]');
      process.exit(0);
    } else {
      throw new Error(`Unknown argument ${arg} (try --help)`);
    }
  }
  return { mode, only, results };
}

async function main(): Promise<number> {
  const { mode, only, results } = parseArgs(process.argv.slice(2));
  const plan = planFor(mode);
  const started = Date.now();
  const context: BenchContext = {
    log: (line) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`),
  };
  const watchdog = setTimeout(() => {
    context.log(`watchdog: still running after ${plan.watchdogMinutes} minutes; stopping everything`);
    void runAllCleanups().finally(() => process.exit(2));
  }, plan.watchdogMinutes * 60_000);
  watchdog.unref();
  const interrupt = (signal: NodeJS.Signals): void => {
    context.log(`${signal}: stopping everything the benchmark started`);
    void runAllCleanups().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const report: RunReport = {
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    mode,
    machine: {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      totalMemoryMb: Math.round(totalmem() / 1024 / 1024),
    },
    sizes: {},
    notes: [],
    metrics: [],
    details: {},
  };
  context.log(`mode ${mode}; benchmarks: ${only.join(', ')}`);
  if (only.includes('api') && plan.api.sizeNote) context.log(`size: ${plan.api.sizeNote}`);

  const runners: Record<BenchmarkName, () => Promise<BenchResult>> = {
    'cold-start': () => benchColdStart(plan.coldStart, context),
    events: () => benchEvents(plan.events, context),
    reconcile: () => benchReconcile(plan.reconcile, context),
    api: () => benchApi(plan.api, context),
  };
  let crashed = 0;
  for (const name of BENCHMARKS) {
    if (!only.includes(name)) continue;
    const benchStarted = Date.now();
    try {
      const result = await runners[name]();
      report.metrics.push(...result.metrics);
      report.sizes[name] = result.sizes;
      report.notes.push(...result.notes);
      report.details[name] = { ...result.details, durationSeconds: Math.round((Date.now() - benchStarted) / 1000) };
    } catch (error) {
      crashed += 1;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      context.log(`${name} failed: ${message}`);
      report.metrics.push(
        metric({
          benchmark: name,
          name: 'benchmark did not complete',
          value: Number.NaN,
          unit: '',
          check: { on: 'value', op: '>=', limit: 0 },
          note: message.split('\n')[0] ?? '',
        }),
      );
      report.details[name] = { error: message };
    }
    context.log(`${name}: done in ${Math.round((Date.now() - benchStarted) / 1000)} s`);
  }
  clearTimeout(watchdog);
  report.finishedAt = new Date().toISOString();

  const file = writeReport(report, results);
  const { met, targets } = countTargets(report.metrics);
  console.log('');
  console.log(
    `Benchmarks (${mode}) on ${report.machine.cpus} x ${report.machine.cpuModel}, Node ${report.machine.node}; ${Math.round((Date.now() - started) / 1000)} s`,
  );
  console.log('');
  console.log(formatTable(report.metrics));
  console.log('');
  for (const [name, sizes] of Object.entries(report.sizes)) console.log(`sizes ${name}: ${JSON.stringify(sizes)}`);
  for (const note of report.notes) console.log(`note: ${note}`);
  console.log('');
  console.log(`${met} of ${targets} targets met (info rows not counted). Results: ${path.relative(process.cwd(), file)} (and latest.json beside it)`);
  return crashed > 0 ? 1 : 0;
}

// Exit explicitly: keep-alive sockets of the HTTP clients must not hold the process open.
main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    await runAllCleanups();
    process.exit(1);
  },
);
