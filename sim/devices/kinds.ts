/**
 * The device kinds of a toll station, each described once: its properties (names, types, access modes, units)
 * and, for Modbus devices, the register layout and the visitor that reads each property. The simulators
 * (behaviours.ts) write their registers at these addresses and the CRD builders (crd.ts) emit these visitors,
 * so a Device object and its simulator can never disagree.
 *
 * The register maps exercise every visitor feature KubeEdge's Modbus mapper has: all four register tables,
 * one- and two-register values, a scale, a byte swap (isSwap) and a word swap (isRegisterSwap).
 */
import type { BankLayout, ModbusRegisterType } from './registers.ts';

export type ModbusDeviceKind = 'barrier-gate' | 'weighbridge' | 'smoke-alarm' | 'flood-alarm';
export type MqttDeviceKind = 'camera' | 'mqtt-alarm';
export type DeviceKind = ModbusDeviceKind | MqttDeviceKind;
export const MODBUS_KINDS: readonly ModbusDeviceKind[] = ['barrier-gate', 'weighbridge', 'smoke-alarm', 'flood-alarm'];
export const MQTT_KINDS: readonly MqttDeviceKind[] = ['camera', 'mqtt-alarm'];

/** DeviceModel property types (api devices/v1beta1 PropertyType). */
export type PropertyType = 'INT' | 'FLOAT' | 'DOUBLE' | 'STRING' | 'BOOLEAN' | 'BYTES' | 'STREAM';
export type AccessMode = 'ReadWrite' | 'ReadOnly';

/** The Modbus visitor of one property, the keys of `visitors.configData` in a v1beta1 Device. */
export interface ModbusVisitor {
  readonly register: ModbusRegisterType;
  readonly offset: number;
  readonly limit: number;
  readonly scale: number;
  readonly isSwap: boolean;
  readonly isRegisterSwap: boolean;
}

export interface PropertySpec {
  readonly name: string;
  readonly description: string;
  readonly type: PropertyType;
  readonly accessMode: AccessMode;
  readonly unit?: string;
  readonly minimum?: string;
  readonly maximum?: string;
  /** The desired value a fresh Device carries (ReadWrite properties only). */
  readonly desired?: string;
  readonly visitor?: ModbusVisitor;
}

export interface ModbusKindProfile {
  readonly kind: ModbusDeviceKind;
  readonly protocol: 'modbus';
  /** DeviceModel name. */
  readonly model: string;
  readonly description: string;
  readonly layout: BankLayout;
  readonly properties: readonly PropertySpec[];
}

export interface MqttKindProfile {
  readonly kind: MqttDeviceKind;
  readonly protocol: 'mqtt';
  readonly model: string;
  readonly description: string;
  readonly properties: readonly PropertySpec[];
}

export type KindProfile = ModbusKindProfile | MqttKindProfile;

const v = (register: ModbusRegisterType, offset: number, limit = 1, extra: Partial<Pick<ModbusVisitor, 'scale' | 'isSwap' | 'isRegisterSwap'>> = {}): ModbusVisitor => ({
  register,
  offset,
  limit,
  scale: extra.scale ?? 1,
  isSwap: extra.isSwap ?? false,
  isRegisterSwap: extra.isRegisterSwap ?? false,
});

/** Barrier gate states in holding register 0. */
export const GateState = { closed: 0, opening: 1, open: 2, closing: 3 } as const;

export const barrierGate: ModbusKindProfile = {
  kind: 'barrier-gate',
  protocol: 'modbus',
  model: 'barrier-gate',
  description: 'toll lane barrier gate controller',
  layout: { coils: 4, discreteInputs: 4, holdingRegisters: 4, inputRegisters: 4 },
  properties: [
    { name: 'open', description: 'command: true opens the barrier, false closes it', type: 'BOOLEAN', accessMode: 'ReadWrite', desired: 'false', visitor: v('CoilRegister', 0) },
    { name: 'state', description: 'barrier position: 0 closed, 1 opening, 2 open, 3 closing', type: 'INT', accessMode: 'ReadOnly', minimum: '0', maximum: '3', visitor: v('HoldingRegister', 0) },
    { name: 'vehicleCount', description: 'vehicles counted by the lane loop (uint32, high word first)', type: 'INT', accessMode: 'ReadOnly', unit: 'vehicles', visitor: v('InputRegister', 0, 2) },
    { name: 'loopOccupied', description: 'a vehicle stands on the induction loop', type: 'BOOLEAN', accessMode: 'ReadOnly', visitor: v('DiscreteInputRegister', 0) },
  ],
};

