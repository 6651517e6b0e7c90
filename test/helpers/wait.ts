/**
 * Polls a condition until it holds or the deadline passes. Tests wait on observable state, never on
 * fixed sleeps, so they are as fast as the system and fail with a message instead of hanging.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; message?: string | (() => string) } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const msg = typeof opts.message === 'function' ? opts.message() : (opts.message ?? 'condition');
      const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`waitFor timed out after ${timeoutMs} ms waiting for ${msg}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
