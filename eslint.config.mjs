// ESLint 9 flat config.
// typescript-eslint's "recommended" set is used without type information on purpose: the
// type-checked rules run the TypeScript compiler inside ESLint, which doubles `npm run lint` on
// a 2-core CI machine while `npm run typecheck` already runs tsc.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Globals of a CommonJS module under Node (declared here to avoid depending on `globals`). */
const commonJsGlobals = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  __dirname: 'readonly',
  __filename: 'readonly',
  process: 'readonly',
  console: 'readonly',
};

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'coverage/', '.azurite/', '.azure/', 'bench/results/', 'infra/', '.deploy/', 'reports/', '.stryker-tmp/']),

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    // The ops console runs in the browser as a plain ES module.
    name: 'project/ops-console',
    files: ['ops-console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'fetch', 'URL', 'URLSearchParams', 'FormData', 'Node', 'sessionStorage'].map((name) => [name, 'readonly']),
      ),
    },
  },

  {
    name: 'project/all',
    rules: {
      // Leading underscore marks a parameter (or binding) that must exist but is not used,
      // e.g. `(_request, context) => ...` in a Functions handler.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },

  {
    // The service logs through InvocationContext / its logger port, never straight to stdout:
    // console output in Azure bypasses the function's invocation id and log levels.
    name: 'project/src-no-console',
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // The local host (development only) is a console program: it prints the function URLs,
    // the sandbox warning and so on.
    name: 'project/local-host-console',
    files: ['src/local/**/*.ts'],
    rules: { 'no-console': 'off' },
  },

  {
    // jest.config.js and test/support/summary-reporter.js are CommonJS files loaded by Jest.
    name: 'project/commonjs',
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: commonJsGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
