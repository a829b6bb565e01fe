import type { Logger } from '../domain/ports';

/**
 * For work outside any invocation (background dispatch): warnings and errors go to stderr,
 * which the Functions host collects; routine lines are dropped.
 */
export const processLogger: Logger = {
  info: () => undefined,
  warn: (message, properties) => console.warn(message, properties ? JSON.stringify(properties) : ''),
  error: (message, properties) => console.error(message, properties ? JSON.stringify(properties) : ''),
};
