import { describe, expect, it } from 'vitest';
import { EdgeproofError } from '../core/errors.ts';
import { YamlInput } from '../core/yaml-input.ts';
import { loadHardwareProfiles, parseHardwareProfile } from './profile.ts';

const parse = (text: string): ReturnType<typeof parseHardwareProfile> => parseHardwareProfile(YamlInput.parse('box.yaml', text, 'E_BAD_PROFILE'));
const failure = (text: string): EdgeproofError => {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof EdgeproofError) return e;
    throw e;
  }
  throw new Error('expected the profile to be rejected');
};

describe('hardware profiles', () => {
  it('the shipped profiles load: a 4-core ARM box with 1 GB, an x86 industrial PC, a vehicle computer', () => {
    const profiles = loadHardwareProfiles('fixtures/hardware');
    const arm = profiles.get('arm-gate-4c-1g');
    expect(arm).toMatchObject({ arch: 'arm64', cpuMillis: 4000, memoryBytes: 2 ** 30 });
    expect(profiles.get('x86-ipc-8c-16g')).toMatchObject({ arch: 'amd64', cpuMillis: 8000 });
    expect(profiles.get('vehicle-computer-arm-8c-8g')?.labels['edgeproof.io/class']).toBe('vehicle');
  });

  it('mistakes are bad input naming file:line:col, the field and a fix', () => {
    const base = 'name: b\narch: arm64\ncpu: "4"\nmemory: 1Gi\n';
    const unknown = failure(`${base}colour: red\n`);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.where).toBe('box.yaml:5:1');
    expect(unknown.message).toContain('unknown key "colour"');
    expect(failure('name: b\narch: sparc\ncpu: "4"\nmemory: 1Gi\n').where).toBe('box.yaml:2:7');
    expect(failure('name: b\narch: arm64\ncpu: lots\nmemory: 1Gi\n').message).toContain('cpu: expected a CPU quantity');
    expect(failure('name: b\narch: arm64\ncpu: "4"\nmemory: -1Gi\n').where).toBe('box.yaml:4:9');
    const syntax = failure('name: b\narch: [arm64\n');
    expect(syntax.message).toMatch(/YAML syntax/);
    expect(syntax.where).toMatch(/^box\.yaml:\d+:\d+$/);
  });
});
