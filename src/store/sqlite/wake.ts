/**
 * The in-process wake: one SQLite file serves one hooklane process, so "new work may be due" only
 * has to reach listeners in this process. Fired after a commit, never inside a transaction.
 * Polling stays the correctness floor; this only cuts latency.
 */
export class Wake {
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  fire(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
