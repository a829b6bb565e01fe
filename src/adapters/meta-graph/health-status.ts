import { z } from 'zod';
import type { MetaHealthEntity, MetaHealthError, MetaHealthStatus } from '../../domain/meta';

/**
 * `health_status` of a phone number or a WABA, read leniently: it is an answer we show, not one any
 * read depends on, so a malformed part is dropped (a malformed whole is "no answer") instead of
 * failing the read it came with. Values stay raw strings: Meta adds values without notice.
 */
const looseText = z.string().nullish().catch(null);
const looseId = z
  .union([z.string(), z.number()])
  .transform((value) => String(value))
  .nullish()
  .catch(null);
const looseCode = z.preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value), z.number().int().nullish()).catch(null);
const looseList = z.array(z.unknown()).nullish().catch(null);

const errorSchema = z.looseObject({ error_code: looseCode, error_description: looseText, possible_solution: looseText });
const entitySchema = z.looseObject({ entity_type: looseText, id: looseId, can_send_message: looseText, errors: looseList });
const healthSchema = z.looseObject({ can_send_message: looseText, entities: looseList });

function readError(raw: unknown): MetaHealthError | null {
  const parsed = errorSchema.safeParse(raw);
  if (!parsed.success) return null;
  const error = parsed.data;
  if (error.error_code == null && !error.error_description && !error.possible_solution) return null;
  return { code: error.error_code ?? null, description: error.error_description ?? null, possibleSolution: error.possible_solution ?? null };
}

function readEntity(raw: unknown): MetaHealthEntity | null {
  const parsed = entitySchema.safeParse(raw);
  if (!parsed.success) return null;
  const entity = parsed.data;
  return {
    entityType: entity.entity_type ?? null,
    id: entity.id ?? null,
    canSendMessage: entity.can_send_message ?? null,
    errors: (entity.errors ?? []).map(readError).filter((error): error is MetaHealthError => error !== null),
  };
}

export function readHealthStatus(raw: unknown): MetaHealthStatus | null {
  const parsed = healthSchema.safeParse(raw);
  if (!parsed.success) return null;
  const entities = (parsed.data.entities ?? []).map(readEntity).filter((entity): entity is MetaHealthEntity => entity !== null);
  const canSendMessage = parsed.data.can_send_message ?? null;
  if (canSendMessage === null && entities.length === 0) return null;
  return { canSendMessage, entities };
}
