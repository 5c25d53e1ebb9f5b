/**
 * KubeEdge's own device objects, `devices.kubeedge.io/v1beta1` DeviceModel and Device as the pinned release
 * (v1.23.1 with api v1.23.0, apis/devices/v1beta1) defines them, built from the device kinds in kinds.ts, and
 * the edge-side reading of those objects (what the DMI hands a mapper).
 *
 * Shapes (api v1.23.0 device_instance_types.go / device_model_types.go):
 * - Device.spec: deviceModelRef{name}, nodeName, protocol{protocolName, configData{…free-form}},
 *   properties[{name, desired{value, metadata}, visitors{protocolName, configData}, collectCycle, reportCycle
 *   (ms), reportToCloud, pushMethod}], methods[], stateReport{reportToCloud, reportCycle}. No status: v1.23
 *   keeps it in the separate DeviceStatus CRD, which CloudCore creates and patches.
 * - DeviceModel.spec: protocol, protocolConfigData, properties[{name, description, type INT|FLOAT|DOUBLE|STRING|
 *   BOOLEAN|BYTES|STREAM, accessMode ReadWrite|ReadOnly, minimum, maximum, unit, visitors}].
 * - Modbus keys (v1beta1 proposal docs/proposals/sig-device-iot/device-crd-v1beta1.md and mappers-go): protocol
 *   configData `ip`, `port`, `slaveID`; visitor configData `register` (CoilRegister|DiscreteInputRegister|
 *   InputRegister|HoldingRegister), `offset`, `limit`, `scale`, `isSwap`, `isRegisterSwap`, plus `dataType`,
 *   which mapper-framework drivers read.
 */
import { EdgeproofError } from '../core/errors.ts';
import type { KubeObject } from '../kube/client.ts';
import { deviceKinds, type DeviceKind, type ModbusVisitor, type PropertySpec, type PropertyType } from './kinds.ts';

export const DEVICES_GROUP = 'devices.kubeedge.io';
export const DEVICES_API_VERSION = 'devices.kubeedge.io/v1beta1';

export interface TwinPropertyJson {
  readonly value: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface VisitorConfigJson {
  readonly protocolName?: string;
  readonly configData?: Readonly<Record<string, unknown>>;
}

export interface DevicePropertyJson {
  readonly name: string;
  readonly desired?: TwinPropertyJson;
  readonly visitors?: VisitorConfigJson;
  readonly reportCycle?: number;
  readonly collectCycle?: number;
  readonly reportToCloud?: boolean;
}

export interface DeviceObject extends KubeObject {
  readonly apiVersion: typeof DEVICES_API_VERSION;
  readonly kind: 'Device';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Readonly<Record<string, string>>; readonly resourceVersion?: string; readonly uid?: string };
  readonly spec: {
    readonly deviceModelRef: { readonly name: string };
    readonly nodeName: string;
    readonly protocol: { readonly protocolName: string; readonly configData?: Readonly<Record<string, unknown>> };
    readonly properties: readonly DevicePropertyJson[];
    readonly stateReport?: { readonly reportToCloud: boolean; readonly reportCycle: number };
  };
}

export interface ModelPropertyJson {
  readonly name: string;
  readonly description?: string;
  readonly type: PropertyType;
  readonly accessMode: 'ReadWrite' | 'ReadOnly';
  readonly minimum?: string;
  readonly maximum?: string;
  readonly unit?: string;
  readonly visitors?: VisitorConfigJson;
}

export interface DeviceModelObject extends KubeObject {
  readonly apiVersion: typeof DEVICES_API_VERSION;
  readonly kind: 'DeviceModel';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly resourceVersion?: string };
  readonly spec: {
    readonly protocol: string;
    readonly protocolConfigData?: Readonly<Record<string, unknown>>;
    readonly properties: readonly ModelPropertyJson[];
  };
}

/** Where a Modbus device answers: the simulator's (or gateway's) address and the device's unit id. */
export interface ModbusEndpoint {
  readonly ip: string;
  readonly port: number;
  readonly slaveID: number;
}

