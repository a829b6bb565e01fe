/**
 * The layering of src/ (docs/design.md §1), checked by `npm run lint`:
 * functions → domain ← adapters, and only the composition root knows concrete adapters.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'The domain holds the rules: it imports no adapter, function, composition root or local host.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/(adapters|functions|local)/|^src/app\\.ts$|^src/index\\.ts$' },
    },
    {
      name: 'domain-uses-only-pure-packages',
      comment: 'No Azure SDK, HTTP client or other I/O package in the domain (ports are its only way out); zod and libphonenumber-js compute only.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
        pathNot: '(^|/)node_modules/(zod|libphonenumber-js)/',
      },
    },
    {
      name: 'local-host-stays-local',
      comment: 'src/local (local host, sandboxes) is for development: only its own files and tests import it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/local/' },
      to: { path: '^src/local/' },
    },
    {
      name: 'domain-is-layered',
      comment: 'Inside the domain a file imports only what is below it: no cycle at all, not even through type-only imports.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/domain/', circular: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      comment: 'Type-only cycles are allowed: they vanish at run time.',
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^dist/' },
  },
};
