import { OPS_ONLY } from '../domain/access';
import { z } from 'zod';
import { endpoint } from './http/endpoint';
import { jsonResponse } from './http/registration-resource';
import type { Services } from './services';

const run = z.object({
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  checked: z.number(),
  changed: z.number(),
  failed: z.number(),
  rateLimited: z.number(),
  resumedFrom: z.string().nullable().optional(),
  needsAttention: z
    .number()
    .optional()
    .meta({ description: 'Registrations whose Meta reads Meta refused as malformed; they wait (growing, capped) before the next try' }),
  subscriptionsRestored: z.number().optional().meta({ description: 'WABAs whose app subscription this run restored' }),
  outcome: z.enum(['completed', 'budget-exhausted', 'credential-broken']),
});

export const listReconcileRuns = endpoint({
  name: 'listReconcileRuns',
  methods: ['GET'],
  route: 'reconcile/runs',
  roles: OPS_ONLY,
  summary: 'Recent reconcile runs, newest first: how many registrations were checked, changed, failed or skipped for rate limits',
  tags: ['operations'],
  query: z.strictObject({ limit: z.coerce.number<string>().int().min(1).max(100).default(20) }),
  responses: [{ status: 200, description: 'The runs', schema: z.object({ items: z.array(run) }) }],
  errors: ['validation-failed'],
  handle: async (input, { useCases }: Services) => {
    const runs = await useCases.listReconcileRuns(input.query.limit);
    return jsonResponse({
      items: runs.map(({ id: _id, resumedFrom, ...rest }) => ({ ...rest, ...(resumedFrom ? { resumedFrom } : {}) })),
    });
  },
});
