import type { FunctionDefinition } from './definitions';

/**
 * What the Functions host must know at start-up about each function — no handler, no schema —
 * so that the entry point can register every function without loading the app (cold start).
 * Generated from the same list `createFunctions` returns, at build time.
 */
export type ManifestEntry =
  | { kind: 'http'; name: string; methods: string[]; route: string; authLevel: 'anonymous' | 'function' | 'admin' }
  | { kind: 'eventGrid'; name: string }
  | { kind: 'timer'; name: string };

export const MANIFEST_FILE = 'functions.manifest.json';

export function toManifest(definitions: FunctionDefinition[]): ManifestEntry[] {
  return definitions.map((definition) => {
    switch (definition.kind) {
      case 'http':
        return { kind: 'http', name: definition.name, methods: definition.methods, route: definition.route, authLevel: definition.authLevel };
      case 'eventGrid':
        return { kind: 'eventGrid', name: definition.name };
      case 'timer':
        return { kind: 'timer', name: definition.name };
    }
  });
}
