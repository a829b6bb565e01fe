/**
 * The package `azd deploy` uploads: azd zips the service's `dist` folder as it is (node_modules
 * included, since remoteBuild is off), so that folder must hold the app and its production
 * dependencies and nothing else. This builds it the way the prepackage hook does, into a folder
 * outside the repository (so Node cannot fall back on the repository's node_modules), and checks it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

interface StageModule {
  stage(target: string): { packages: number; bytes: number };
}
interface LockEntry {
  dev?: boolean;
  hasInstallScript?: boolean;
}

const ROOT = path.resolve(__dirname, '..', '..');
const { stage } = jest.requireActual<StageModule>(path.join(ROOT, 'scripts', 'stage-deployment.js'));
const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/** Lockfile-style keys (node_modules/a, node_modules/a/node_modules/b) of every package folder under dir. */
function installedPackages(dir: string, prefix = 'node_modules'): string[] {
  const modules = path.join(dir, prefix);
  if (!existsSync(modules)) return [];
  return readdirSync(modules, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .flatMap((entry) =>
      entry.name.startsWith('@')
        ? readdirSync(path.join(modules, entry.name), { withFileTypes: true }).filter((scoped) => scoped.isDirectory()).map((scoped) => `${prefix}/${entry.name}/${scoped.name}`)
        : [`${prefix}/${entry.name}`],
    )
    .flatMap((key) => [key, ...installedPackages(dir, `${key}/node_modules`)]);
}

describe('azure.yaml packages the Function App from a staged folder', () => {
  const service = () => (parse(readFileSync(path.join(ROOT, 'azure.yaml'), 'utf8')) as { services: Record<string, Record<string, unknown>> }).services.api!;

  it('ships the service `dist` folder, which the prepackage hook stages with scripts/stage-deployment.js', () => {
    const api = service();
    expect({ dist: api.dist, remoteBuild: api.remoteBuild }).toEqual({ dist: '.deploy', remoteBuild: false });
    const hook = (api.hooks as Record<string, { posix: { run: string }; windows: { run: string } }> | undefined)?.prepackage;
    for (const run of [hook?.posix.run, hook?.windows.run]) expect(run).toContain('node scripts/stage-deployment.js .deploy');
  });
});

describe('the staged deployment package', () => {
  let target: string;
  let staged: { packages: number; bytes: number };
  let installed: string[];
  beforeAll(() => {
    target = path.join(mkdtempSync(path.join(tmpdir(), 'deploy-package-')), 'package');
    staged = stage(target);
    installed = installedPackages(target);
  });
  afterAll(() => rmSync(path.dirname(target), { recursive: true, force: true }));

  it('holds no devDependency, direct or indirect', () => {
    expect(Object.keys(packageJson.devDependencies).filter((name) => existsSync(path.join(target, 'node_modules', name)))).toEqual([]);
    expect(installed.filter((key) => lock.packages[key]?.dev === true)).toEqual([]);
    expect(installed.filter((key) => !(key in lock.packages))).toEqual([]);
  });

  it('holds every production package of the lockfile', () => {
    const production = Object.entries(lock.packages).filter(([key, entry]) => key.startsWith('node_modules/') && !entry.dev).map(([key]) => key);
    expect(staged.packages).toBe(production.length);
    expect(production.filter((key) => !installed.includes(key))).toEqual([]);
  });

  it('copies rather than installs safely: no production package runs an install script', () => {
    expect(Object.entries(lock.packages).filter(([key, entry]) => key.startsWith('node_modules/') && !entry.dev && entry.hasInstallScript)).toEqual([]);
  });

  it('holds the compiled app with its manifest, host.json and package.json, not the local host', () => {
    expect(existsSync(path.join(target, packageJson.main))).toBe(true);
    expect(existsSync(path.join(target, 'dist', 'src', 'functions.manifest.json'))).toBe(true);
    expect(existsSync(path.join(target, 'host.json'))).toBe(true);
    // The ops console's files are read from beside package.json at run time.
    for (const file of ['index.html', 'app.js', 'styles.css']) expect(existsSync(path.join(target, 'ops-console', file))).toBe(true);
    expect(existsSync(path.join(target, 'dist', 'src', 'local'))).toBe(false);
    expect(existsSync(path.join(target, 'dist', 'test'))).toBe(false);
  });

  it('loads every module of the app with nothing but its own node_modules', () => {
    const script = [
      "const fs = require('node:fs'); const path = require('node:path');",
      "const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.js') ? [path.join(dir, e.name)] : []);",
      "const files = walk(path.resolve('dist/src')); for (const file of files) require(file);",
      "process.stdout.write(String(files.length));",
    ].join('\n');
    const run = spawnSync(process.execPath, ['-e', script], { cwd: target, env: { PATH: process.env.PATH ?? '', NODE_PATH: '' }, encoding: 'utf8' });
    expect(run.stderr.split('\n').filter((line) => /Cannot find module|Error/.test(line))).toEqual([]);
    expect(run.status).toBe(0);
    expect(Number(run.stdout)).toBeGreaterThan(50);
  });
});
