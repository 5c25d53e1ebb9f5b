import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '../core/clock.ts';
import { entryProblem, MemoryJournal, type EntryOf, type JournalEntry } from '../evidence/journal.ts';
import type { KubeCall } from '../kube/client.ts';
import type { LinkBytes } from '../network/link-meter.ts';
import { MetricsSampler, type MetricsSamplerOptions, type MetricsSources, type ProcessUsage } from './metrics-sampler.ts';

type Metric = EntryOf<'metric'>;

/** The sampler on a manual clock and an in-memory journal, with fake sources the test moves by hand. */
function rig(sources: MetricsSources, options: Partial<MetricsSamplerOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const journal = new MemoryJournal(clock);
  const sampler = new MetricsSampler({ journal, clock, sources, intervalMs: 5000, ...options });
  const metrics = (): Metric[] => journal.entries.filter((e): e is Metric => e.op === 'metric');
  const values = (metric: string, link?: string): number[] => metrics().filter((e) => e.metric === metric && e.link === link).map((e) => e.value);
  return { clock, journal, sampler, metrics, values };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('MetricsSampler: processes', () => {
  it('journals RSS every interval and CPU in cores over each interval, from the second sample of a pid on', async () => {
    let usage: ProcessUsage = { rssBytes: 100, cpuSeconds: 10 };
    const { clock, sampler, values } = rig({
      processes: [{ rssMetric: 'cloudcore_rss_bytes', cpuMetric: 'cloudcore_cpu_cores', pid: () => 42 }],
      readProcess: (pid) => (pid === 42 ? usage : undefined),
    });
    sampler.start();
    usage = { rssBytes: 200, cpuSeconds: 12.5 };
    await clock.advance(5000);
    usage = { rssBytes: 300, cpuSeconds: 12.5 };
    await clock.advance(5000);
    usage = { rssBytes: 300, cpuSeconds: 22.5 };
    await clock.advance(5000);
    sampler.stop();
    expect(values('cloudcore_rss_bytes')).toEqual([100, 200, 300, 300]);
    // 2.5 CPU-seconds in 5 s, then idle, then 10 CPU-seconds in 5 s: two cores busy
    expect(values('cloudcore_cpu_cores')).toEqual([0.5, 0, 2]);
  });

  it('starts CPU afresh when the process is restarted (new pid) and samples nothing while it is down', async () => {
    let pid: number | undefined = 1;
    let usage: ProcessUsage = { rssBytes: 10, cpuSeconds: 50 };
    const { clock, sampler, values } = rig({
      processes: [{ rssMetric: 'kube_apiserver_rss_bytes', cpuMetric: 'kube_apiserver_cpu_cores', pid: () => pid }],
      readProcess: () => usage,
    });
    sampler.start();
    pid = undefined; // killed
    await clock.advance(5000);
    pid = 2; // restarted: its CPU time starts again near 0
    usage = { rssBytes: 20, cpuSeconds: 1 };
    await clock.advance(5000);
    usage = { rssBytes: 30, cpuSeconds: 2 };
    await clock.advance(5000);
    pid = 3; // restarted between two samples, and already busier than its predecessor was
    usage = { rssBytes: 40, cpuSeconds: 3 };
    await clock.advance(5000);
    sampler.stop();
    expect(values('kube_apiserver_rss_bytes')).toEqual([10, 20, 30, 40]);
    // no sample spans a restart (50 → 1 would be negative; 2 → 3 across pids would claim 0.2 cores): only 1 → 2 s
    expect(values('kube_apiserver_cpu_cores')).toEqual([0.2]);
  });
});

describe('MetricsSampler: links', () => {
  it('journals fleet totals every interval, rates between samples, and each link when it changed', async () => {
    const links = new Map<string, LinkBytes>([
      ['s1', { up: 0, down: 0 }],
      ['s2', { up: 0, down: 0 }],
    ]);
    const { clock, sampler, values } = rig({ links: () => links });
    sampler.start();
    links.set('s1', { up: 5000, down: 50_000 });
    links.set('s2', { up: 2500, down: 0 });
    await clock.advance(5000);
    links.set('s1', { up: 5000, down: 60_000 });
    await clock.advance(5000);
    await clock.advance(5000);
    sampler.stop();
    expect(values('link_up_bytes_total')).toEqual([0, 7500, 7500, 7500]);
    expect(values('link_down_bytes_total')).toEqual([0, 50_000, 60_000, 60_000]);
    expect(values('link_up_bytes_per_second')).toEqual([1500, 0, 0]);
    expect(values('link_down_bytes_per_second')).toEqual([10_000, 2000, 0]);
    expect(values('link_down_bytes_total', 's1')).toEqual([0, 50_000, 60_000]);
    expect(values('link_up_bytes_total', 's2')).toEqual([0, 2500]);
  });

  it('rates and CPU use the time that really passed: a timer firing late (a busy event loop) does not inflate them', async () => {
    const clock = new ManualClock(0);
    // every timer fires 3 s after it was due
    const lateClock: Clock = { now: () => clock.now(), setTimeout: (fn, ms) => clock.setTimeout(fn, ms + 3000), sleep: (ms) => clock.sleep(ms + 3000) };
    const journal = new MemoryJournal(clock);
    let bytes: LinkBytes = { up: 0, down: 0 };
    let cpuSeconds = 0;
    const sampler = new MetricsSampler({
      journal,
      clock: lateClock,
      intervalMs: 2000,
      sources: {
        links: () => [['v1', bytes]],
        processes: [{ rssMetric: 'cloudcore_rss_bytes', cpuMetric: 'cloudcore_cpu_cores', pid: () => 1 }],
        readProcess: () => ({ rssBytes: 1, cpuSeconds }),
      },
    });
    sampler.start();
    bytes = { up: 10_000, down: 5000 };
    cpuSeconds = 2.5;
    await clock.advance(5000);
    sampler.stop();
    const values = (metric: string): number[] => journal.entries.flatMap((e) => (e.op === 'metric' && e.metric === metric && e.link === undefined ? [e.value] : []));
    expect(values('link_up_bytes_per_second')).toEqual([2000]);
    expect(values('link_down_bytes_per_second')).toEqual([1000]);
    expect(values('cloudcore_cpu_cores')).toEqual([0.5]);
  });

  it('keeps to the fleet figures above perLinkLimit links', () => {
    const links = Array.from({ length: 5 }, (_, i) => [`v${i}`, { up: i, down: i }] as const);
    const { sampler, metrics } = rig({ links: () => links }, { perLinkLimit: 4 });
    sampler.start();
    sampler.stop();
    expect(metrics().filter((m) => m.link !== undefined)).toEqual([]);
    expect(metrics().find((m) => m.metric === 'link_up_bytes_total')?.value).toBe(10);
  });
});

describe('MetricsSampler: API latency', () => {
  it('probes once per interval, never twice at a time, and records nothing for a probe that failed', async () => {
    const pending: { resolve: (ms: number) => void; reject: (e: Error) => void }[] = [];
    const { clock, sampler, values } = rig({
      probeApi: () => new Promise<number>((resolve, reject) => pending.push({ resolve, reject })),
    });
    sampler.start();
    expect(pending).toHaveLength(1);
    await clock.advance(5000); // the first is still waiting: no second probe
    expect(pending).toHaveLength(1);
    pending[0]?.resolve(7.25);
    await settle();
    await clock.advance(5000);
    expect(pending).toHaveLength(2);
    pending[1]?.reject(new Error('connection refused'));
    await settle();
    await clock.advance(5000);
    expect(pending).toHaveLength(3);
    pending[2]?.resolve(3.333);
    await settle();
    sampler.stop();
    expect(values('kube_api_probe_ms')).toEqual([7.25, 3.33]);
  });

  it('journals each answered request of the bench as a read or a write, at most maxCallsPerInterval per interval', async () => {
    const listeners = new Set<(c: KubeCall) => void>();
    const calls = { onCall: (l: (c: KubeCall) => void) => (listeners.add(l), () => listeners.delete(l)) };
    const call = (method: string, status: number, ms: number): void => {
      for (const l of listeners) l({ method, path: '/api/v1/pods', status, ms });
    };
    const { clock, sampler, values } = rig({ apiCalls: calls }, { maxCallsPerInterval: 3 });
    sampler.start();
    call('GET', 200, 1.5);
    call('PATCH', 200, 12);
    call('GET', 0, 30_000); // no answer: an outage, not a latency (and not counted against the cap)
    call('DELETE', 404, 4);
    call('GET', 200, 99); // over the cap for this interval
    await clock.advance(5000);
    call('GET', 200, 2);
    sampler.stop();
    call('GET', 200, 5); // after stop: not heard
    expect(values('kube_api_read_ms')).toEqual([1.5, 2]);
    expect(values('kube_api_write_ms')).toEqual([12, 4]);
    expect(listeners.size).toBe(0);
  });
});

describe('MetricsSampler: lifecycle', () => {
  it('stop() leaves no timer, releases the sources, and a probe answering later writes nothing', async () => {
    let answer: ((ms: number) => void) | undefined;
    let closed = 0;
    const { clock, journal, sampler } = rig({
      processes: [{ rssMetric: 'cloudcore_rss_bytes', cpuMetric: 'cloudcore_cpu_cores', pid: () => 1 }],
      readProcess: () => ({ rssBytes: 1, cpuSeconds: 1 }),
      probeApi: () => new Promise<number>((resolve) => (answer = resolve)),
      close: () => closed++,
    });
    sampler.start();
    sampler.start(); // idempotent: one timer, one baseline
    expect(clock.pendingTimers()).toBe(1);
    const before = journal.entries.length;
    sampler.stop();
    sampler.stop();
    expect(clock.pendingTimers()).toBe(0);
    expect(closed).toBe(1);
    answer?.(5);
    await settle();
    await clock.advance(60_000);
    expect(journal.entries.length).toBe(before);
  });

  it('every line it writes is a valid journal entry', async () => {
    let t = 0;
    const { clock, journal, sampler } = rig({
      processes: [{ rssMetric: 'cloudcore_rss_bytes', cpuMetric: 'cloudcore_cpu_cores', pid: () => 1 }],
      readProcess: () => ({ rssBytes: 1000 + t, cpuSeconds: t }),
      links: () => [['uplink-a', { up: t * 10, down: t * 20 }]],
      probeApi: () => Promise.resolve(2),
    });
    sampler.start();
    for (t = 1; t < 4; t++) {
      await clock.advance(5000);
      await settle();
    }
    sampler.stop();
    const ops = new Set(journal.entries.map((e: JournalEntry) => e.op));
    expect([...ops]).toEqual(['metric']);
    for (const e of journal.entries) expect(entryProblem(JSON.parse(JSON.stringify(e)) as unknown), JSON.stringify(e)).toBeUndefined();
    expect(new Set(journal.entries.map((e) => (e.op === 'metric' ? e.metric : '')))).toEqual(
      new Set(['cloudcore_rss_bytes', 'cloudcore_cpu_cores', 'link_up_bytes_total', 'link_down_bytes_total', 'link_up_bytes_per_second', 'link_down_bytes_per_second', 'kube_api_probe_ms']),
    );
  });
});

describe('MetricsSampler: the simulator itself', () => {
  it('journals its event-loop delay every interval and remembers the worst, so a saturated bench can be named', async () => {
    const delays = [3, 2_400, 15];
    const { clock, sampler, values, journal } = rig({ eventLoopDelayP99Ms: () => delays.shift() });
    sampler.start();
    await clock.advance(5000);
    await clock.advance(5000);
    await clock.advance(5000);
    sampler.stop();
    expect(values('bench_event_loop_delay_p99_ms')).toEqual([3, 2_400, 15]);
    expect(sampler.worstEventLoopDelayMs).toBe(2_400);
    for (const e of journal.entries) expect(entryProblem(e)).toBeUndefined();
    expect(journal.entries.filter((e) => e.op === 'metric').every((e) => e.source === 'bench')).toBe(true);
  });

  it('reports no delay when the source has none', async () => {
    const { clock, sampler, values } = rig({});
    sampler.start();
    await clock.advance(5000);
    sampler.stop();
    expect(values('bench_event_loop_delay_p99_ms')).toEqual([]);
    expect(sampler.worstEventLoopDelayMs).toBe(0);
  });
});
