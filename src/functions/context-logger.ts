import type { InvocationContext } from '@azure/functions';
import type { Logger } from '../domain/ports';

/** The Logger port over the invocation's own log, so every line lands in Application Insights with the invocation id. */
export function contextLogger(context: InvocationContext): Logger {
  const line = (message: string, properties?: Record<string, unknown>) =>
    properties && Object.keys(properties).length > 0 ? `${message} ${JSON.stringify(properties)}` : message;
  return {
    info: (message, properties) => context.log(line(message, properties)),
    warn: (message, properties) => context.warn(line(message, properties)),
    error: (message, properties) => context.error(line(message, properties)),
  };
}
