import { WRITE_OR_OPS } from '../domain/access';
import { z } from 'zod';
import { endpoint } from './http/endpoint';
import { jsonResponse } from './http/registration-resource';
import type { Services } from './services';

const eventsQuery = z.strictObject({
  after: z.string().max(1024).optional(),
  limit: z.coerce.number<string>().int().min(1).max(100).default(50),
});

const cloudEvent = z.object({
  specversion: z.literal('1.0'),
  id: z.string(),
  type: z.enum(['Registration.StageChanged', 'Registration.StatusChanged']),
  source: z.string(),
  subject: z.string(),
  time: z.string(),
  datacontenttype: z.literal('application/json'),
  data: z.object({ registrationId: z.string(), from: z.string().nullable(), to: z.string().nullable(), cause: z.string(), at: z.string() }),
});

export const listEvents = endpoint({
  name: 'listEvents',
  methods: ['GET'],
  route: 'events',
  roles: WRITE_OR_OPS,
  summary:
    'The outgoing Registration.* CloudEvents, oldest first (the same ones published to Event Grid; a Registrations.Write caller gets its own registrations’ only)',
  tags: ['events'],
  query: eventsQuery,
  responses: [
    { status: 200, description: 'A page; pass nextCursor as after', schema: z.object({ items: z.array(cloudEvent), nextCursor: z.string().nullable() }) },
  ],
  errors: ['validation-failed'],
  handle: async (input, { useCases, dispatcher }: Services) => {
    // Changes this process committed are dispatched in batches: flush them so a caller sees its own.
    await dispatcher.flush();
    const page = await useCases.listEvents(input.query.after, input.query.limit, input.caller);
    return jsonResponse({
      items: page.items.map(({ owner: _owner, ...event }) => ({ specversion: '1.0', ...event, datacontenttype: 'application/json' })),
      nextCursor: page.nextCursor,
    });
  },
});
