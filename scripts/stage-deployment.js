#!/usr/bin/env node
/**
 * Stages the Function App's deployment package in .deploy/ (azure.yaml: service `api`, `dist: .deploy`,
 * run by its prepackage hook after the build): the compiled app, host.json, package.json,
 * package-lock.json and the production dependencies only. azd zips a Node project folder as it is,
 * node_modules included, so without this the package carried every devDependency (Azurite,
 * TypeScript, SWC, Jest, ESLint: about four times the size), which slows every deployment and
 * every cold start that has to fetch and mount the package.
 *
 * Production packages are those the lockfile does not flag `dev` (exactly what
 * `npm ci --omit=dev` installs), copied from the node_modules that `npm ci` / azd's restore
 * already installed from the same lockfile: offline, and none of them has an install script
 * (test/infra/deployment-package.test.ts checks that), so a copy is what an install would produce.
 *
 * Usage: node scripts/stage-deployment.js [target folder, default .deploy]
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
/** Local host, sandboxes and the build step: never loaded by the Functions host. */
const LEFT_OUT_OF_DIST = new Set(['local', 'build-manifest.js', 'build-manifest.js.map', 'build-manifest.d.ts']);

/** Lockfile keys (node_modules/…) of every package a production install holds. */
function productionPackages(lock) {
  return Object.entries(lock.packages ?? {})
    .filter(([key, entry]) => key.startsWith('node_modules/') && !entry.dev && !entry.devOptional && !entry.extraneous && !entry.link)
    .map(([key, entry]) => ({ key, optional: Boolean(entry.optional) }));
}

/**
 * Copies a folder, hard-linking each file where the target is on the same file system: the
 * package holds thousands of small files, and a link costs no bytes and almost no time.
 */
function copyTree(source, target, skip = () => false) {
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (skip(from)) continue;
    if (entry.isDirectory()) copyTree(from, to, skip);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else {
      try {
        fs.linkSync(from, to);
      } catch {
        fs.copyFileSync(from, to);
      }
    }
  }
}

function directorySize(dir) {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    bytes += entry.isDirectory() ? directorySize(full) : entry.isFile() ? fs.statSync(full).size : 0;
  }
  return bytes;
}

function stage(target) {
  const entryPoint = path.join(ROOT, 'dist', 'src', 'index.js');
  if (!fs.existsSync(entryPoint)) throw new Error('dist/src/index.js is missing: run npm run build first');
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  if (lock.lockfileVersion < 2) throw new Error('package-lock.json must be lockfile version 2 or later (npm 7+)');

  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  const distSource = path.join(ROOT, 'dist', 'src');
  copyTree(distSource, path.join(target, 'dist', 'src'), (from) => path.dirname(from) === distSource && LEFT_OUT_OF_DIST.has(path.basename(from)));
  for (const file of ['host.json', 'package.json', 'package-lock.json']) fs.copyFileSync(path.join(ROOT, file), path.join(target, file));
  // The ops console's page, script and style sheet, served by the app from beside package.json.
  copyTree(path.join(ROOT, 'ops-console'), path.join(target, 'ops-console'));

  const packages = productionPackages(lock);
  for (const { key, optional } of packages) {
    const source = path.join(ROOT, key);
    if (!fs.existsSync(source)) {
      // An optional package for another platform is legitimately absent; any other is a broken install.
      if (optional) continue;
      throw new Error(`${key} is in package-lock.json but not installed: run npm ci first`);
    }
    // A package's own node_modules holds nested packages, which the lockfile lists (and flags) separately.
    copyTree(source, path.join(target, key), (from) => from === path.join(source, 'node_modules'));
  }
  return { packages: packages.length, bytes: directorySize(target) };
}

if (require.main === module) {
  const target = path.resolve(ROOT, process.argv[2] ?? '.deploy');
  const { packages, bytes } = stage(target);
  process.stdout.write(`Staged ${path.relative(ROOT, target) || target}: ${packages} production packages, ${(bytes / 1024 / 1024).toFixed(1)} MB\n`);
}

module.exports = { productionPackages, stage };
