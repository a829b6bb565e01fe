/**
 * Graph API `fields` parameter with field expansion: `id,name,phone_numbers.limit(100){id,status}`.
 * Modifiers (`.limit(n)`) and nested field lists are understood; other modifiers are kept by name.
 */
export interface FieldSpec {
  name: string;
  modifiers: Record<string, string>;
  /** Present when the field was expanded with `{...}`. */
  subfields?: FieldSpec[];
}

export class FieldsSyntaxError extends Error {
  override readonly name = 'FieldsSyntaxError';
}

export function parseFields(input: string): FieldSpec[] {
  let position = 0;
  const fail = (what: string): never => {
    throw new FieldsSyntaxError(`Syntax error "${what}" at character ${position} in field list ${input}`);
  };
  const name = (): string => {
    const match = /^[A-Za-z0-9_]+/.exec(input.slice(position));
    if (!match) return fail('expected a field name');
    position += match[0].length;
    return match[0];
  };
  const list = (closing: string | null): FieldSpec[] => {
    const fields: FieldSpec[] = [];
    for (;;) {
      while (input[position] === ' ') position += 1;
      const field: FieldSpec = { name: name(), modifiers: {} };
      while (input[position] === '.') {
        position += 1;
        const modifier = name();
        if (input[position] !== '(') fail('expected (');
        const end = input.indexOf(')', position);
        if (end < 0) fail('expected )');
        field.modifiers[modifier] = input.slice(position + 1, end);
        position = end + 1;
      }
      if (input[position] === '{') {
        position += 1;
        field.subfields = list('}');
      }
      fields.push(field);
      while (input[position] === ' ') position += 1;
      if (input[position] === ',') {
        position += 1;
        continue;
      }
      if (closing !== null) {
        if (input[position] !== closing) fail(`expected ${closing}`);
        position += 1;
        return fields;
      }
      if (position !== input.length) fail('unexpected character');
      return fields;
    }
  };
  if (input.trim() === '') return [];
  return list(null);
}

/** The inverse of parseFields, for the `fields` of `paging.next` URLs. */
export function serializeFields(fields: readonly FieldSpec[]): string {
  return fields
    .map((field) => {
      const modifiers = Object.entries(field.modifiers)
        .map(([name, value]) => `.${name}(${value})`)
        .join('');
      const nested = field.subfields ? `{${serializeFields(field.subfields)}}` : '';
      return `${field.name}${modifiers}${nested}`;
    })
    .join(',');
}
