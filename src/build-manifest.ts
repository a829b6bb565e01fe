/** Build step (`npm run build`): writes the function manifest next to the compiled entry point. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from './adapters/config';
import { createFunctions } from './app';
import { MANIFEST_FILE, toManifest } from './functions/manifest';

// Definitions only: nothing is connected, so any valid configuration will do.
const definitions = createFunctions(loadConfig({ REGISTRATION_PIN_SECRET: 'manifest-only' }));
writeFileSync(path.join(__dirname, MANIFEST_FILE), `${JSON.stringify(toManifest(definitions), null, 2)}\n`);
