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

/** Samples process.memoryUsage() every `intervalMs` until stopped; reports the peaks. */
export function startMemorySampler(intervalMs = 100): { stop(): { peak: MemoryReading; samples: number } } {
  const peak = readMemory();
  let samples = 1;
  const sample = (): void => {
    const reading = readMemory();
    samples += 1;
    peak.rssMb = Math.max(peak.rssMb, reading.rssMb);
    peak.heapUsedMb = Math.max(peak.heapUsedMb, reading.heapUsedMb);
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { peak, samples };
    },
  };
}
