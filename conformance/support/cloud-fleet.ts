import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type StartedStack } from '../../sim/components/stack.ts';
import { systemClock } from '../../sim/core/clock.ts';
import { silentProgress } from '../../sim/core/progress.ts';
import { seededRandom } from '../../sim/core/random.ts';
import { MqttEventBus } from '../../sim/devices/mqtt-bus.ts';
import type { EdgeDefects, EdgeEvent, EdgeNodeDeviceOptions } from '../../sim/edge/edge-node.ts';
import type { ImageCatalog } from '../../sim/edge/pod-runtime.ts';
import { loadHardwareProfile } from '../../sim/edge/profile.ts';
import { RunningFleet, type FleetMember } from '../../sim/fleet/running-fleet.ts';
import { Network } from '../../sim/network/network.ts';
import type { KubeObject } from '../../sim/kube/client.ts';

export interface CloudFleet {
  readonly stack: StartedStack;
  readonly fleet: RunningFleet;
  readonly network: Network;
  readonly events: { node: string; event: EdgeEvent; at: number }[];
  stop(): Promise<void>;
}

export const testImages: ImageCatalog = (image) => {
  if (image.includes('arm64-only')) return { sizeBytes: 20 * 2 ** 20, architectures: ['arm64'] };
  return { sizeBytes: 20 * 2 ** 20, architectures: 'any' };
};

/** The real stack (control plane + CloudCore + Toxiproxy) and a small fleet of simulated nodes behind uplinks. */
export async function startCloudFleet(opts: {
  members: (profiles: { arm: ReturnType<typeof loadHardwareProfile>; x86: ReturnType<typeof loadHardwareProfile> }) => FleetMember[];
  nodeGraceSeconds?: number;
  defects?: (node: string) => EdgeDefects | undefined;
  devices?: EdgeNodeDeviceOptions;
  /** Give the nodes an MQTT eventbus on the stack's Mosquitto (MQTT devices publish there). */
  eventbus?: boolean;
}): Promise<CloudFleet> {
  const stack = await startStack({
    backend: { kind: 'local' },
    cloud: 'kubeedge',
    stateDir: mkdtempSync(join(tmpdir(), 'edgeproof-cloud-')),
    controlPlane: { nodeMonitorGracePeriodSeconds: opts.nodeGraceSeconds ?? 15, nodeMonitorPeriodSeconds: 2 },
    progress: silentProgress,
  });
  const cloudcore = stack.cloudcore;
  if (cloudcore === undefined) throw new Error('CloudCore did not start');
  const network = new Network(stack.toxiproxy);
  const events: CloudFleet['events'] = [];
  const profiles = { arm: loadHardwareProfile('fixtures/hardware/arm-gate-4c-1g.yaml'), x86: loadHardwareProfile('fixtures/hardware/x86-ipc-8c-16g.yaml') };
  let bus: MqttEventBus | undefined;
  try {
    if (opts.eventbus === true) bus = await MqttEventBus.connect(stack.mqtt.url);
    const devices: EdgeNodeDeviceOptions | undefined = bus !== undefined ? { ...opts.devices, bus } : opts.devices;
    const fleet = await RunningFleet.create({
      members: opts.members(profiles),
      cloud: cloudcore,
      network,
      stateDir: join(stack.stateDir, 'fleet'),
      clock: systemClock,
      random: seededRandom(1),
      reconnect: { kind: 'fixed', delayMs: 2000 },
      images: testImages,
      ...(opts.defects !== undefined ? { defects: opts.defects } : {}),
      ...(devices !== undefined ? { devices } : {}),
      onEvent: (node, event) => events.push({ node, event, at: Date.now() }),
    });
    await fleet.startAll();
    return {
      stack,
      fleet,
      network,
      events,
      stop: async () => {
        await fleet.stopAll();
        await bus?.close();
        await stack.stop();
      },
    };
  } catch (e) {
    await bus?.close();
    await stack.stop();
    throw e;
  }
}

interface Condition { type: string; status: string }
export const nodeReady = (n: KubeObject): string | undefined =>
  ((n['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready')?.status;

export const podPhase = (p: KubeObject): string | undefined => (p['status'] as { phase?: string } | undefined)?.phase;
