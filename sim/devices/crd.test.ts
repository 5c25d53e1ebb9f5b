import { describe, expect, it } from 'vitest';
import { EdgeproofError } from '../core/errors.ts';
import { desiredValuePatch, deviceFor, deviceModelFor, parseDevice, parseDeviceModel, withDesired, type DeviceObject } from './crd.ts';
import { loadDeviceCrdSchemas, validateObject, type CrdVersionSchema } from './crd-schema.ts';
import { deviceKinds, type DeviceKind } from './kinds.ts';

const schemas: CrdVersionSchema[] = loadDeviceCrdSchemas();
const endpoint = { ip: '127.0.0.1', port: 15020, slaveID: 3 };
const kinds = Object.keys(deviceKinds) as DeviceKind[];
const build = (kind: DeviceKind): DeviceObject => deviceFor({ name: `${kind}-1`, kind, nodeName: 'gate-node-1', ...(deviceKinds[kind].protocol === 'modbus' ? { endpoint } : {}) });

/** A copy of a JSON object with the value at a dotted path replaced (tests break objects on purpose). */
function edit(obj: object, ...changes: [string, unknown][]): unknown {
  const copy = structuredClone(obj) as Record<string, unknown>;
  for (const [path, value] of changes) {
    const keys = path.split('.');
    let at: Record<string, unknown> = copy;
    for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
    at[keys[keys.length - 1] ?? ''] = value;
  }
  return copy;
}

describe('the device CRDs of the pinned KubeEdge release', () => {
  it('are read from the module cache: Device, DeviceModel and (new in v1.23) DeviceStatus, v1beta1 served and stored', () => {
    for (const kind of ['Device', 'DeviceModel', 'DeviceStatus']) {
      const v = schemas.find((s) => s.kind === kind && s.version === 'v1beta1');
      expect(v, kind).toBeDefined();
      expect(v?.served && v.storage).toBe(true);
      expect(v?.group).toBe('devices.kubeedge.io');
      expect(v?.scope).toBe('Namespaced');
    }
    // v1.23 keeps twins in DeviceStatus: the Device's own status has no twins any more
    const device = schemas.find((s) => s.kind === 'Device' && s.version === 'v1beta1');
    expect(Object.keys(device?.schema.properties?.['status']?.properties ?? {})).not.toContain('twins');
    const status = schemas.find((s) => s.kind === 'DeviceStatus' && s.version === 'v1beta1');
    expect(Object.keys(status?.schema.properties?.['status']?.properties ?? {})).toContain('twins');
  });
});

describe('DeviceModel and Device builders', () => {
  it.each(kinds)('a %s model and device conform to the real CRD schema', (kind) => {
    expect(validateObject(schemas, deviceModelFor(kind))).toEqual([]);
    expect(validateObject(schemas, build(kind))).toEqual([]);
  });

  it('emit the Modbus keys KubeEdge mappers read: protocol ip/port/slaveID, visitor register/offset/limit/scale/isSwap/isRegisterSwap', () => {
    const gate = build('barrier-gate');
    expect(gate.spec.nodeName).toBe('gate-node-1');
    expect(gate.spec.deviceModelRef.name).toBe('barrier-gate');
    expect(gate.spec.protocol).toEqual({ protocolName: 'modbus', configData: endpoint });
    const count = gate.spec.properties.find((p) => p.name === 'vehicleCount');
    expect(count?.visitors).toEqual({ protocolName: 'modbus', configData: { register: 'InputRegister', offset: 0, limit: 2, scale: 1, isSwap: false, isRegisterSwap: false, dataType: 'int' } });
    expect(gate.spec.properties.find((p) => p.name === 'open')?.desired).toEqual({ value: 'false', metadata: { type: 'boolean' } });
    expect(gate.spec.properties.find((p) => p.name === 'state')?.desired).toBeUndefined();
    const model = deviceModelFor('barrier-gate');
    expect(model.spec.protocol).toBe('modbus');
    expect(model.spec.properties.find((p) => p.name === 'open')).toMatchObject({ type: 'BOOLEAN', accessMode: 'ReadWrite' });
    expect(model.spec.properties.find((p) => p.name === 'state')).toMatchObject({ type: 'INT', accessMode: 'ReadOnly' });
  });

  it('refuse a Modbus device without an endpoint, desired values for read-only properties, and unknown properties', () => {
    expect(() => deviceFor({ name: 'g', kind: 'barrier-gate', nodeName: 'n' })).toThrow(EdgeproofError);
    expect(() => deviceFor({ name: 'g', kind: 'barrier-gate', nodeName: 'n', endpoint, desired: { state: '2' } })).toThrow(/not a writable property/);
    expect(() => withDesired(build('barrier-gate'), { opened: 'true' })).toThrow(/no property opened/);
    const open = withDesired(build('barrier-gate'), { open: 'true' });
    expect(open.spec.properties.find((p) => p.name === 'open')?.desired?.value).toBe('true');
    expect(validateObject(schemas, open)).toEqual([]);
  });
});