export interface DeviceBuildSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly kind: DeviceKind;
  /** The gate node the device is bound to (spec.nodeName). */
  readonly nodeName: string;
  /** Required for Modbus kinds. */
  readonly endpoint?: ModbusEndpoint;
  /** Desired values by property (ReadWrite properties; defaults from the kind). */
  readonly desired?: Readonly<Record<string, string>>;
  readonly collectCycleMs?: number;
  readonly reportCycleMs?: number;
  /** stateReport.reportCycle; 0 disables state reports. */
  readonly stateReportCycleMs?: number;
  /** Per-property visitor changes (e.g. a deliberately bad offset). */
  readonly visitorOverrides?: Readonly<Record<string, Partial<ModbusVisitor>>>;
  readonly labels?: Readonly<Record<string, string>>;
}

/** `dataType` as mapper-framework drivers expect it (lower case). */
export function dataTypeOf(type: PropertyType): string {
  return type.toLowerCase();
}

function visitorConfig(p: PropertySpec, override: Partial<ModbusVisitor> | undefined): Record<string, unknown> | undefined {
  if (p.visitor === undefined) return undefined;
  const v = { ...p.visitor, ...override };
  return {
    register: v.register,
    offset: v.offset,
    limit: v.limit,
    scale: v.scale,
    isSwap: v.isSwap,
    isRegisterSwap: v.isRegisterSwap,
    dataType: dataTypeOf(p.type),
  };
}

/** The DeviceModel for a kind (one per namespace; the name is the kind's model name). */
export function deviceModelFor(kind: DeviceKind, namespace = 'default'): DeviceModelObject {
  const profile = deviceKinds[kind];
  return {
    apiVersion: DEVICES_API_VERSION,
    kind: 'DeviceModel',
    metadata: { name: profile.model, namespace },
    spec: {
      protocol: profile.protocol,
      properties: profile.properties.map((p) => ({
        name: p.name,
        description: p.description,
        type: p.type,
        accessMode: p.accessMode,
        ...(p.minimum !== undefined ? { minimum: p.minimum } : {}),
        ...(p.maximum !== undefined ? { maximum: p.maximum } : {}),
        ...(p.unit !== undefined ? { unit: p.unit } : {}),
      })),
    },
  };
}

/** A Device of `kind`, bound to `nodeName`, pointing at its simulator. */
export function deviceFor(spec: DeviceBuildSpec): DeviceObject {
  const profile = deviceKinds[spec.kind];
  const namespace = spec.namespace ?? 'default';
  if (profile.protocol === 'modbus' && spec.endpoint === undefined) {
    throw new EdgeproofError('E_BAD_SCENARIO', `device ${spec.name} of kind ${spec.kind} needs a Modbus endpoint (ip, port, slaveID)`, {
      where: `${namespace}/${spec.name}`,
      fix: 'start its simulator first and pass its endpoint',
    });
  }
  for (const name of Object.keys(spec.desired ?? {})) {
    const p = profile.properties.find((x) => x.name === name);
    if (p === undefined || p.accessMode !== 'ReadWrite') {
      throw new EdgeproofError('E_BAD_SCENARIO', `device ${spec.name}: ${name} is not a writable property of a ${spec.kind}`, {
        where: `${namespace}/${spec.name}`,
        fix: `writable properties: ${profile.properties.filter((x) => x.accessMode === 'ReadWrite').map((x) => x.name).join(', ') || 'none'}`,
      });
    }
  }
  const properties: DevicePropertyJson[] = profile.properties.map((p) => {
    const desired = spec.desired?.[p.name] ?? p.desired;
    const config = profile.protocol === 'modbus' ? visitorConfig(p, spec.visitorOverrides?.[p.name]) : undefined;
    return {
      name: p.name,
      ...(desired !== undefined ? { desired: { value: desired, metadata: { type: dataTypeOf(p.type) } } } : {}),
      ...(config !== undefined ? { visitors: { protocolName: 'modbus', configData: config } } : {}),
      collectCycle: spec.collectCycleMs ?? 1_000,
      reportCycle: spec.reportCycleMs ?? 1_000,
      reportToCloud: true,
    };
  });
  const stateCycle = spec.stateReportCycleMs ?? 10_000;
  return {
    apiVersion: DEVICES_API_VERSION,
    kind: 'Device',
    metadata: { name: spec.name, namespace, labels: { 'edgeproof.io/kind': spec.kind, description: labelValue(profile.description), ...spec.labels } },
    spec: {
      deviceModelRef: { name: profile.model },
      nodeName: spec.nodeName,
      protocol:
        profile.protocol === 'modbus' && spec.endpoint !== undefined
          ? { protocolName: 'modbus', configData: { ip: spec.endpoint.ip, port: spec.endpoint.port, slaveID: spec.endpoint.slaveID } }
          : { protocolName: profile.protocol },
      properties,
      ...(stateCycle > 0 ? { stateReport: { reportToCloud: true, reportCycle: stateCycle } } : {}),
    },
  };
}

