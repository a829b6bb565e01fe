import type { Logger } from '../domain/ports';

/**
 * For work outside any invocation (background dispatch): warnings and errors go to stderr,
 * which the Functions host collects; routine lines are dropped.
 */
export const processLogger: Logger = {
  info: () => undefined,
  // eslint-disable-next-line no-console -- no invocation context exists for background work
  warn: (message, properties) => console.warn(message, properties ? JSON.stringify(properties) : ''),
  // eslint-disable-next-line no-console -- as above
  error: (message, properties) => console.error(message, properties ? JSON.stringify(properties) : ''),
};
