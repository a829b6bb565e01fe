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
