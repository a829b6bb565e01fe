/**
 * What HTTP functions answer while the app cannot start because of its settings (docs/design.md §7):
 * health says 503 and names the settings, every other endpoint fails with the same message. The
 * functions stay registered, so the host keeps indexing them and Event Grid subscriptions can be
 * created while, say, Key Vault references are still resolving on a new app.
 */
import type { HttpResponseInit } from '@azure/functions';
import { problem } from './http/problem';

export const HEALTH_FUNCTION = 'health';

export function unconfiguredResponse(functionName: string, detail: string): HttpResponseInit {
  if (functionName === HEALTH_FUNCTION) {
    return {
      status: 503,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ status: 'unavailable', checks: { configuration: { status: 'unavailable', detail } } }),
    };
  }
  return problem('internal', `The service is not configured: ${detail}`, {
    suggestedAction: 'Ops: fix the named app settings (GET /api/health names them too); each instance reads them when it starts.',
  });
}

/** Why a non-HTTP function (Event Grid, timer) fails: thrown, so Event Grid redelivers later. */
export class UnconfiguredError extends Error {
  override readonly name = 'UnconfiguredError';
  constructor(detail: string) {
    super(`The service is not configured: ${detail}`);
  }
}
