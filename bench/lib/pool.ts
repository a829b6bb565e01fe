/**
 * Runs `count` tasks with at most `concurrency` in flight (a fixed set of workers taking the next
 * index), so the load on Azurite or the host is the same shape for a benchmark and its baseline.
 * The first error stops the workers from taking new tasks and is rethrown.
 */
export async function runPool(count: number, concurrency: number, task: (index: number, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (id: number): Promise<void> => {
    while (failure === null && next < count) {
      const index = next;
      next += 1;
      try {
        await task(index, id);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, (_, id) => worker(id)));
  if (failure !== null) throw (failure as { error: unknown }).error;
}

/** Like runPool, but records each task's latency in milliseconds. */
export async function timedPool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies = new Array<number>(count);
  const started = process.hrtime.bigint();
  await runPool(count, concurrency, async (index) => {
    const at = process.hrtime.bigint();
    await task(index);
    latencies[index] = Number(process.hrtime.bigint() - at) / 1e6;
  });
  return { latencies, wallMs: Number(process.hrtime.bigint() - started) / 1e6 };
}
