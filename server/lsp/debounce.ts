/**
 * Coalesces bursts of events (a `git checkout` touching 10,000 files arrives as many watcher
 * notifications) into one call. Trailing edge: each push restarts the quiet-period timer; `maxWaitMs`
 * bounds the delay under a never-ending stream. Timers are injected so tests run without waiting.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => Date.now(),
};

/** Quiet period after the last file event before re-analysing. */
export const DEFAULT_DEBOUNCE_MS = 500;
/** Longest a re-run waits while events keep coming. */
export const DEFAULT_MAX_WAIT_MS = 5_000;

export class Debouncer<K> {
  private pending = new Set<K>();
  private handle: unknown = null;
  private firstAt = 0;

  constructor(
    private readonly fire: (keys: ReadonlySet<K>) => void,
    private readonly delayMs = DEFAULT_DEBOUNCE_MS,
    private readonly maxWaitMs = DEFAULT_MAX_WAIT_MS,
    private readonly timers: Timers = realTimers,
  ) {}

  push(...keys: K[]): void {
    if (this.pending.size === 0 && this.handle === null) this.firstAt = this.timers.now();
    for (const k of keys) this.pending.add(k);
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    const waited = this.timers.now() - this.firstAt;
    const delay = Math.max(0, Math.min(this.delayMs, this.maxWaitMs - waited));
    this.handle = this.timers.setTimeout(() => this.flush(), delay);
  }

  /** Fires now with everything pending (no-op when nothing is). */
  flush(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
    if (this.pending.size === 0) return;
    const keys = this.pending;
    this.pending = new Set();
    this.fire(keys);
  }

  get isPending(): boolean {
    return this.pending.size > 0;
  }

  dispose(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
    this.pending.clear();
  }
}