export const weighbridge: ModbusKindProfile = {
  kind: 'weighbridge',
  protocol: 'modbus',
  model: 'weighbridge',
  description: 'axle-load weighbridge indicator',
  layout: { coils: 2, discreteInputs: 2, holdingRegisters: 2, inputRegisters: 4 },
  properties: [
    // float32 stored low word first (CDAB), as many weighing indicators do: the visitor swaps the words back
    { name: 'weight', description: 'gross weight on the platform', type: 'FLOAT', accessMode: 'ReadOnly', unit: 'kg', minimum: '0', maximum: '60000', visitor: v('InputRegister', 0, 2, { isRegisterSwap: true }) },
    { name: 'axles', description: 'axles counted on the platform', type: 'INT', accessMode: 'ReadOnly', minimum: '0', maximum: '8', visitor: v('InputRegister', 2) },
    { name: 'stable', description: 'the reading has settled', type: 'BOOLEAN', accessMode: 'ReadOnly', visitor: v('DiscreteInputRegister', 0) },
    // rated capacity in units of 10 kg
    { name: 'capacity', description: 'rated capacity', type: 'INT', accessMode: 'ReadOnly', unit: 'kg', visitor: v('HoldingRegister', 0, 1, { scale: 10 }) },
  ],
};

export const smokeAlarm: ModbusKindProfile = {
  kind: 'smoke-alarm',
  protocol: 'modbus',
  model: 'smoke-alarm',
  description: 'optical smoke detector on the station bus',
  layout: { coils: 2, discreteInputs: 2, holdingRegisters: 1, inputRegisters: 2 },
  properties: [
    { name: 'smoke', description: 'smoke alarm active', type: 'BOOLEAN', accessMode: 'ReadOnly', visitor: v('DiscreteInputRegister', 0) },
    { name: 'fault', description: 'detector fault', type: 'BOOLEAN', accessMode: 'ReadOnly', visitor: v('DiscreteInputRegister', 1) },
    // a little-endian firmware: the bytes inside the register are swapped
    { name: 'obscuration', description: 'optical obscuration', type: 'INT', accessMode: 'ReadOnly', unit: '0.01%/m', visitor: v('InputRegister', 0, 1, { isSwap: true }) },
    { name: 'silence', description: 'command: silence the sounder', type: 'BOOLEAN', accessMode: 'ReadWrite', desired: 'false', visitor: v('CoilRegister', 0) },
  ],
};

export const floodAlarm: ModbusKindProfile = {
  kind: 'flood-alarm',
  protocol: 'modbus',
  model: 'flood-alarm',
  description: 'water level sensor in the underpass',
  layout: { coils: 1, discreteInputs: 2, holdingRegisters: 1, inputRegisters: 2 },
  properties: [
    { name: 'flood', description: 'water above the alarm level', type: 'BOOLEAN', accessMode: 'ReadOnly', visitor: v('DiscreteInputRegister', 0) },
    { name: 'sensorFault', description: 'sensor fault', type: 'BOOLEAN', accessMode: 'ReadOnly', visitor: v('DiscreteInputRegister', 1) },
    { name: 'waterLevel', description: 'water level above the floor', type: 'INT', accessMode: 'ReadOnly', unit: 'mm', visitor: v('InputRegister', 0) },
  ],
};

export const camera: MqttKindProfile = {
  kind: 'camera',
  protocol: 'mqtt',
  model: 'lane-camera',
  description: 'licence plate recognition camera publishing over MQTT',
  properties: [
    { name: 'plate', description: 'last plate read', type: 'STRING', accessMode: 'ReadOnly' },
    { name: 'confidence', description: 'recognition confidence of the last read', type: 'FLOAT', accessMode: 'ReadOnly', minimum: '0', maximum: '1' },
    { name: 'reads', description: 'plates read since start', type: 'INT', accessMode: 'ReadOnly' },
  ],
};

export const mqttAlarm: MqttKindProfile = {
  kind: 'mqtt-alarm',
  protocol: 'mqtt',
  model: 'mqtt-alarm',
  description: 'wireless smoke/flood alarm publishing events over MQTT',
  properties: [
    { name: 'alarm', description: 'alarm active', type: 'BOOLEAN', accessMode: 'ReadOnly' },
    { name: 'battery', description: 'battery level', type: 'INT', accessMode: 'ReadOnly', unit: '%', minimum: '0', maximum: '100' },
  ],
};

export const deviceKinds: Readonly<Record<DeviceKind, KindProfile>> = {
  'barrier-gate': barrierGate,
  weighbridge,
  'smoke-alarm': smokeAlarm,
  'flood-alarm': floodAlarm,
  camera,
  'mqtt-alarm': mqttAlarm,
};

export function isModbusKind(kind: DeviceKind): kind is ModbusDeviceKind {
  return (MODBUS_KINDS as readonly string[]).includes(kind);
}

export function modbusProfile(kind: ModbusDeviceKind): ModbusKindProfile {
  const p = deviceKinds[kind];
  if (p.protocol !== 'modbus') throw new Error(`${kind} is not a Modbus kind`);
  return p;
}
