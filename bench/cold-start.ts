/**
 * docs/design.md §10, cold start: loading the compiled entry point (dist/src/index.js, which checks the
 * required settings and registers every function with @azure/functions) in a fresh node process,
 * against a bare @azure/functions app that registers one HTTP function. Both run inside the
 * deployment package as azd ships it (scripts/stage-deployment.js: production dependencies only),
 * staged into a temporary folder, so the figure is the one Azure loads. Runs alternate, so drift
 * on the machine affects both alike.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableConnectionString } from '../src/local/azurite';
import type { BenchContext, BenchResult } from './lib/context';
import { metric } from './lib/report';
import { median, percentile } from './lib/stats';

export interface ColdStartOptions {
  runs: number;
  warmUps: number;
}

const BENCH = 'cold start';
const ROOT = path.resolve(__dirname, '..', '..');

const ENTRY = "require('./dist/src/index.js')";
const BARE = [
  "const { app } = require('@azure/functions');",
  "app.http('hello', { methods: ['GET'], authLevel: 'anonymous', handler: async () => ({ body: 'hello' }) });",
].join(' ');
const EMPTY = '';

/** Configuration the entry point needs to load (nothing is contacted while loading). */
const ENV = {
  PATH: process.env.PATH ?? '',
  REGISTRATION_PIN_SECRET: 'bench-pin-secret',
  REGISTRATION_STORAGE: tableConnectionString(1),
  META_ACCESS_TOKEN: 'bench-token',
};

/** Milliseconds from spawn to exit of `node -e <script>` in the folder `cwd`. */
function timeNode(script: string, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', script], { cwd, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', (error) => {
      clearTimeout(timeout);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timeout);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`node -e "${script.slice(0, 60)}…" exited with ${code}: ${stderr.slice(0, 500)}`));
      else resolve(ms);
    });
  });
}

/** The deployment package, staged as the prepackage hook does (azure.yaml). */
function stagePackage(): { dir: string; megabytes: number; remove: () => void } {
  const { stage } = require(path.join(ROOT, 'scripts', 'stage-deployment.js')) as { stage(target: string): { bytes: number } }; // eslint-disable-line @typescript-eslint/no-require-imports -- a plain Node script, not part of the TypeScript build
  const parent = mkdtempSync(path.join(tmpdir(), 'cold-start-'));
  const dir = path.join(parent, 'package');
  const { bytes } = stage(dir);
  return { dir, megabytes: bytes / 1024 / 1024, remove: () => rmSync(parent, { recursive: true, force: true }) };
}

export async function benchColdStart(options: ColdStartOptions, context: BenchContext): Promise<BenchResult> {
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'index.js'))) throw new Error('dist/src/index.js is missing: run npm run build');
  const pkg = stagePackage();
  try {
    context.log(
      `cold start: deployment package staged (${pkg.megabytes.toFixed(1)} MB); ${options.runs} alternating runs each of the entry point, a bare @azure/functions app and an empty node`,
    );
    for (let i = 0; i < options.warmUps; i += 1) {
      await timeNode(ENTRY, pkg.dir);
      await timeNode(BARE, pkg.dir);
    }
    const entry: number[] = [];
    const bare: number[] = [];
    const empty: number[] = [];
    for (let i = 0; i < options.runs; i += 1) {
      // Alternate which goes first, so neither always follows the other.
      if (i % 2 === 0) {
        entry.push(await timeNode(ENTRY, pkg.dir));
        bare.push(await timeNode(BARE, pkg.dir));
      } else {
        bare.push(await timeNode(BARE, pkg.dir));
        entry.push(await timeNode(ENTRY, pkg.dir));
      }
      empty.push(await timeNode(EMPTY, pkg.dir));
    }
    const floor = median(empty);
    return {
      metrics: [
        metric({
          benchmark: BENCH,
          name: 'load dist/src/index.js from the deployment package, median (baseline: bare @azure/functions app)',
          value: median(entry),
          unit: 'ms',
          baseline: median(bare),
          check: { on: 'ratio', op: '<=', limit: 1.5 },
        }),
        metric({
          benchmark: BENCH,
          name: 'same, minus empty-node start-up (baseline: bare minus empty)',
          value: median(entry) - floor,
          unit: 'ms',
          baseline: median(bare) - floor,
        }),
        metric({ benchmark: BENCH, name: 'empty node process, median', value: floor, unit: 'ms' }),
        metric({ benchmark: BENCH, name: 'deployment package size (files, uncompressed)', value: Math.round(pkg.megabytes * 10) / 10, unit: 'MB' }),
      ],
      sizes: { runs: options.runs, warmUps: options.warmUps },
      notes: [],
      details: {
        entryMs: { median: median(entry), p90: percentile(entry, 90), all: entry.map(Math.round) },
        bareMs: { median: median(bare), p90: percentile(bare, 90), all: bare.map(Math.round) },
        emptyNodeMs: { median: floor, all: empty.map(Math.round) },
      },
    };
  } finally {
    pkg.remove();
  }
}
