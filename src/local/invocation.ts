/**
 * Invocation contexts and the Executing/Executed lines that `func start` prints around each run,
 * so that local logs read like the Functions host's.
 */
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { InvocationContext, type LogLevel } from '@azure/functions';

export type LogLine = (line: string) => void;

export type TriggerType = 'httpTrigger' | 'eventGridTrigger' | 'timerTrigger';

export interface InvocationOptions {
  functionName: string;
  triggerType: TriggerType;
  log: LogLine;
  invocationId?: string;
}

/** Below the Functions host's default `Information` level; `func start` does not show them either. */
const QUIET_LEVELS: ReadonlySet<LogLevel> = new Set<LogLevel>(['trace', 'debug', 'none']);

const stamp = (): string => `[${new Date().toISOString()}]`;

export function createInvocationContext(options: InvocationOptions): InvocationContext {
  const { functionName, log } = options;
  return new InvocationContext({
    functionName,
    invocationId: options.invocationId ?? randomUUID(),
    options: { trigger: { type: options.triggerType, name: triggerBindingName(options.triggerType) } },
    logHandler: (level, ...args) => {
      if (QUIET_LEVELS.has(level)) return;
      const marker = level === 'warning' ? ' warn:' : level === 'error' || level === 'critical' ? ` ${level}:` : '';
      log(`${stamp()} ${functionName}:${marker} ${format(...args)}`);
    },
  });
}

function triggerBindingName(type: TriggerType): string {
  switch (type) {
    case 'httpTrigger':
      return 'request';
    case 'eventGridTrigger':
      return 'event';
    case 'timerTrigger':
      return 'timer';
  }
}

/**
 * Runs one invocation with the host's bracketing log lines. The handler's error is logged and
 * rethrown: the caller decides what it means (500 for HTTP and Event Grid, a failed timer run).
 */
export async function invoke<T>(options: InvocationOptions & { reason: string }, run: (context: InvocationContext) => Promise<T>): Promise<T> {
  const context = createInvocationContext(options);
  const { log, functionName } = options;
  const id = context.invocationId;
  const started = performance.now();
  log(`${stamp()} Executing 'Functions.${functionName}' (Reason='${options.reason}', Id=${id})`);
  try {
    const result = await run(context);
    log(`${stamp()} Executed 'Functions.${functionName}' (Succeeded, Id=${id}, Duration=${Math.round(performance.now() - started)}ms)`);
    return result;
  } catch (error) {
    log(`${stamp()} Executed 'Functions.${functionName}' (Failed, Id=${id}, Duration=${Math.round(performance.now() - started)}ms)`);
    log(`${stamp()} ${functionName}: error: ${describeError(error)}`);
    throw error;
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return format(error);
}
