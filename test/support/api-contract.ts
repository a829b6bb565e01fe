import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface ObservedResponse {
  method: string;
  /** The request's path, with or without a query string. */
  path: string;
  status: number;
  headers: Headers;
  text: string;
}

const COMPONENT = '#/components/schemas/';

/** A schema with the document's components as its own $defs, so that a strict validator compiles it alone. */
function standalone(schema: Json, components: Record<string, Json>): Json {
  const rewrite = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT) ? `#/$defs/${value.slice(COMPONENT.length)}` : rewrite(value),
      ]),
    );
  };
  return { ...rewrite(schema), $defs: rewrite(components) };
}
const isJson = (mediaType: string) => mediaType === 'application/json' || /^application\/[\w.-]+\+json$/.test(mediaType);

/**
 * Checks responses against the OpenAPI document the API serves: the operation for the method and
 * path, the status, the media type, the required headers and the body (JSON Schema 2020-12).
 * Anything the document does not describe is a contract gap and fails.
 */
export class ApiContract {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: Array<{ template: string; pattern: RegExp; literalSegments: number }>;

  constructor(private readonly document: Json) {
    addFormats(this.ajv);
    this.routes = Object.keys(document.paths as Record<string, unknown>).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`),
      literalSegments: template.split('/').filter((segment) => !segment.startsWith('{')).length,
    }));
  }

  /** Whether the path belongs to the API the document describes (the host's and sandboxes' routes do not). */
  static covers(path: string): boolean {
    return path.startsWith('/api/');
  }

  /** Throws, naming the gap, when the response is not what the document says. */
  check(response: ObservedResponse): void {
    const path = response.path.split('?')[0]!;
    const method = response.method.toLowerCase();
    const where = `${response.method} ${path} → ${response.status}`;
    // A literal route wins over a template that also matches (e.g. /registrations/summary over /registrations/{id}).
    const route = this.routes
      .filter((candidate) => candidate.pattern.test(path) && this.document.paths[candidate.template][method])
      .sort((a, b) => b.literalSegments - a.literalSegments)[0];
    if (!route) throw new Error(`${where}: no operation in the OpenAPI document`);
    const declared = this.document.paths[route.template][method].responses as Record<string, Json>;
    const status = [String(response.status), `${String(response.status)[0]}XX`, 'default'].find((key) => declared[key]);
    if (!status) throw new Error(`${where}: status not in the OpenAPI document (declared: ${Object.keys(declared).join(', ')})`);
    const spec = declared[status];

    for (const [name, header] of Object.entries((spec.headers ?? {}) as Record<string, Json>)) {
      if (header.required && !response.headers.has(name)) throw new Error(`${where}: missing required header ${name}`);
    }
    const content = spec.content as Record<string, Json> | undefined;
    if (!content) {
      if (response.text !== '') throw new Error(`${where}: a body the OpenAPI document does not describe:\n${response.text.slice(0, 500)}`);
      return;
    }
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!content[mediaType])
      throw new Error(`${where}: content-type ${mediaType || '(none)'} not in the OpenAPI document (declared: ${Object.keys(content).join(', ')})`);
    if (!content[mediaType].schema) return;
    const validate = this.validatorFor(`${method} ${route.template} ${status} ${mediaType}`, content[mediaType].schema);
    let body: unknown = response.text;
    if (isJson(mediaType)) {
      try {
        body = JSON.parse(response.text);
      } catch {
        throw new Error(`${where}: ${mediaType} body is not JSON:\n${response.text.slice(0, 500)}`);
      }
    }
    if (!validate(body)) {
      throw new Error(
        `${where}: body does not match the OpenAPI document:\n${this.ajv.errorsText(validate.errors, { separator: '\n' })}\n${response.text.slice(0, 2000)}`,
      );
    }
  }

  private validatorFor(key: string, schema: Json): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(standalone(schema, this.document.components?.schemas ?? {}));
      this.validators.set(key, validate);
    }
    return validate;
  }
}
