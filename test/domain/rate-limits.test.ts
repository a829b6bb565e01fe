import { CredentialHealth, RateLimitGovernor } from '../../src/domain/rate-limits';
import type { BusinessUseCaseUsage } from '../../src/domain/meta';

const usage = (objectId: string, percents: { call?: number; cpu?: number; time?: number }, regainMinutes = 0): BusinessUseCaseUsage => ({
  objectId,
  type: 'whatsapp_business_management',
  callCount: percents.call ?? 0,
  totalCpuTime: percents.cpu ?? 0,
  totalTime: percents.time ?? 0,
  estimatedTimeToRegainAccess: regainMinutes,
});

/** A governor on a clock the test moves, with a chosen "random" number. */
function governor(random = 0) {
  let now = 1_000_000;
  const rules = new RateLimitGovernor(
    () => now,
    () => random,
  );
  return { rules, advance: (ms: number) => void (now += ms) };
}

describe('RateLimitGovernor', () => {
  it('slows a WABA only past 75 % of its busiest limit, up to five times the slow delay at 100 %', () => {
    const { rules } = governor();
    expect(rules.delayBefore('w')).toBe(0);
    const delays = [75, 76, 80, 90, 100].map((percent) => {
      rules.observe([usage('w', { call: percent })]);
      return rules.delayBefore('w');
    });
    expect(delays).toEqual([0, 200, 1000, 3000, 5000]);
    // The busiest of the three counters decides, and only for that WABA.
    rules.observe([usage('w', { call: 10, cpu: 90, time: 20 })]);
    expect(rules.delayBefore('w')).toBe(3000);
    rules.observe([usage('w', { call: 10, cpu: 20, time: 80 })]);
    expect(rules.delayBefore('w')).toBe(1000);
    expect(rules.delayBefore('other')).toBe(0);
  });

  it('pauses a blocked WABA for the minutes Meta gives plus up to 10 % jitter, then forgets its pressure', () => {
    const { rules, advance } = governor(0.5);
    rules.observe([usage('w', { call: 100 }, 2), usage('free', { call: 10 })]);
    expect(rules.isPaused('w')).toBe(true);
    expect(rules.isPaused('free')).toBe(false);
    advance(126_000 - 1);
    expect(rules.isPaused('w')).toBe(true);
    advance(1);
    expect(rules.isPaused('w')).toBe(false);
    expect(rules.delayBefore('w')).toBe(0);
  });

  it('a usage header without a block pauses nothing', () => {
    const { rules } = governor();
    rules.observe([usage('w', { call: 99 }, 0)]);
    expect(rules.isPaused('w')).toBe(false);
    expect(rules.delayBefore('w')).toBe(4800);
  });

  it("uses Meta's retry estimate for a rate-limit error when there is one", () => {
    const { rules, advance } = governor(1);
    rules.rateLimited('w', 30);
    advance(33_000 - 1);
    expect(rules.isPaused('w')).toBe(true);
    advance(1);
    expect(rules.isPaused('w')).toBe(false);
  });

  it('a retry estimate that is not positive is no estimate: it backs off', () => {
    const { rules, advance } = governor(1);
    rules.rateLimited('w', -5);
    advance(30_000 - 1);
    expect(rules.isPaused('w')).toBe(true);
    advance(1);
    expect(rules.isPaused('w')).toBe(false);
  });

  it('otherwise backs off exponentially from 30 s to at most 30 min, and a success starts over', () => {
    const { rules, advance } = governor(1);
    const pauses: number[] = [];
    for (let strike = 0; strike < 8; strike += 1) {
      rules.rateLimited('w', strike % 2 === 0 ? undefined : 0);
      let waited = 0;
      // Bounded, so a governor that never lets go fails instead of hanging.
      while (rules.isPaused('w') && waited <= 3_600_000) {
        advance(1_000);
        waited += 1_000;
      }
      pauses.push(waited);
    }
    expect(pauses).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_800_000, 1_800_000]);
    rules.succeeded('w');
    rules.rateLimited('w', undefined);
    advance(30_000 - 1);
    expect(rules.isPaused('w')).toBe(true);
    advance(1);
    expect(rules.isPaused('w')).toBe(false);
  });

  it('a shorter pause never cuts a longer one short', () => {
    const { rules, advance } = governor(0);
    rules.observe([usage('w', { call: 100 }, 10)]);
    rules.rateLimited('w', 1);
    advance(60_000);
    expect(rules.isPaused('w')).toBe(true);
    advance(540_000);
    expect(rules.isPaused('w')).toBe(false);
  });
});

describe('CredentialHealth', () => {
  it('is broken from the first 190 until a call succeeds, with the latest detail', () => {
    const health = new CredentialHealth();
    expect(health.state()).toEqual({ broken: false, since: null, detail: null });
    health.markBroken('2026-11-01T00:00:00.000Z', 'expired');
    health.markBroken('2026-11-01T01:00:00.000Z', 'still expired');
    expect(health.state()).toEqual({ broken: true, since: '2026-11-01T00:00:00.000Z', detail: 'still expired' });
    health.markWorking();
    expect(health.state()).toEqual({ broken: false, since: null, detail: null });
  });
});
