import { WRITE_OR_OPS } from '../domain/access';
import type { RegistrationFilter } from '../domain/ports';
import { endpoint } from './http/endpoint';
import { jsonResponse, toRegistrationResource } from './http/registration-resource';
import { listQuery, registrationPage } from './http/schemas';
import type { Services } from './services';

export const listRegistrations = endpoint({
  name: 'listRegistrations',
  methods: ['GET'],
  route: 'registrations',
  roles: WRITE_OR_OPS,
  summary: 'List registrations by status, stage, WABA, phone number or owner, a page at a time (a Registrations.Write caller sees only its own)',
  tags: ['registrations'],
  query: listQuery,
  responses: [
    {
      status: 200,
      description: 'A page; pass nextCursor as cursor for the next one (null at the end). A page may hold fewer than limit items.',
      schema: registrationPage,
    },
  ],
  errors: ['validation-failed'],
  handle: async (input, { useCases, clock }: Services) => {
    const { limit, cursor, ...filters } = input.query;
    const filter: RegistrationFilter = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined));
    const page = await useCases.listRegistrations(filter, { limit, ...(cursor ? { cursor } : {}) }, input.caller);
    const now = clock.now();
    return jsonResponse({ items: page.items.map((registration) => toRegistrationResource(registration, now)), nextCursor: page.nextCursor });
  },
});
