import { WRITE_OR_OPS } from '../domain/access';
import { endpoint } from './http/endpoint';
import { jsonResponse } from './http/registration-resource';
import { registrationSummary } from './http/schemas';
import type { Services } from './services';

export const getRegistrationSummary = endpoint({
  name: 'getRegistrationSummary',
  methods: ['GET'],
  route: 'registrations/summary',
  roles: WRITE_OR_OPS,
  summary: 'Counts by status and by stage (every one named, zeros included) over the registrations the caller may see',
  tags: ['registrations'],
  responses: [{ status: 200, description: 'The counts, as of asOf', schema: registrationSummary }],
  errors: [],
  handle: async (input, { useCases, dispatcher }: Services) => {
    // Counts are folded when changes are dispatched: dispatch what this process committed first.
    await dispatcher.flush();
    const summary = await useCases.summarizeRegistrations(input.caller);
    return jsonResponse(summary, 200, { 'cache-control': 'no-store' });
  },
});
