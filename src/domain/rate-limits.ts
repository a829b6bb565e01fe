import type { BusinessUseCaseUsage } from './meta';

/**
 * Per-WABA pacing from Meta's `X-Business-Use-Case-Usage` (docs/meta-graph.md "Rate limits"):
 * past 75 % of a limit a WABA is slowed, when blocked it is paused for the minutes Meta gives
 * (plus jitter), and a rate-limit error without the header backs off exponentially with full
 * jitter. A paused WABA is skipped, not failed.
 */
export class RateLimitGovernor {
  private readonly pausedUntil = new Map<string, number>();
  private readonly pressure = new Map<string, number>();
  private readonly strikes = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
    private readonly options = { slowThreshold: 75, slowDelayMs: 1_000, backoffBaseMs: 30_000, backoffMaxMs: 30 * 60_000 },
  ) {}

  /** Feed every usage header the Graph client sees. */
  observe(usage: BusinessUseCaseUsage[]): void {
    for (const entry of usage) {
      const percent = Math.max(entry.callCount, entry.totalCpuTime, entry.totalTime);
      this.pressure.set(entry.objectId, percent);
      if (entry.estimatedTimeToRegainAccess > 0) this.pause(entry.objectId, entry.estimatedTimeToRegainAccess * 60_000 * (1 + this.random() * 0.1));
    }
  }

  /** A rate-limit error: use Meta's estimate when it gave one, else exponential backoff with full jitter. */
  rateLimited(wabaId: string, retryAfterSeconds: number | undefined): void {
    if (retryAfterSeconds && retryAfterSeconds > 0) return this.pause(wabaId, retryAfterSeconds * 1000 * (1 + this.random() * 0.1));
    const strikes = (this.strikes.get(wabaId) ?? 0) + 1;
    this.strikes.set(wabaId, strikes);
    const ceiling = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (strikes - 1));
    this.pause(wabaId, this.random() * ceiling);
  }

  succeeded(wabaId: string): void {
    this.strikes.delete(wabaId);
  }

  isPaused(wabaId: string): boolean {
    const until = this.pausedUntil.get(wabaId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    // The pressure seen before the block is stale once access is back.
    this.pausedUntil.delete(wabaId);
    this.pressure.delete(wabaId);
    return false;
  }

  /** How long to wait before the next call on this WABA: grows from 0 at 75 % to slowDelayMs × 5 at 100 %. */
  delayBefore(wabaId: string): number {
    const percent = this.pressure.get(wabaId) ?? 0;
    if (percent <= this.options.slowThreshold) return 0;
    return Math.round(((percent - this.options.slowThreshold) / (100 - this.options.slowThreshold)) * this.options.slowDelayMs * 5);
  }

  private pause(wabaId: string, ms: number): void {
    this.pausedUntil.set(wabaId, Math.max(this.pausedUntil.get(wabaId) ?? 0, this.now() + Math.round(ms)));
  }
}

/** Whether Meta accepts our token; a 190 anywhere makes it broken until a call succeeds again. */
export class CredentialHealth {
  private brokenSince: string | null = null;
  private detail: string | null = null;

  markBroken(at: string, detail: string): void {
    this.brokenSince ??= at;
    this.detail = detail;
  }

  markWorking(): void {
    this.brokenSince = null;
    this.detail = null;
  }

  state(): { broken: boolean; since: string | null; detail: string | null } {
    return { broken: this.brokenSince !== null, since: this.brokenSince, detail: this.detail };
  }
}
