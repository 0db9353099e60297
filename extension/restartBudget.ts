/** How often a crashed server is restarted: at most `max` restarts in any `windowMs`. Pure, for tests. */
export const MAX_RESTARTS = 5;
export const RESTART_WINDOW_MS = 3 * 60_000;

export class RestartBudget {
  private readonly times: number[] = [];
  constructor(
    private readonly max = MAX_RESTARTS,
    private readonly windowMs = RESTART_WINDOW_MS,
  ) {}

  /** Records a crash at `now`; true when a restart is still allowed. */
  tryRestart(now: number): boolean {
    while (this.times.length > 0 && now - this.times[0] >= this.windowMs) this.times.shift();
    if (this.times.length >= this.max) return false;
    this.times.push(now);
    return true;
  }

  reset(): void {
    this.times.length = 0;
  }
}
