/**
 * Retries `probe` until it stops throwing, for effects that happen after an answer was sent
 * (callbacks, logs, background work). The attempt limit only guards against a hang and says
 * nothing about speed; when it is reached, the probe's last failure is rethrown.
 */
export async function eventually<T>(probe: () => T | Promise<T>, attempts = 3000): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await probe();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/**
 * Reads until `done` holds, for state another process reaches in its own time (a host's timer run,
 * a redelivery). Like `eventually`, the limit only guards against a hang; `context` (the host's
 * output) goes into the failure so it says what happened meanwhile.
 */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, context: () => string = () => ''): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never reached: ${what}\n${context()}`);
}
