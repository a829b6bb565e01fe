/**
 * Runs tasks that share a key one after another, and tasks with different keys freely. The
 * repository queues updates of one registration within this process this way: they would
 * otherwise race each other on the etag and mostly lose (N writers need ~N² attempts), while
 * queued they cost one attempt each. Writers in other processes are still handled by the etag.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
