import { describe, expect, it } from 'vitest';
import { ManualClock, sleepUnlessAborted, TimerScope } from './clock.ts';

describe('TimerScope', () => {
  it('fires after/every only while running, and stop cancels everything pending', async () => {
    const clock = new ManualClock(0);
    const scope = new TimerScope(clock);
    const fired: string[] = [];
    scope.after(10, () => fired.push('before-start'));
    expect(scope.start()).toBe(true);
    expect(scope.start()).toBe(false);
    scope.after(10, () => fired.push(`once@${clock.now()}`));
    scope.every(25, () => fired.push(`tick@${clock.now()}`));
    await clock.advance(60);
    expect(fired).toEqual(['once@10', 'tick@25', 'tick@50']);
    scope.stop();
    expect(scope.running).toBe(false);
    await clock.advance(100);
    expect(fired).toHaveLength(3);
    // a restarted scope starts from nothing: the old ticker does not come back
    scope.start();
    await clock.advance(100);
    expect(fired).toHaveLength(3);
  });
});

describe('sleepUnlessAborted', () => {
  it('ends when the clock gets there, or at once when the signal aborts', async () => {
    const clock = new ManualClock(0);
    let slept = false;
    void sleepUnlessAborted(clock, 500).then(() => (slept = true));
    await clock.advance(499);
    expect(slept).toBe(false);
    await clock.advance(1);
    expect(slept).toBe(true);

    const abort = new AbortController();
    let cut = false;
    void sleepUnlessAborted(clock, 500, abort.signal).then(() => (cut = true));
    await clock.advance(100);
    abort.abort();
    await Promise.resolve();
    expect(cut).toBe(true);
    expect(clock.pendingTimers()).toBe(0); // its timer went with it

    await expect(sleepUnlessAborted(clock, 60_000, abort.signal)).resolves.toBeUndefined(); // already aborted
  });
});
