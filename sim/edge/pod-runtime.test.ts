import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import type { KubeObject } from '../kube/client.ts';
import { PodRuntime, type ImageCatalog, type PodStatus } from './pod-runtime.ts';

const MB = 2 ** 20;
const pod = (name: string, image: string, cpu = '100m', memory = '64Mi'): KubeObject => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { containers: [{ name: 'app', image, resources: { requests: { cpu, memory } } }] },
});
const catalog: ImageCatalog = (image) =>
  image.startsWith('arm-only') ? { sizeBytes: 10 * MB, architectures: ['arm64'] } : { sizeBytes: 30 * MB, architectures: 'any' };

function harness(rate: () => number, arch: 'amd64' | 'arm64' = 'amd64') {
  const clock = new ManualClock(1_700_000_000_000);
  const reports: { name: string; status: PodStatus; at: number }[] = [];
  const runtime = new PodRuntime({
    clock,
    capacity: { arch, cpuMillis: 1000, memoryBytes: 512 * MB, pods: 3 },
    images: catalog,
    linkBytesPerSecond: rate,
    onStatus: (_ns, name, status) => reports.push({ name, status, at: clock.now() }),
  });
  const runningAt = (name: string): number | undefined => reports.find((r) => r.name === name && r.status.phase === 'Running')?.at;
  return { clock, runtime, reports, runningAt };
}

describe('simulated pod runtime', () => {
  it('image pull takes at least size / link rate, then the pod runs and is Ready', async () => {
    const rate = 375_000; // 3 Mbit/s
    const h = harness(() => rate);
    const t0 = h.clock.now();
    h.runtime.apply(pod('web', 'nginx:1.27'));
    await h.clock.advance(80_000);
    expect(h.runningAt('web')).toBeUndefined(); // 30 MB cannot cross a 375 KB/s link in 80 s
    await h.clock.advance(10_000);
    const running = h.runningAt('web');
    expect(running).toBeDefined();
    const seconds = ((running ?? 0) - t0) / 1000;
    const floor = (30 * MB) / rate; // 83.9 s
    expect(seconds).toBeGreaterThanOrEqual(floor);
    expect(seconds).toBeLessThanOrEqual(floor + 1); // + container start; simulated time is exact
  });

  it('a pull stalls while the link is cut and resumes when it heals', async () => {
    let rate = 10 * MB;
    const h = harness(() => rate);
    rate = 0;
    h.runtime.apply(pod('web', 'nginx:1.27'));
    await h.clock.advance(600_000);
    expect(h.runningAt('web')).toBeUndefined();
    rate = 10 * MB;
    await h.clock.advance(10_000);
    expect(h.runningAt('web')).toBeDefined();
  });

  it('a second pod with a cached image starts without pulling again', async () => {
    const h = harness(() => MB);
    h.runtime.apply(pod('a', 'nginx:1.27'));
    await h.clock.advance(40_000);
    const t = h.clock.now();
    h.runtime.apply(pod('b', 'nginx:1.27'));
    await h.clock.advance(1000);
    expect((h.runningAt('b') ?? Infinity) - t).toBeLessThanOrEqual(1000);
  });

  it('an image not built for the node arch fails to pull with ErrImagePull naming the platform', async () => {
    const h = harness(() => 10 * MB, 'amd64');
    h.runtime.apply(pod('arm', 'arm-only/app:1'));
    await h.clock.advance(5000);
    const last = h.reports.filter((r) => r.name === 'arm').at(-1)?.status;
    expect(last?.phase).toBe('Pending');
    const waiting = last?.containerStatuses[0]?.state.waiting;
    expect(waiting?.reason).toBe('ErrImagePull');
    expect(waiting?.message).toMatch(/no match for platform in manifest.*linux\/amd64/);
    // the same image runs on an arm64 node
    const armNode = harness(() => 10 * MB, 'arm64');
    armNode.runtime.apply(pod('arm', 'arm-only/app:1'));
    await armNode.clock.advance(5000);
    expect(armNode.runningAt('arm')).toBeDefined();
  });

  it('a pod beyond allocatable CPU is rejected the way kubelet rejects it; one that fits is admitted', async () => {
    const h = harness(() => 10 * MB);
    h.runtime.apply(pod('big', 'nginx:1.27', '800m'));
    h.runtime.apply(pod('too-big', 'nginx:1.27', '300m'));
    await h.clock.advance(10_000);
    const rejected = h.reports.filter((r) => r.name === 'too-big').at(-1)?.status;
    expect(rejected?.phase).toBe('Failed');
    expect(rejected?.reason).toBe('OutOfcpu');
    expect(rejected?.message).toBe("Pod was rejected: Node didn't have enough resource: cpu, requested: 300, used: 800, capacity: 1000");
    expect(h.runningAt('big')).toBeDefined();
  });

  it('deleting a pod stops it; a deletionTimestamp counts as a delete', async () => {
    const h = harness(() => 10 * MB);
    h.runtime.apply(pod('a', 'nginx:1.27'));
    await h.clock.advance(10_000);
    expect(h.runtime.get('default', 'a')?.lifecycle).toBe('running');
    const p = pod('a', 'nginx:1.27');
    h.runtime.apply({ ...p, metadata: { ...p.metadata, deletionTimestamp: new Date().toISOString() } });
    expect(h.runtime.get('default', 'a')).toBeUndefined();
  });
});
