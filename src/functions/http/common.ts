import type { Trigger } from '../../domain/use-cases/dependencies';
import type { Cause } from '../../domain/stages';
import type { EndpointInput } from './endpoint';
import { registrationResource } from './schemas';

/** Path of every registration-scoped route; `{id}` is the registration id. */
export const REGISTRATION_ROUTE = 'registrations/{id}';

export const registrationOk = { status: 200, description: 'The registration after the change', schema: registrationResource };

/** A change made while serving this request: cause `api` unless said otherwise, the caller as actor. */
export const apiTrigger = (input: EndpointInput<unknown, unknown>, cause: Cause = 'api'): Trigger => ({
  cause,
  eventId: input.requestId,
  log: input.log,
  caller: input.caller,
});
