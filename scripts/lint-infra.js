#!/usr/bin/env node
/**
 * `npm run lint:infra`: the Bicep compiler reads the infrastructure. `bicep build` compiles the two
 * entry templates (infra/main.bicep, run by `azd up`; infra/event-subscriptions.bicep, run by the
 * postdeploy hook) and `bicep lint` checks every .bicep file with the rules infra/bicepconfig.json
 * turns on. Any warning or error fails it: the CLI itself exits 0 on warnings, so its diagnostics
 * are read from its output.
 *
 * The CLI comes from scripts/install-bicep.sh (.tools/bicep/bicep) or BICEP_PATH. Without it the
 * script says it skipped and exits 0, unless BICEP_REQUIRED=true (CI), where a missing CLI fails.
 */
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const INFRA_DIR = path.join(ROOT, 'infra');
const ENTRY_TEMPLATES = ['main.bicep', 'event-subscriptions.bicep'];
const DIAGNOSTIC = /\) : (Warning|Error) ([A-Za-z0-9-]+): /;

/** The Bicep CLI to use, or null when there is none. */
function bicepPath() {
  const candidate = process.env.BICEP_PATH || path.join(ROOT, '.tools', 'bicep', 'bicep');
  return existsSync(candidate) ? candidate : null;
}

const bicepRequired = () => process.env.BICEP_REQUIRED === 'true';

function bicepFiles(dir = INFRA_DIR) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return bicepFiles(full);
      return entry.name.endsWith('.bicep') ? [full] : [];
    })
    .sort();
}

/** Runs the CLI; answers its exit status and everything it printed. */
function run(bicep, args) {
  try {
    const output = execFileSync(bicep, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    return { status: 0, output };
  } catch (error) {
    return { status: error.status ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` };
  }
}

/** The compiled ARM template of an entry template (`bicep build --stdout`). */
function compile(bicep, entry) {
  const file = path.join(INFRA_DIR, entry);
  const output = execFileSync(bicep, ['build', file, '--stdout'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(output);
}

/** Every diagnostic the compiler and the linter report, as `file(line,col) : Level code: message` lines. */
function infraDiagnostics(bicep) {
  const lines = [];
  const collect = (label, result) => {
    const found = result.output.split('\n').filter((line) => DIAGNOSTIC.test(line));
    lines.push(...found.map((line) => line.replace(`${ROOT}${path.sep}`, '')));
    if (result.status !== 0 && found.length === 0) lines.push(`${label}: bicep exited ${result.status}: ${result.output.trim()}`);
  };
  for (const entry of ENTRY_TEMPLATES) collect(`build ${entry}`, run(bicep, ['build', path.join(INFRA_DIR, entry), '--stdout']));
  for (const file of bicepFiles()) collect(`lint ${path.relative(ROOT, file)}`, run(bicep, ['lint', file]));
  // A module's diagnostic shows again for every file that uses it.
  return [...new Set(lines)];
}

function main() {
  const bicep = bicepPath();
  if (!bicep) {
    const message = 'lint:infra: no Bicep CLI (run scripts/install-bicep.sh, or set BICEP_PATH)';
    if (bicepRequired()) {
      console.error(`${message}, and BICEP_REQUIRED=true.`);
      process.exit(1);
    }
    console.log(`SKIPPED ${message}.`);
    return;
  }
  const version = execFileSync(bicep, ['--version'], { encoding: 'utf8' }).trim();
  const diagnostics = infraDiagnostics(bicep);
  if (diagnostics.length > 0) {
    console.error(`lint:infra: ${version} reports ${diagnostics.length} problem(s):\n${diagnostics.join('\n')}`);
    process.exit(1);
  }
  console.log(`lint:infra: ${version}: ${ENTRY_TEMPLATES.join(' and ')} build, ${bicepFiles().length} files lint, no warning or error.`);
}

module.exports = { bicepPath, bicepRequired, bicepFiles, compile, infraDiagnostics, ENTRY_TEMPLATES, INFRA_DIR };

if (require.main === module) main();