/** A Kubernetes label value (≤ 63 characters of [A-Za-z0-9._-], alphanumeric at both ends). */
function labelValue(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** The same Device with some desired values changed (what a user's `kubectl patch` does). */
export function withDesired(device: DeviceObject, desired: Readonly<Record<string, string>>): DeviceObject {
  const known = new Set(device.spec.properties.map((p) => p.name));
  for (const name of Object.keys(desired)) {
    if (!known.has(name)) throw new EdgeproofError('E_BAD_SCENARIO', `device ${device.metadata.name} has no property ${name}`, { where: `${device.metadata.namespace}/${device.metadata.name}` });
  }
  return {
    ...device,
    spec: {
      ...device.spec,
      properties: device.spec.properties.map((p) => {
        const value = desired[p.name];
        return value === undefined ? p : { ...p, desired: { value, metadata: { ...(p.desired?.metadata ?? {}) } } };
      }),
    },
  };
}

/** One JSON-patch operation (RFC 6902), as `kubectl patch --type=json` sends it. */
export interface JsonPatchOperation {
  readonly op: 'add' | 'replace';
  readonly path: string;
  readonly value: unknown;
}

/**
 * What `kubectl patch device … --type=json` sends to set one property's desired value: replace it, or add the
 * `desired` block when the property has none. `properties` is the Device's spec.properties (their order gives
 * the index). Throws when the Device has no such property.
 */
export function desiredValuePatch(properties: readonly { readonly name?: string; readonly desired?: unknown }[], property: string, value: string, device: string): JsonPatchOperation {
  const i = properties.findIndex((p) => p.name === property);
  if (i < 0) throw new EdgeproofError('E_BAD_SCENARIO', `device ${device} has no property "${property}"`, { where: device, fix: 'use a property of its device model' });
  return properties[i]?.desired === undefined ? { op: 'add', path: `/spec/properties/${i}/desired`, value: { value } } : { op: 'replace', path: `/spec/properties/${i}/desired/value`, value };
}

// ---------------------------------------------------------------------------------------------------------
// Edge side: reading the objects the cloud sends (content of `<ns>/device/<name>` and `<ns>/devicemodel/<name>`).

/** A Device as the mapper needs it, after the model's visitors and protocol config are merged in. */
export interface ParsedDevice {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly modelName: string;
  readonly protocolName: string;
  readonly protocolConfig: Readonly<Record<string, unknown>>;
  readonly properties: readonly ParsedProperty[];
  readonly stateReport: { readonly reportToCloud: boolean; readonly reportCycleMs: number };
}

export interface ParsedProperty {
  readonly name: string;
  readonly desired: string;
  readonly desiredMetadata: Readonly<Record<string, string>>;
  readonly visitorProtocol: string;
  readonly visitorConfig: Readonly<Record<string, unknown>>;
  readonly collectCycleMs: number;
  readonly reportCycleMs: number;
  readonly reportToCloud: boolean;
}

export interface ParsedModelProperty {
  readonly name: string;
  readonly type: string;
  readonly accessMode: string;
  readonly visitorConfig?: Readonly<Record<string, unknown>>;
}

export interface ParsedModel {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly protocol: string;
  readonly protocolConfig: Readonly<Record<string, unknown>>;
  readonly properties: readonly ParsedModelProperty[];
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};

function bad(where: string, message: string): EdgeproofError {
  return new EdgeproofError('E_BAD_MESSAGE', message, { where, fix: 'check the object the cloud sent (kubectl get -o yaml)' });
}

export function parseDeviceModel(value: unknown): ParsedModel {
  if (!isObj(value) || !isObj(value['metadata']) || !isObj(value['spec'])) throw bad('devicemodel', 'a DeviceModel needs metadata and spec');
  const meta = value['metadata'];
  const spec = value['spec'];
  const name = str(meta['name']);
  const namespace = str(meta['namespace']) || 'default';
  if (name === '') throw bad('devicemodel', 'a DeviceModel needs metadata.name');
  const props = Array.isArray(spec['properties']) ? spec['properties'] : [];
  return {
    id: `${namespace}/${name}`,
    namespace,
    name,
    protocol: str(spec['protocol']),
    protocolConfig: isObj(spec['protocolConfigData']) ? spec['protocolConfigData'] : {},
    properties: props.filter(isObj).map((p) => {
      const visitors = p['visitors'];
      const config = isObj(visitors) && isObj(visitors['configData']) ? visitors['configData'] : undefined;
      return { name: str(p['name']), type: str(p['type']), accessMode: str(p['accessMode']), ...(config !== undefined ? { visitorConfig: config } : {}) };
    }),
  };
}

/**
 * Read a Device and merge its model in the way edgecore's DMI cache does before handing it to a mapper
 * (edge/pkg/devicetwin/dmicache overrideDeviceInstanceConfig): model visitors are defaults that the
 * instance's visitor configData overrides key by key; likewise model protocolConfigData under the instance's.
 */
export function parseDevice(value: unknown, model?: ParsedModel): ParsedDevice {
  if (!isObj(value) || !isObj(value['metadata']) || !isObj(value['spec'])) throw bad('device', 'a Device needs metadata and spec');
  const meta = value['metadata'];
  const spec = value['spec'];
  const name = str(meta['name']);
  const namespace = str(meta['namespace']) || 'default';
  if (name === '') throw bad('device', 'a Device needs metadata.name');
  const id = `${namespace}/${name}`;
  const protocol = isObj(spec['protocol']) ? spec['protocol'] : {};
  const ref = isObj(spec['deviceModelRef']) ? str(spec['deviceModelRef']['name']) : '';
  const stateReport = isObj(spec['stateReport']) ? spec['stateReport'] : {};
  const props = Array.isArray(spec['properties']) ? spec['properties'] : [];
  return {
    id,
    namespace,
    name,
    nodeName: str(spec['nodeName']),
    modelName: ref,
    protocolName: str(protocol['protocolName']),
    protocolConfig: { ...(model?.protocolConfig ?? {}), ...(isObj(protocol['configData']) ? protocol['configData'] : {}) },
    stateReport: { reportToCloud: stateReport['reportToCloud'] === true, reportCycleMs: num(stateReport['reportCycle'], 0) },
    properties: props.filter(isObj).map((p): ParsedProperty => {
      const pname = str(p['name']);
      const desired = isObj(p['desired']) ? p['desired'] : {};
      const visitors = isObj(p['visitors']) ? p['visitors'] : {};
      const modelVisitor = model?.properties.find((m) => m.name === pname)?.visitorConfig ?? {};
      return {
        name: pname,
        desired: str(desired['value']),
        desiredMetadata: strMap(desired['metadata']),
        visitorProtocol: str(visitors['protocolName']),
        visitorConfig: { ...modelVisitor, ...(isObj(visitors['configData']) ? visitors['configData'] : {}) },
        collectCycleMs: num(p['collectCycle'], 0),
        reportCycleMs: num(p['reportCycle'], 0),
        reportToCloud: p['reportToCloud'] === true,
      };
    }),
  };
}
