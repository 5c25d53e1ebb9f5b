import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseBytes, parseCpuMillis, YamlInput } from '../core/yaml-input.ts';

export type Arch = 'amd64' | 'arm64' | 'arm';
const arches: readonly Arch[] = ['amd64', 'arm64', 'arm'];

/** A hardware profile: what an edge box is and what it can hold (fixtures/hardware/*.yaml). */
export interface HardwareProfile {
  readonly name: string;
  readonly description: string;
  readonly vendor: string;
  readonly arch: Arch;
  readonly os: 'linux';
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly maxPods: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly agentBudget: { readonly memoryBytes: number; readonly cpuMillis: number };
}

const knownKeys = new Set(['name', 'description', 'vendor', 'arch', 'os', 'cpu', 'memory', 'maxPods', 'labels', 'agentBudget']);

export function parseHardwareProfile(input: YamlInput): HardwareProfile {
  const v = input.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw input.error([], 'a hardware profile must be a mapping', 'start the file with `name: <profile>` and the fields of fixtures/hardware/arm-gate-4c-1g.yaml');
  }
  const obj = v as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!knownKeys.has(key)) throw input.error([key], `unknown key "${key}"`, `remove it; known keys: ${[...knownKeys].join(', ')}`, true);
  }
  const str = (key: string, fallback?: string): string => {
    const x = obj[key];
    if (x === undefined && fallback !== undefined) return fallback;
    if (typeof x !== 'string' || x === '') throw input.error([key], `expected a non-empty string, got ${JSON.stringify(x)}`, `set ${key}: <text>`);
    return x;
  };
  const arch = str('arch');
  if (!arches.includes(arch as Arch)) throw input.error(['arch'], `unknown arch "${arch}"`, `use one of ${arches.join(', ')}`);
  const os = str('os', 'linux');
  if (os !== 'linux') throw input.error(['os'], `unsupported os "${os}"`, 'use linux');
  const cpuRaw = obj['cpu'];
  const cpuMillis = typeof cpuRaw === 'string' || typeof cpuRaw === 'number' ? parseCpuMillis(cpuRaw) : undefined;
  if (cpuMillis === undefined || cpuMillis <= 0) throw input.error(['cpu'], `expected a CPU quantity such as "4" or "3500m", got ${JSON.stringify(cpuRaw)}`, 'set cpu: "4"');
  const memRaw = obj['memory'];
  const memoryBytes = typeof memRaw === 'string' || typeof memRaw === 'number' ? parseBytes(memRaw) : undefined;
  if (memoryBytes === undefined || memoryBytes <= 0) throw input.error(['memory'], `expected a memory quantity such as 1Gi or 512Mi, got ${JSON.stringify(memRaw)}`, 'set memory: 1Gi');
  const maxPods = obj['maxPods'] ?? 110;
  if (typeof maxPods !== 'number' || !Number.isInteger(maxPods) || maxPods <= 0) throw input.error(['maxPods'], `expected a positive integer, got ${JSON.stringify(maxPods)}`, 'set maxPods: 110');
  const labelsRaw = obj['labels'] ?? {};
  if (typeof labelsRaw !== 'object' || labelsRaw === null || Array.isArray(labelsRaw)) throw input.error(['labels'], 'expected a mapping of label keys to values', 'labels: { key: value }');
  const labels: Record<string, string> = {};
  for (const [k, val] of Object.entries(labelsRaw)) {
    if (typeof val !== 'string') throw input.error(['labels', k], `label values must be strings, got ${JSON.stringify(val)}`, `quote it: ${k}: "${String(val)}"`);
    labels[k] = val;
  }
  const budgetRaw = (obj['agentBudget'] ?? {}) as Record<string, unknown>;
  const budgetMem = parseBytes((budgetRaw['memory'] as string | number | undefined) ?? '70Mi');
  const budgetCpu = parseCpuMillis((budgetRaw['cpu'] as string | number | undefined) ?? '200m');
  if (budgetMem === undefined) throw input.error(['agentBudget', 'memory'], 'expected a memory quantity', 'e.g. memory: 70Mi');
  if (budgetCpu === undefined) throw input.error(['agentBudget', 'cpu'], 'expected a CPU quantity', 'e.g. cpu: 200m');
  return {
    name: str('name'),
    description: str('description', ''),
    vendor: str('vendor', 'unknown'),
    arch: arch as Arch,
    os: 'linux',
    cpuMillis,
    memoryBytes,
    maxPods,
    labels,
    agentBudget: { memoryBytes: budgetMem, cpuMillis: budgetCpu },
  };
}

export function loadHardwareProfile(file: string): HardwareProfile {
  return parseHardwareProfile(YamlInput.load(file, 'E_BAD_PROFILE'));
}

/** Every profile shipped in a directory, by name. */
export function loadHardwareProfiles(dir: string): ReadonlyMap<string, HardwareProfile> {
  const out = new Map<string, HardwareProfile>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    const p = loadHardwareProfile(join(dir, f));
    out.set(p.name, p);
  }
  return out;
}
