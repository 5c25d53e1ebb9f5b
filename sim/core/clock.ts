/**
 * Time is injected everywhere a behaviour depends on it (heartbeats, backoff, fault timelines), so the same
 * code runs on the wall clock against real processes and on a manual clock in fast deterministic tests.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(handle) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** `clock.sleep(ms)` that ends at once when `signal` aborts (or has aborted): waits a Ctrl-C must cut short. */
export function sleepUnlessAborted(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const onAbort = (): void => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to. Timers fire in time order, ties in scheduling order. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private queue: Scheduled[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const entry: Scheduled = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.queue.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Advance time by `ms`, firing every timer due on the way (including ones scheduled while advancing). */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.current = next.at;
      next.cancelled = true;
      next.fn();
      // let promise continuations scheduled by the timer run before the next one fires
      await Promise.resolve();
      await Promise.resolve();
    }
    this.current = target;
  }

  pendingTimers(): number {
    return this.queue.filter((e) => !e.cancelled).length;
  }

  private nextDue(limit: number): Scheduled | undefined {
    this.queue = this.queue.filter((e) => !e.cancelled);
    let best: Scheduled | undefined;
    for (const e of this.queue) {
      if (e.at > limit) continue;
      if (best === undefined || e.at < best.at || (e.at === best.at && e.seq < best.seq)) best = e;
    }
    return best;
  }
}

/**
 * Timers that end together: `after` and `every` fire only while the scope is running, and `stop` cancels all
 * of them at once — the life of a device's firmware or a publisher loop.
 */
export class TimerScope {
  private readonly timers = new Set<Timer>();
  private active = false;

  constructor(private readonly clock: Clock) {}

  get running(): boolean {
    return this.active;
  }

  /** Open the scope; false when it was already running. */
  start(): boolean {
    if (this.active) return false;
    this.active = true;
    return true;
  }

  stop(): void {
    this.active = false;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }

  after(ms: number, fn: () => void): void {
    if (!this.active) return;
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      if (this.active) fn();
    }, ms);
    this.timers.add(timer);
  }

  every(ms: number, fn: () => void): void {
    const tick = (): void => {
      fn();
      this.after(ms, tick);
    };
    this.after(ms, tick);
  }
}
