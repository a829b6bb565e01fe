import { endpoint } from './http/endpoint';
import { jsonResponse } from './http/registration-resource';
import { healthResource } from './http/schemas';
import type { Services } from './services';

type Level = 'ok' | 'degraded' | 'unavailable';
const worst = (levels: Level[]): Level => (levels.includes('unavailable') ? 'unavailable' : levels.includes('degraded') ? 'degraded' : 'ok');

export const health = endpoint({
  name: 'health',
  methods: ['GET'],
  route: 'health',
  roles: 'none',
  authLevel: 'anonymous',
  summary: 'Liveness for probes and ops: 200 while storage answers (degraded parts are reported), else 503',
  tags: ['operations'],
  responses: [
    { status: 200, description: 'Storage answers', schema: healthResource },
    { status: 503, description: 'Storage does not answer', schema: healthResource },
  ],
  errors: [],
  handle: async (_input, services: Services) => {
    const results = await Promise.all(
      services.healthChecks.map(async (check) => {
        try {
          return [check.name, await check.check()] as const;
        } catch (error) {
          return [check.name, { status: 'unavailable' as const, detail: error instanceof Error ? error.message : 'failed' }] as const;
        }
      }),
    );
    const status = worst(results.map(([, result]) => result.status));
    const body = { status: status === 'unavailable' ? 'unavailable' : status, checks: Object.fromEntries(results) };
    return jsonResponse(body, status === 'unavailable' ? 503 : 200, { 'cache-control': 'no-store' });
  },
});
