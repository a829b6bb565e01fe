import { judgeSignupExchanges } from '../../../bench/soak/audit';
import type { GraphCall } from '../../../bench/soak/meta-proxy';

const exchange = (codeHash: string, status: number, injected = false): GraphCall => ({
  at: 0,
  method: 'GET',
  path: '/oauth/access_token',
  status,
  injected,
  codeHash,
});

describe('judgeSignupExchanges (the soak audit of Embedded Signup codes)', () => {
  it('accepts one exchange per code, and ignores answers the proxy injected in Meta’s place', () => {
    const verdict = judgeSignupExchanges(
      [exchange('a', 200), exchange('b', 200), exchange('b', 500, true)],
      new Map([
        ['a', 200],
        ['b', 200],
      ]),
    );
    expect(verdict).toEqual({ duplicated: [], spentByAFailedCall: [] });
  });

  it('counts a code Meta accepted twice as a duplicated side effect', () => {
    const verdict = judgeSignupExchanges([exchange('a', 200), exchange('a', 200)], new Map([['a', 422]]));
    expect(verdict.duplicated).toEqual(['code exchanged 2 times, 2 accepted (code a)']);
    expect(verdict.spentByAFailedCall).toEqual([]);
  });

  it('counts a second exchange behind a call that ended in 200 as a duplicate: a retry of a success must not exchange', () => {
    const verdict = judgeSignupExchanges([exchange('a', 200), exchange('a', 400)], new Map([['a', 200]]));
    expect(verdict.duplicated).toEqual(['code exchanged 2 times, 1 accepted (code a)']);
  });

  it('counts a code spent by a call that failed, then refused to its retry, apart from the duplicates', () => {
    const verdict = judgeSignupExchanges([exchange('a', 200), exchange('a', 400)], new Map([['a', 422]]));
    expect(verdict).toEqual({ duplicated: [], spentByAFailedCall: ['a'] });
  });
});
