import { createMetaGraph } from '../../src/adapters/meta-graph';
import { MetaGraphError, type MetaPhoneNumber } from '../../src/domain/meta';
import type { MetaGraph } from '../../src/domain/ports';

/** A connected number on a WABA as the Meta adapter returns it; tests override what they look at. */
export const metaPhoneNumber = (overrides: Partial<MetaPhoneNumber> = {}): MetaPhoneNumber => ({
  id: '300',
  displayPhoneNumber: '+1 425-555-0123',
  e164: '+14255550123',
  verifiedName: 'Contoso',
  codeVerificationStatus: 'VERIFIED',
  nameStatus: 'APPROVED',
  newNameStatus: null,
  status: 'CONNECTED',
  qualityRating: 'GREEN',
  messagingLimit: 'TIER_250',
  ...overrides,
});

/**
 * The real Graph client over HTTP to the app's Meta sandbox, with one change: after `loseNextAnswer()`,
 * the next call of `method` reaches Meta and Meta acts on it, but its answer is lost (a timeout).
 */
export function metaLosingAnswersOf(method: 'registerPhoneNumber' | 'verifyCode'): {
  meta: MetaGraph;
  connect(metaUrl: string): void;
  loseNextAnswer(): void;
} {
  let graph: MetaGraph | undefined;
  let loseNext = false;
  const real = (): MetaGraph => {
    if (!graph) throw new Error('metaLosingAnswersOf: connect(metaUrl) first');
    return graph;
  };
  const meta = new Proxy({} as MetaGraph, {
    get: (_target, name: keyof MetaGraph) => {
      if (name !== method) return real()[name];
      return async (...args: unknown[]) => {
        await (real()[method] as (...callArgs: unknown[]) => Promise<void>)(...args);
        if (loseNext) {
          loseNext = false;
          throw new MetaGraphError('transient', `Meta Graph ${method} timed out`);
        }
      };
    },
  });
  return {
    meta,
    connect(metaUrl) {
      graph = createMetaGraph({ graphUrl: metaUrl, version: 'v25.0', accessToken: 'test-token', pinSecret: 'test-pin-secret', timeoutMs: 3000 });
    },
    loseNextAnswer() {
      loseNext = true;
    },
  };
}
