import type { HttpMethod } from '@azure/functions';
import { apiSegments, createRouter, matchTemplate, parseRouteTemplate } from '../../src/local/route-template';

const fn = (name: string, route: string, methods: HttpMethod[]) => ({ name, route, methods });

const functions = [
  fn('listRegistrations', 'registrations', ['GET']),
  fn('createRegistration', 'registrations', ['POST']),
  fn('getRegistration', 'registrations/{id}', ['GET']),
  fn('cancelRegistration', 'registrations/{id}', ['DELETE']),
  fn('requestCode', 'registrations/{id}/verification', ['POST']),
  fn('submitCode', 'registrations/{id}/verification/code', ['POST']),
  fn('reconcileRuns', 'reconcile/runs', ['GET']),
  fn('metaWebhook', 'meta/webhook', ['GET', 'POST']),
  fn('openApi', 'openapi.json', ['GET']),
  fn('special', 'registrations/special', ['GET']),
];

const router = createRouter(functions);

describe('route templates', () => {
  it('matches literal routes and extracts parameters', () => {
    expect(router.route('GET', '/api/registrations')).toEqual({ kind: 'matched', target: functions[0], params: {} });
    expect(router.route('POST', '/api/registrations')).toMatchObject({ kind: 'matched', target: { name: 'createRegistration' } });
    expect(router.route('GET', '/api/registrations/abc-123')).toEqual({ kind: 'matched', target: functions[2], params: { id: 'abc-123' } });
    expect(router.route('POST', '/api/registrations/r1/verification/code')).toEqual({
      kind: 'matched',
      target: functions[5],
      params: { id: 'r1' },
    });
    expect(router.route('GET', '/api/openapi.json')).toMatchObject({ kind: 'matched', target: { name: 'openApi' } });
    expect(router.route('POST', '/api/meta/webhook')).toMatchObject({ kind: 'matched', target: { name: 'metaWebhook' } });
  });

  it('lets a literal segment win over a parameter', () => {
    expect(router.route('GET', '/api/registrations/special')).toEqual({ kind: 'matched', target: functions[9], params: {} });
    expect(router.route('GET', '/api/registrations/specials')).toMatchObject({ target: { name: 'getRegistration' }, params: { id: 'specials' } });
  });

  it('URL-decodes parameters, but splits on the raw slashes first', () => {
    expect(router.route('GET', '/api/registrations/a%20b%2Fc')).toMatchObject({ params: { id: 'a b/c' } });
    expect(router.route('GET', '/api/registrations/%E2%9C%93')).toMatchObject({ params: { id: '✓' } });
  });

  it('matches literals case-insensitively and ignores a trailing slash, like the Functions host', () => {
    expect(router.route('get', '/API/Registrations/')).toMatchObject({ kind: 'matched', target: { name: 'listRegistrations' } });
  });

  it('answers 405 with the allowed methods when only the method is wrong', () => {
    expect(router.route('PUT', '/api/registrations/r1')).toEqual({ kind: 'methodNotAllowed', allow: ['GET', 'DELETE'] });
    expect(router.route('DELETE', '/api/meta/webhook')).toEqual({ kind: 'methodNotAllowed', allow: ['GET', 'POST'] });
  });

  it('prefers a parameter route that allows the method over a literal one that does not', () => {
    expect(router.route('DELETE', '/api/registrations/special')).toMatchObject({ kind: 'matched', target: { name: 'cancelRegistration' } });
  });

  it('answers not found for unknown paths, empty segments, bad escapes and paths outside /api', () => {
    for (const path of [
      '/api/nope',
      '/api/registrations/r1/nope',
      '/api/registrations//verification',
      '/api/registrations/%zz',
      '/registrations',
      '/apix/registrations',
      '/api',
    ]) {
      expect(router.route('GET', path)).toEqual({ kind: 'notFound' });
    }
  });

  it('refuses ambiguous routes at start-up', () => {
    expect(() => createRouter([fn('a', 'x/{id}', ['GET']), fn('b', 'X/{other}', ['GET', 'POST'])])).toThrow(/both serve GET/);
    expect(() => createRouter([fn('a', 'x/{id}', ['GET']), fn('b', 'x/{other}', ['POST'])])).not.toThrow();
  });

  it('supports optional, constrained and catch-all parameters', () => {
    const optional = parseRouteTemplate('items/{id?}');
    expect(matchTemplate(optional, ['items'])).toEqual({});
    expect(matchTemplate(optional, ['items', '7'])).toEqual({ id: '7' });
    const constrained = parseRouteTemplate('items/{id:int}');
    expect(matchTemplate(constrained, ['items', '42'])).toEqual({ id: '42' });
    expect(matchTemplate(constrained, ['items', 'x'])).toBeUndefined();
    expect(matchTemplate(parseRouteTemplate('files/{*rest}'), ['files', 'a', 'b%20c'])).toEqual({ rest: 'a/b c' });
    expect(() => parseRouteTemplate('a/{id?}/b')).toThrow(/last segment/);
    expect(() => parseRouteTemplate('a/x{id}')).toThrow(/mixes literal text/);
  });

  it('splits paths below /api', () => {
    expect(apiSegments('/api/a/b/')).toEqual(['a', 'b']);
    expect(apiSegments('/api')).toEqual([]);
    expect(apiSegments('/other')).toBeUndefined();
  });
});
