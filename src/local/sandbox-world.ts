/**
 * Keeps a sandbox's world in a JSON file beside the local storage (docs/design.md §8): Meta and ACS
 * do not forget businesses, WABAs, numbers or channels when this service restarts, so neither may
 * their sandboxes, or the first reconcile after `npm start` would mark every connected registration
 * PhoneNumberDeleted or Disconnected. Written after every request that may change the world (all
 * but GET and HEAD), synchronously and through a rename, so a killed process leaves the last
 * complete world behind, and nothing is left to write when the host stops.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

export interface PersistentWorld {
  /** Saves the world now if it changed since the last save. */
  save(): void;
  /** A sandbox route handler that saves after every request that may have changed the world. */
  wrap(
    handle: (req: IncomingMessage, res: ServerResponse, subPath: string) => Promise<void>,
  ): (req: IncomingMessage, res: ServerResponse, subPath: string) => Promise<void>;
}

export interface PersistentWorldOptions<TWorld> {
  file: string;
  schema: z.ZodType<TWorld>;
  read: () => TWorld;
  restore: (world: TWorld) => void;
  log: (line: string) => void;
}

/**
 * Restores the world from `file` when one is there (a file that does not parse is set aside, and
 * the sandbox starts from its seed), then returns the saver. `restored` says which happened.
 */
export function persistWorld<TWorld>(options: PersistentWorldOptions<TWorld>): PersistentWorld & { restored: boolean } {
  const { file, log } = options;
  let restored = false;
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let lastSaved = text;
  if (text !== undefined) {
    let parsed: z.ZodSafeParseResult<TWorld> | undefined;
    try {
      parsed = options.schema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) {
      options.restore(parsed.data);
      restored = true;
      log(`world restored from ${file}`);
    } else {
      const aside = `${file}.unreadable-${Date.now()}`;
      renameSync(file, aside);
      lastSaved = undefined;
      log(`${file} is not a world this sandbox wrote; moved it to ${aside} and started from the seed`);
    }
  }

  const save = (): void => {
    const next = JSON.stringify(options.read(), null, 1);
    if (next === lastSaved) return;
    mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, next, 'utf8');
    renameSync(temporary, file);
    lastSaved = next;
  };

  const wrap: PersistentWorld['wrap'] = (handle) => async (req, res, subPath) => {
    try {
      await handle(req, res, subPath);
    } finally {
      const method = (req.method ?? 'GET').toUpperCase();
      if (method !== 'GET' && method !== 'HEAD') {
        try {
          save();
        } catch (error) {
          log(`could not save the world to ${file}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  };

  return { save, wrap, restored };
}
