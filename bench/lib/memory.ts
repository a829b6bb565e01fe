import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFunction: (() => void) | null | undefined;

/**
 * A full garbage collection before a "before" reading, so heap growth measures the run and not
 * leftovers. `npm run bench` starts node without --expose-gc; the flag is turned on at run time.
 */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as () => void;
    } catch {
      gcFunction = null;
    }
  }
  gcFunction?.();
}

export interface MemoryReading {
  rssMb: number;
  heapUsedMb: number;
}

const MB = 1024 * 1024;

export function readMemory(): MemoryReading {
  const usage = process.memoryUsage();
  return { rssMb: usage.rss / MB, heapUsedMb: usage.heapUsed / MB };
}

/** Runs `sample` every `intervalMs`, and once more when stopped, so the last moment of a run counts too. */
function sampleUntilStopped(intervalMs: number, sample: () => void): { stop(): void } {
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
    },
  };
}

/** Samples process.memoryUsage() every `intervalMs` until stopped; reports the peaks. */
export function startMemorySampler(intervalMs = 100): { stop(): { peak: MemoryReading; samples: number } } {
  const peak = readMemory();
  let samples = 1;
  const sampler = sampleUntilStopped(intervalMs, () => {
    const reading = readMemory();
    samples += 1;
    peak.rssMb = Math.max(peak.rssMb, reading.rssMb);
    peak.heapUsedMb = Math.max(peak.heapUsedMb, reading.heapUsedMb);
  });
  return {
    stop: () => {
      sampler.stop();
      return { peak, samples };
    },
  };
}

/**
 * The live heap while a run goes: every `intervalMs` a full collection, then heapUsed. What the
 * run holds, not the garbage V8 has not collected yet (that peak depends on when V8 chooses to
 * collect, so a longer run shows more of it whatever it holds). The collections cost time: use it
 * on a run that is not timed.
 */
export function startLiveHeapSampler(intervalMs = 200): { stop(): { peakLiveMb: number; samples: number } } {
  collectGarbage();
  let peakLiveMb = readMemory().heapUsedMb;
  let samples = 1;
  const sampler = sampleUntilStopped(intervalMs, () => {
    collectGarbage();
    peakLiveMb = Math.max(peakLiveMb, readMemory().heapUsedMb);
    samples += 1;
  });
  return {
    stop: () => {
      sampler.stop();
      return { peakLiveMb, samples };
    },
  };
}
