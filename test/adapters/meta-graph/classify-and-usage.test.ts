import rateLimitedFixture from '../../fixtures/meta-graph.error.rate-limited.json';
import { classifyMetaError, parseBusinessUseCaseUsage, phoneNumberFields, retryAfterSecondsFromUsage, wabaFields } from '../../../src/adapters/meta-graph';

describe('classifyMetaError (docs/meta-graph.md "Errors")', () => {
  it.each([
    [{ code: 100, subcode: 33, httpStatus: 400 }, 'object-missing'],
    [{ code: 100, subcode: 2388001, httpStatus: 400 }, 'not-ready'],
    [{ code: 100, httpStatus: 400 }, 'request-refused'],
    [{ code: 100, httpStatus: 422 }, 'request-refused'],
    [{ code: 100, subcode: 2388093, httpStatus: 400 }, 'request-refused'],
    [{ code: 100, httpStatus: 409 }, 'request-refused'],
    [{ code: 803, httpStatus: 404 }, 'object-missing'],
    [{ code: 803, httpStatus: 400 }, 'object-missing'],
    [{ code: 100, subcode: 33, httpStatus: 404 }, 'object-missing'],
    [{ code: 100, subcode: 33, httpStatus: 500 }, 'object-missing'],
    [{ code: 190, subcode: 463, httpStatus: 400 }, 'token'],
    [{ code: 190, httpStatus: 401, isTransient: true }, 'token'],
    [{ code: 10, httpStatus: 400 }, 'permission'],
    [{ code: 200, httpStatus: 403 }, 'permission'],
    [{ code: 299, httpStatus: 400 }, 'permission'],
    [{ code: 300, httpStatus: 400 }, 'rejected'],
    [{ code: 4, httpStatus: 400 }, 'rate-limited'],
    [{ code: 17, httpStatus: 400 }, 'rate-limited'],
    [{ code: 32, httpStatus: 400 }, 'rate-limited'],
    [{ code: 613, httpStatus: 400 }, 'rate-limited'],
    [{ code: 80007, httpStatus: 400 }, 'rate-limited'],
    [{ code: 80008, httpStatus: 400, isTransient: true }, 'rate-limited'],
    [{ code: 133016, httpStatus: 400 }, 'registration-limit'],
    [{ code: 1, httpStatus: 400 }, 'transient'],
    [{ code: 2, httpStatus: 400 }, 'transient'],
    [{ code: 131000, httpStatus: 400 }, 'transient'],
    [{ code: 133004, httpStatus: 400 }, 'transient'],
    [{ code: 136025, httpStatus: 400, isTransient: true }, 'transient'],
    [{ code: 136025, httpStatus: 400 }, 'rejected'],
    [{ code: 368, httpStatus: 400 }, 'rejected'],
    [{ code: 131031, httpStatus: 400 }, 'rejected'],
    [{ code: 99999, httpStatus: 503 }, 'transient'],
    [{ httpStatus: 500 }, 'transient'],
    [{ httpStatus: 429 }, 'rate-limited'],
    [{ httpStatus: 404 }, 'request-refused'],
    [{ httpStatus: 400 }, 'request-refused'],
    [{ httpStatus: 401 }, 'token'],
    [{ httpStatus: 403 }, 'permission'],
    [{ httpStatus: 409 }, 'rejected'],
    [{ httpStatus: 422 }, 'rejected'],
    [{ code: 200, subcode: 1349174, httpStatus: 403 }, 'permission'],
    [{ code: 4, subcode: 2446079, httpStatus: 429, isTransient: true }, 'rate-limited'],
    [{ code: 190, subcode: 463, httpStatus: 401 }, 'token'],
    [{}, 'transient'],
  ] as const)('%j → %s', (facts, kind) => {
    expect(classifyMetaError(facts)).toBe(kind);
  });
});

describe('X-Business-Use-Case-Usage', () => {
  it("reads Meta's header", () => {
    const usage = parseBusinessUseCaseUsage(rateLimitedFixture['_header_X-Business-Use-Case-Usage']);
    expect(usage).toEqual([
      {
        objectId: '611200938475521',
        type: 'whatsapp_business_management',
        callCount: 100,
        totalCpuTime: 12,
        totalTime: 20,
        estimatedTimeToRegainAccess: 7,
      },
    ]);
    expect(retryAfterSecondsFromUsage(usage)).toBe(420);
  });

  it('reads several objects and entries, the largest wait wins', () => {
    const usage = parseBusinessUseCaseUsage(
      JSON.stringify({
        a: [{ type: 'x', call_count: 10, total_cputime: 1, total_time: 2, estimated_time_to_regain_access: 0 }],
        b: [
          { type: 'y', call_count: '80', total_cputime: 3, total_time: 4, estimated_time_to_regain_access: 2 },
          { type: 'z', call_count: 90, estimated_time_to_regain_access: 0.5 },
        ],
      }),
    );
    expect(usage.map((entry) => [entry.objectId, entry.type, entry.callCount])).toEqual([
      ['a', 'x', 10],
      ['b', 'y', 80],
      ['b', 'z', 90],
    ]);
    expect(retryAfterSecondsFromUsage(usage)).toBe(120);
  });

  it.each([undefined, null, '', 'not json', '[]', '{"a": 3}', '"text"'])('ignores %p', (header) => {
    expect(parseBusinessUseCaseUsage(header)).toEqual([]);
  });

  it('gives no retry-after when nothing is blocked', () => {
    expect(retryAfterSecondsFromUsage([])).toBeUndefined();
    expect(retryAfterSecondsFromUsage(parseBusinessUseCaseUsage('{"a":[{"type":"x","call_count":50,"estimated_time_to_regain_access":0}]}'))).toBeUndefined();
  });
});

describe('phone-number fields by version', () => {
  it.each([
    ['v23.0', 'messaging_limit_tier'],
    ['v22.0', 'messaging_limit_tier'],
    ['v24.0', 'whatsapp_business_manager_messaging_limit'],
    ['v25.0', 'whatsapp_business_manager_messaging_limit'],
    ['v26.0', 'whatsapp_business_manager_messaging_limit'],
  ])('%s asks for %s', (version, field) => {
    expect(phoneNumberFields(version)).toContain(field);
  });
});

describe('fields by version (docs/meta-graph.md "Fields by version")', () => {
  it.each(['v22.0', 'v23.0'])("%s gets no field missing from Meta's v23 document", (version) => {
    const fields = phoneNumberFields(version);
    for (const unknown of ['new_name_status', 'whatsapp_business_manager_messaging_limit', 'platform_type']) expect(fields).not.toContain(unknown);
    expect(fields).toEqual(expect.arrayContaining(['status', 'name_status', 'health_status', 'messaging_limit_tier']));
  });

  it.each(['v24.0', 'v25.0', 'v26.0'])('%s gets new_name_status and the renamed messaging limit, never the old one', (version) => {
    const fields = phoneNumberFields(version);
    expect(fields).toEqual(expect.arrayContaining(['status', 'health_status', 'new_name_status', 'whatsapp_business_manager_messaging_limit']));
    expect(fields).not.toContain('messaging_limit_tier');
    expect(fields).not.toContain('platform_type');
  });

  it.each(['v23.0', 'v25.0'])('%s asks the WABA for its health_status and subscribed apps', (version) => {
    expect(wabaFields(version)).toEqual(['id', 'name', 'account_review_status', 'business_verification_status', 'health_status', 'subscribed_apps']);
  });
});
