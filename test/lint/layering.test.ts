import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The layer rules of `npm run lint` (.dependency-cruiser.cjs) applied to a small tree written for
 * the test, so it shows each forbidden import failing without touching src/.
 */
const ROOT = path.resolve(__dirname, '..', '..');

function cruise(files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'layering-'));
  try {
    cpSync(path.join(ROOT, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true }, include: ['src'] }));
    // Packages resolve through a link to the project's own node_modules.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    const result = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'), 'src', '--config', '.dependency-cruiser.cjs'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = {
  'src/domain/rules.ts': "import { z } from 'zod';\nexport const id = z.string();\n",
  'src/adapters/store.ts': "import { id } from '../domain/rules';\nexport const store = id;\n",
  'src/local/host.ts': 'export const host = 1;\n',
  'src/local/main.ts': "import { host } from './host';\nexport const main = host;\n",
  'src/functions/get.ts': "import { id } from '../domain/rules';\nexport const get = id;\n",
};

describe('layer rules (npm run lint)', () => {
  it('pass for a tree that keeps them', () => {
    const result = cruise(base);
    expect(result.output).toContain('no dependency violations');
    expect(result.status).toBe(0);
  });

  it('fail on each forbidden import, naming the rule and the file', () => {
    const result = cruise({
      ...base,
      'src/domain/imports-adapter.ts': "import { store } from '../adapters/store';\nexport const bad = store;\n",
      'src/domain/imports-function.ts': "import { get } from '../functions/get';\nexport const bad = get;\n",
      'src/domain/imports-sdk.ts': "import { app } from '@azure/functions';\nexport const bad = app;\n",
      'src/functions/imports-local.ts': "import { host } from '../local/host';\nexport const bad = host;\n",
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('error domain-is-pure: src/domain/imports-adapter.ts → src/adapters/store.ts');
    expect(result.output).toContain('error domain-is-pure: src/domain/imports-function.ts → src/functions/get.ts');
    expect(result.output).toMatch(/error domain-uses-only-pure-packages: src\/domain\/imports-sdk\.ts → \S*node_modules\/@azure\/functions\//);
    expect(result.output).toContain('error local-host-stays-local: src/functions/imports-local.ts → src/local/host.ts');
    expect(result.output).toContain('4 dependency violations');
  });
});
