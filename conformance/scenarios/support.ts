/** Shared by the scenario suites: profiles loaded once, and helpers that load text and catch the error. */
import { EdgeproofError } from '../../sim/core/errors.ts';
import { loadHardwareProfiles, type HardwareProfile } from '../../sim/edge/profile.ts';
import { loadLinkProfiles, type LinkProfile } from '../../sim/network/link-profile.ts';
import { defaultHardwareProfileDir, parseScenario, type LoadOptions } from '../../sim/scenario/loader.ts';
import type { Scenario } from '../../sim/scenario/types.ts';

let cached: { hardwareProfiles: ReadonlyMap<string, HardwareProfile>; linkProfiles: ReadonlyMap<string, LinkProfile> } | undefined;

export function profiles(): { hardwareProfiles: ReadonlyMap<string, HardwareProfile>; linkProfiles: ReadonlyMap<string, LinkProfile> } {
  cached ??= { hardwareProfiles: loadHardwareProfiles(defaultHardwareProfileDir()), linkProfiles: loadLinkProfiles() };
  return cached;
}

export function parse(text: string, file = 's.yaml', opts: Omit<LoadOptions, 'hardwareProfiles' | 'linkProfiles'> = {}): Scenario {
  return parseScenario(file, text, { ...profiles(), ...opts });
}

/** The error loading `text` gives (fails the test if it loads). */
export function failure(text: string, file = 's.yaml'): EdgeproofError {
  try {
    parse(text, file);
  } catch (e) {
    if (e instanceof EdgeproofError) return e;
    throw e;
  }
  throw new Error(`expected the scenario to be rejected:\n${text}`);
}

/** A small valid scenario; line numbers matter to the error tests (line N of the text is BASE_LINES[N-1]). */
export const base = `# yaml-language-server: $schema=./schema.json
name: base
seed: 5
duration: 3m
fleet:
  provinces:
    - { name: p01, region: east, stations: 3, gatesPerStation: 3 }
    - { name: p02, region: west, stations: 2, gatesPerStation: 2 }
  gateHardware: { arm-gate-4c-1g: 50%, x86-ipc-8c-16g: 50% }
  vehicles:
    - group: v
      count: 4
      hardware: vehicle-computer-arm-8c-8g
      routes:
        - name: ring
          legs: [{ cell: city, for: 30s }, { cell: tunnel, for: 10s }]
links:
  stationUplink: toll-uplink-3mbit-lossy
  cells: { city: lte, tunnel: no-coverage }
workloads:
  - name: tolling
    kind: DaemonSet
    select: gate
    image: { name: registry.local/tolling:1.0, size: 50MB, arch: [amd64, arm64] }
timeline:
  - at: 30s
    partition: { select: "province=p01 share=50%", for: 1m }
  - at: 1m
    churn: { select: "vehicle share=50%", over: 10s, offline: 20s..40s }
guarantees:
  sync.converge: { within: 60s }
`;

/** `base` with line `n` (1-based) replaced. */
export function withLine(n: number, line: string, text = base): string {
  const lines = text.split('\n');
  lines[n - 1] = line;
  return lines.join('\n');
}

/** `base` with `extra` lines inserted after line `n`. */
export function insertAfter(n: number, extra: string, text = base): string {
  const lines = text.split('\n');
  lines.splice(n, 0, ...extra.split('\n'));
  return lines.join('\n');
}
