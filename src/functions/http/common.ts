import { loadRegistration as loadFrom } from '../../domain/use-cases/dependencies';
import type { Registration } from '../../domain/registration';
import type { Trigger } from '../../domain/use-cases/dependencies';
import type { Services } from '../services';
import type { EndpointInput } from './endpoint';
import { registrationResource } from './schemas';

/** Path of every registration-scoped route; `{id}` is the registration id. */
export const REGISTRATION_ROUTE = 'registrations/{id}';

export const registrationOk = { status: 200, description: 'The registration after the change', schema: registrationResource };

export const apiTrigger = (input: EndpointInput<unknown, unknown>): Trigger => ({ cause: 'api', eventId: input.requestId, log: input.log });

export const versionOf = (input: EndpointInput<unknown, unknown>) =>
  input.ifMatchVersion !== undefined ? { ifMatchVersion: input.ifMatchVersion } : {};

export const loadRegistration = (services: Pick<Services, 'registrations'>, id: string): Promise<Registration> => loadFrom(services.registrations, id);
