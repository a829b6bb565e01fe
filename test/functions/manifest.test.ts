import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/adapters/config';
import { createFunctions } from '../../src/app';
import { MANIFEST_FILE, toManifest } from '../../src/functions/manifest';

const ROOT = path.resolve(__dirname, '..', '..');
const definitions = createFunctions(loadConfig({ REGISTRATION_PIN_SECRET: 'test' }));

describe('the function manifest the Azure entry point registers from', () => {
  it('lists every function of the app with its trigger, route, methods and auth level', () => {
    const manifest = toManifest(definitions);
    expect(manifest.map((entry) => entry.name)).toEqual(definitions.map((definition) => definition.name));
    expect(manifest).toContainEqual({ kind: 'http', name: 'createRegistration', methods: ['POST'], route: 'registrations', authLevel: 'function' });
    expect(manifest).toContainEqual({ kind: 'http', name: 'metaWebhook', methods: ['POST'], route: 'meta/webhook', authLevel: 'anonymous' });
    expect(manifest).toContainEqual({ kind: 'eventGrid', name: 'smsEvents' });
    expect(manifest).toContainEqual({ kind: 'eventGrid', name: 'accountEvents' });
    expect(manifest).toContainEqual({ kind: 'timer', name: 'reconcile' });
  });

  it('is what the build wrote next to the entry point', () => {
    const built = JSON.parse(readFileSync(path.join(ROOT, 'dist', 'src', MANIFEST_FILE), 'utf8'));
    expect(built).toEqual(toManifest(definitions));
  });
});
