/**
 * Azure Functions HTTP route templates (`registrations/{id}/history`) matched against `/api/...`
 * paths the way the Functions host's ASP.NET routing does: literal segments are case-insensitive
 * and outrank parameters, parameters are URL-decoded, and a path that some route matches under
 * another method answers 405 rather than 404.
 * Not a router package: the ranking, the 405 and the ambiguity check need this parsed template anyway,
 * so one would replace only matchTemplate, and path-to-regexp 8 dropped the parameter constraints it needs.
 */
import type { HttpMethod } from '@azure/functions';

export const ROUTE_PREFIX = '/api';

type Segment =
  { kind: 'literal'; text: string } | { kind: 'param'; name: string; optional: boolean; constraint: string | undefined } | { kind: 'catchAll'; name: string };

export interface RouteTemplate {
  readonly template: string;
  readonly segments: readonly Segment[];
}

export interface Routable {
  name: string;
  route: string;
  methods: readonly HttpMethod[];
}

export type RouteResult<T> =
  { kind: 'matched'; target: T; params: Record<string, string> } | { kind: 'methodNotAllowed'; allow: HttpMethod[] } | { kind: 'notFound' };

export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments: Segment[] = trimmed === '' ? [] : trimmed.split('/').map((text) => parseSegment(text, template));
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (!last && (segment.kind === 'catchAll' || (segment.kind === 'param' && segment.optional))) {
      throw new Error(`Route "${template}": only the last segment may be optional or catch-all`);
    }
  });
  return { template, segments };
}

function parseSegment(text: string, template: string): Segment {
  if (text === '') throw new Error(`Route "${template}" has an empty segment`);
  const param = /^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([^}?]+))?(\?)?\}$/.exec(text);
  if (param) {
    const [, star, name, constraint, optional] = param;
    if (star) return { kind: 'catchAll', name: name as string };
    return { kind: 'param', name: name as string, optional: optional === '?', constraint };
  }
  if (text.includes('{') || text.includes('}')) {
    throw new Error(`Route "${template}": segment "${text}" mixes literal text and parameters, which this host does not support`);
  }
  return { kind: 'literal', text };
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
};

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Matches one template against the path below `/api` (raw, still percent-encoded). */
export function matchTemplate(template: RouteTemplate, rawSegments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const { segments } = template;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as Segment;
    const raw = rawSegments[index];
    if (segment.kind === 'catchAll') {
      const rest = rawSegments.slice(index).map(decode);
      if (rest.some((part) => part === undefined)) return undefined;
      params[segment.name] = rest.join('/');
      return params;
    }
    if (raw === undefined) {
      if (segment.kind === 'param' && segment.optional) return params;
      return undefined;
    }
    const value = decode(raw);
    if (value === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (value.toLowerCase() !== segment.text.toLowerCase()) return undefined;
    } else {
      const constraint = segment.constraint && CONSTRAINTS[segment.constraint.toLowerCase()];
      if (value === '' || (constraint && !constraint.test(value))) return undefined;
      params[segment.name] = value;
    }
  }
  return rawSegments.length === segments.length ? params : undefined;
}

/** Literal < constrained parameter < parameter < optional < catch-all, segment by segment. */
function rank(segment: Segment | undefined): number {
  if (!segment) return 5;
  if (segment.kind === 'literal') return 0;
  if (segment.kind === 'catchAll') return 4;
  if (segment.optional) return 3;
  return segment.constraint ? 1 : 2;
}

function compareSpecificity(a: RouteTemplate, b: RouteTemplate): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let index = 0; index < length; index++) {
    const difference = rank(a.segments[index]) - rank(b.segments[index]);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Splits `/api/a/b?x` into raw segments below the prefix, or undefined when outside `/api`. */
export function apiSegments(pathname: string): string[] | undefined {
  const lower = pathname.toLowerCase();
  if (lower !== ROUTE_PREFIX && !lower.startsWith(`${ROUTE_PREFIX}/`)) return undefined;
  const rest = pathname.slice(ROUTE_PREFIX.length).replace(/^\/+/, '').replace(/\/+$/, '');
  return rest === '' ? [] : rest.split('/');
}

export interface Router<T extends Routable> {
  route(method: string, pathname: string): RouteResult<T>;
}

/** Builds a router once (templates parsed up front, so a bad route fails at start-up, not on a request). */
export function createRouter<T extends Routable>(targets: readonly T[]): Router<T> {
  const compiled = targets.map((target) => ({ target, template: parseRouteTemplate(target.route) }));
  // The Functions host refuses to start with ambiguous routes; so does this one.
  const seen = new Map<string, string>();
  for (const { target, template } of compiled) {
    const shape = template.segments.map((s) => (s.kind === 'literal' ? s.text.toLowerCase() : s.kind === 'catchAll' ? '{*}' : '{}')).join('/');
    for (const method of target.methods) {
      const key = `${method.toUpperCase()} ${shape}`;
      const other = seen.get(key);
      if (other) throw new Error(`Functions "${other}" and "${target.name}" both serve ${method.toUpperCase()} /api/${target.route}`);
      seen.set(key, target.name);
    }
  }
  return {
    route(method, pathname) {
      const segments = apiSegments(pathname);
      if (!segments) return { kind: 'notFound' };
      const candidates: Array<{ target: T; template: RouteTemplate; params: Record<string, string> }> = [];
      for (const entry of compiled) {
        const params = matchTemplate(entry.template, segments);
        if (params) candidates.push({ ...entry, params });
      }
      if (candidates.length === 0) return { kind: 'notFound' };
      const upper = method.toUpperCase();
      const allowed = candidates.filter((candidate) => candidate.target.methods.some((m) => m.toUpperCase() === upper));
      if (allowed.length === 0) {
        const allow = [...new Set(candidates.flatMap((candidate) => candidate.target.methods.map((m) => m.toUpperCase() as HttpMethod)))];
        return { kind: 'methodNotAllowed', allow };
      }
      allowed.sort((a, b) => compareSpecificity(a.template, b.template));
      const best = allowed[0] as (typeof allowed)[number];
      return { kind: 'matched', target: best.target, params: best.params };
    },
  };
}
