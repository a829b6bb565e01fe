import { startAppHarness, type AppHarness } from '../support/app-harness';
import { registerUpTo } from '../support/onboarding';

let app: AppHarness;
beforeAll(async () => {
  app = await startAppHarness();
  // Enough events and registrations for every list to have a second page.
  for (let index = 0; index < 3; index += 1) await registerUpTo(app, 'BusinessAccountSelected');
});
afterAll(() => app.close());

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
/** A cursor's position, read the way a curious client would (the part before the digest). */
const positionOf = (cursor: string): { v: number; s: string; a: string } => JSON.parse(Buffer.from(cursor.split('.')[0]!, 'base64url').toString('utf8'));

/** What a client might send instead of a cursor it was given. */
const notIssued = [
  'garbage',
  b64({ s: '*', a: 'zzz' }),
  b64({ v: 1, s: 'feed', a: 'x', extra: true }),
  b64({ v: 2, s: 'feed', a: '000000000000001-bAA' }),
  '%%%',
];

function expectCursorProblem(response: { status: number; json: { code: string; errors?: Array<{ path: string }> } }, parameter: string): void {
  expect(response.status).toBe(400);
  expect(response.json.code).toBe('validation-failed');
  expect(response.json.errors?.map((error) => error.path)).toEqual([parameter]);
}

describe('cursors: only those the API issued are accepted, on every list', () => {
  it.each(notIssued)('GET /api/events?after=%s answers 400 naming "after", not an empty page', async (after) => {
    expectCursorProblem(await app.call('listEvents', { query: { after } }), 'after');
  });

  it.each(notIssued)('GET /api/registrations?cursor=%s answers 400 naming "cursor"', async (cursor) => {
    expectCursorProblem(await app.call('listRegistrations', { query: { cursor } }), 'cursor');
  });

  it('refuses a feed cursor whose key was edited, and a cursor of one list passed to another', async () => {
    const events = await app.call('listEvents', { query: { limit: '1' } });
    const issued: string = events.json.nextCursor;
    expect(typeof issued).toBe('string');
    const { a } = positionOf(issued);
    // Edited and re-encoded, with or without the digest of the original.
    expectCursorProblem(await app.call('listEvents', { query: { after: b64({ v: 1, s: 'feed', a: `${a}/../` }) } }), 'after');
    expectCursorProblem(await app.call('listEvents', { query: { after: `${b64({ v: 1, s: 'feed', a: `${a}0` })}.${issued.split('.')[1]}` } }), 'after');
    expectCursorProblem(await app.call('listRegistrations', { query: { cursor: issued } }), 'cursor');

    const registrations = await app.call('listRegistrations', { query: { limit: '1', stage: 'BusinessAccountSelected' } });
    expectCursorProblem(await app.call('listEvents', { query: { after: registrations.json.nextCursor } }), 'after');
  });

  it('follows the cursors it issued to the end of each list', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: { status: number; json: { items: Array<{ id: string }>; nextCursor: string | null } } = await app.call('listEvents', {
        query: { limit: '2', ...(after ? { after } : {}) },
      });
      expect(page.status).toBe(200);
      seen.push(...page.json.items.map((item) => item.id));
      after = page.json.nextCursor;
    } while (after);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(3);

    const first = await app.call('listRegistrations', { query: { limit: '1', stage: 'BusinessAccountSelected' } });
    const second = await app.call('listRegistrations', { query: { limit: '1', stage: 'BusinessAccountSelected', cursor: first.json.nextCursor } });
    expect(second.status).toBe(200);
    expect(second.json.items[0].id).not.toBe(first.json.items[0].id);
  });
});
