import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { serveControl } from '../meta-sandbox/http';
import { ACS_SANDBOX_ROUTES, AcsSandboxControlError, CHANNEL_NOT_FOUND_SHAPES, type AcsSandboxState } from './state';

/** The `/_sandbox/...` control routes (listed in index.ts): the AcsSandboxState methods over HTTP. */
const failNextSchema = z.object({
  route: z.enum(ACS_SANDBOX_ROUTES).optional(),
  status: z.number().int().min(400).max(599).optional(),
  code: z.string().trim().min(1).max(100).optional(),
  message: z.string().max(1000).optional(),
  times: z.number().int().min(1).max(10_000).optional(),
  bare: z.boolean().optional(),
});

const channelNotFoundShapeSchema = z.object({ shape: z.enum(CHANNEL_NOT_FOUND_SHAPES) }).strict();

const notFound = (what: string): AcsSandboxControlError => new AcsSandboxControlError(`${what} is not in the sandbox.`, 404);

export function handleControl(state: AcsSandboxState, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  return serveControl(req, res, url, AcsSandboxControlError, async ({ method, segments, body }) => {
    const [collection, id] = segments;
    const route = segments.length === 2 ? `${method} /${collection}/:id` : `${method} /${segments.join('/')}`;
    switch (route) {
      case 'GET /state':
        return [200, state.snapshot()];
      case 'POST /reset':
        state.reset();
        return [200, state.snapshot()];
      case 'POST /channels/:id':
        return [201, { channelRegistrationId: state.addChannel(id!) }];
      case 'DELETE /channels/:id':
        if (!state.removeChannel(id!)) throw notFound(`Channel ${id}`);
        return [200, { channelRegistrationId: id!.toLowerCase(), removed: true }];
      case 'POST /channel-not-found-shape':
        state.channelNotFoundShape = (await body(channelNotFoundShapeSchema)).shape;
        return [200, { shape: state.channelNotFoundShape }];
      case 'POST /failing-numbers/:id':
        return [201, { phoneNumber: state.failNumber(id!) }];
      case 'DELETE /failing-numbers/:id':
        if (!state.unfailNumber(id!)) throw notFound(`Failing number ${id}`);
        return [200, { removed: true }];
      case 'POST /undeliverable-numbers/:id':
        return [201, { phoneNumber: state.failDelivery(id!) }];
      case 'DELETE /undeliverable-numbers/:id':
        if (!state.restoreDelivery(id!)) throw notFound(`Undeliverable number ${id}`);
        return [200, { removed: true }];
      case 'POST /fail-next': {
        state.failNext(await body(failNextSchema));
        return [201, { pendingFailures: state.pendingFailures().length }];
      }
      case 'DELETE /fail-next':
        state.clearFailures();
        return [200, { pendingFailures: 0 }];
      default:
        throw new AcsSandboxControlError(`No sandbox route ${method} ${url.pathname}.`, 404);
    }
  });
}