describe('the structural check fails on objects the apiserver would reject or prune', () => {
  const gate = build('barrier-gate');
  const model = deviceModelFor('barrier-gate');
  const cases: [string, unknown, RegExp][] = [
    ['desired without its required value', edit(gate, ['spec.properties.0.desired', { metadata: { type: 'boolean' } }]), /spec\.properties\[0\]\.desired\.value: required/],
    ['collectCycle as a string', edit(gate, ['spec.properties.0.collectCycle', '1000']), /collectCycle: expected integer/],
    ['a fractional reportCycle', edit(gate, ['spec.properties.0.reportCycle', 1.5]), /reportCycle: expected integer/],
    ['a misspelt field that would be pruned', edit(gate, ['spec.properties.0.visitor', { protocolName: 'modbus' }]), /properties\[0\]\.visitor: unknown field/],
    ['v1alpha2 propertyVisitors in a v1beta1 object', edit(gate, ['spec.propertyVisitors', []]), /spec\.propertyVisitors: unknown field/],
    ['a desired metadata value that is not a string', edit(gate, ['spec.properties.0.desired.metadata', { timestamp: 1 }]), /metadata\.timestamp: expected string/],
    ['reportToCloud as a string', edit(gate, ['spec.properties.0.reportToCloud', 'true']), /reportToCloud: expected boolean/],
    ['an upper-case name', edit(gate, ['metadata.name', 'Gate-1']), /metadata\.name: invalid name/],
    ['a label value with spaces', edit(gate, ['metadata.labels', { description: 'a gate' }]), /metadata\.labels\.description/],
    ['an unserved apiVersion', edit(gate, ['apiVersion', 'devices.kubeedge.io/v1']), /no served CRD version/],
    ['a model property type outside the enum', edit(model, ['spec.properties.0.type', 'INTEGER']), /type: "INTEGER" is not one of/],
    ['an accessMode outside the enum', edit(model, ['spec.properties.0.accessMode', 'RW']), /accessMode: "RW" is not one of/],
    ['a model protocol that is not a string', edit(model, ['spec.protocol', { name: 'modbus' }]), /spec\.protocol: expected string/],
  ];
  it.each(cases)('%s', (_what, obj, pattern) => {
    const problems = validateObject(schemas, obj).map((v) => `${v.path}: ${v.message}`);
    expect(problems.join('\n')).toMatch(pattern);
  });

  it('but accepts anything under configData (x-kubernetes-preserve-unknown-fields)', () => {
    expect(validateObject(schemas, edit(gate, ['spec.properties.0.visitors.configData.vendorExtension', { any: ['thing'] }]))).toEqual([]);
  });
});

describe('reading the objects on the edge', () => {
  it('merges model visitors under instance visitors, key by key, like edgecore DMI (dmicache overrideDeviceInstanceConfig)', () => {
    const model = parseDeviceModel(
      edit(
        deviceModelFor('weighbridge'),
        ['spec.properties.0.visitors', { protocolName: 'modbus', configData: { register: 'InputRegister', offset: 0, limit: 2, isRegisterSwap: true } }],
        ['spec.protocolConfigData', { ip: '10.0.0.9', port: 502 }],
      ),
    );
    const device = parseDevice(
      edit(
        deviceFor({ name: 'wb', kind: 'weighbridge', nodeName: 'n', endpoint }),
        ['spec.properties.0.visitors', { protocolName: 'modbus', configData: { offset: 10 } }],
        ['spec.protocol.configData', { ip: '127.0.0.1', slaveID: 4 }],
      ),
      model,
    );
    expect(device.properties[0]?.visitorConfig).toEqual({ register: 'InputRegister', offset: 10, limit: 2, isRegisterSwap: true });
    expect(device.protocolConfig).toEqual({ ip: '127.0.0.1', port: 502, slaveID: 4 });
    expect(device.id).toBe('default/wb');
    expect(device.stateReport).toEqual({ reportToCloud: true, reportCycleMs: 10_000 });
  });

  it('refuses content that is not a Device', () => {
    expect(() => parseDevice('OK')).toThrow(EdgeproofError);
    expect(() => parseDevice({ metadata: {}, spec: {} })).toThrow(/metadata\.name/);
    expect(() => parseDeviceModel(null)).toThrow(EdgeproofError);
  });
});

describe('desiredValuePatch', () => {
  const props = deviceFor({ name: 'g', kind: 'barrier-gate', nodeName: 'n', endpoint: { ip: '127.0.0.1', port: 502, slaveID: 1 } }).spec.properties;

  it("replaces a property's desired value at its index in spec.properties", () => {
    expect(desiredValuePatch(props, 'open', 'true', 'g')).toEqual({ op: 'replace', path: '/spec/properties/0/desired/value', value: 'true' });
  });

  it('adds the desired block to a property that has none', () => {
    const i = props.findIndex((p) => p.name === 'state');
    expect(props[i]?.desired).toBeUndefined();
    expect(desiredValuePatch(props, 'state', '2', 'g')).toEqual({ op: 'add', path: `/spec/properties/${i}/desired`, value: { value: '2' } });
  });

  it('refuses a property the Device does not have', () => {
    expect(() => desiredValuePatch(props, 'opne', 'true', 'g')).toThrow(/device g has no property "opne"/);
  });
});
