/**
 * How KubeEdge's Modbus mapper turns a property's visitor into register reads and writes, and raw bytes into
 * the twin's string value. Reference: kubeedge/mappers-go (mappers/modbus-dmi/device/twindata.go TransferData,
 * mappers/pkg/driver/modbus/client.go Get/Set, mappers/pkg/common/data_converter.go Convert), and
 * mapper-framework's setVisitor (write the desired value at device start unless the model says ReadOnly).
 *
 * Reading: the register bytes as they come off the wire (coils and discrete inputs bit-packed, registers big
 * endian), then isRegisterSwap (reverse the 16-bit words), then isSwap (swap the bytes inside each word),
 * then the data type:
 *   int     1/2/4/8 bytes, unsigned big endian, × scale, truncated to an integer   ("1234")
 *   float   4 bytes IEEE-754 single × scale, six decimals                             ("23.500000")
 *   double  8 bytes IEEE-754 double × scale, six decimals
 *   boolean first bit of a coil/discrete input                                        ("true")
 *   string  the bytes as text
 * Deliberate departures from mappers-go, each a bug there that would make a correct device look wrong:
 *   - boolean from a holding/input register is "register ≠ 0" (mappers-go tests byte[0] == 1, i.e. the
 *     high byte, so a register holding 1 reads false);
 *   - float from ONE register is a signed 16-bit integer × scale (mappers-go rejects it), the usual encoding
 *     of decimals on Modbus devices;
 *   - string drops trailing NUL padding (a NUL fails edgecore's twin value check).
 * Writing: the inverse of reading. mappers-go can only write one coil (0/1) or one holding register (the raw
 * integer, scale ignored) and turns a boolean desired value into 0 (it asserts the parsed bool to int64); here
 * booleans drive coils, and integers/floats are divided by the scale and encoded over `limit` registers.
 */
import { EdgeproofError } from '../core/errors.ts';
import type { ModbusVisitor } from './kinds.ts';
import type { ModbusRegisterType } from './registers.ts';
import { MODBUS_REGISTER_TYPES } from './registers.ts';

export type DataType = 'int' | 'float' | 'double' | 'boolean' | 'string';
const DATA_TYPES: readonly DataType[] = ['int', 'float', 'double', 'boolean', 'string'];

/** A parsed, checked visitor: everything needed to read or write one property. */
export interface ParsedVisitor extends ModbusVisitor {
  readonly dataType: DataType;
}

export interface ProtocolEndpoint {
  readonly ip: string;
  readonly port: number;
  readonly slaveID: number;
}

/** Go's encoding/json matches keys case-insensitively; so does this (the e2e suite writes "Register"). */
function lookup(config: Readonly<Record<string, unknown>>, key: string): unknown {
  if (key in config) return config[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(config)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * Parse a visitor's configData the way json.Unmarshal into mappers-go's ModbusVisitorConfig does (numbers must
 * be JSON numbers, flags JSON booleans), then check what a read would otherwise fail on later.
 * `modelType` is the DeviceModel property type, used when configData has no dataType.
 */
export function parseVisitor(config: Readonly<Record<string, unknown>>, modelType: string, where: string, property: string): ParsedVisitor {
  const fail = (message: string, fix: string): never => {
    throw new EdgeproofError('E_BAD_SCENARIO', `property ${property}: ${message}`, { where, fix, context: { property } });
  };
  const register = lookup(config, 'register');
  if (typeof register !== 'string' || !(MODBUS_REGISTER_TYPES as readonly string[]).includes(register)) {
    fail(`register ${JSON.stringify(register)} is not one of ${MODBUS_REGISTER_TYPES.join(', ')}`, 'set visitors.configData.register');
  }
  const reg = register as ModbusRegisterType;
  const uint = (key: string, max: number, dflt?: number): number => {
    const raw = lookup(config, key);
    if (raw === undefined && dflt !== undefined) return dflt;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > max) {
      return fail(`${key} ${JSON.stringify(raw)} is not an integer in 0..${max}`, `set visitors.configData.${key} to a JSON number`);
    }
    return raw;
  };
  const offset = uint('offset', 0xffff);
  const limit = uint('limit', reg === 'CoilRegister' || reg === 'DiscreteInputRegister' ? 2000 : 125);
  if (limit === 0) fail('limit 0 reads nothing', 'set visitors.configData.limit to 1 or more');
  if (offset + limit > 0x10000) fail(`offset ${offset} + limit ${limit} runs past address 65535`, 'lower the offset or the limit');
  const rawScale = lookup(config, 'scale');
  // Go's omitempty float: absent means 0, which would zero every value; mapper-framework treats 0 as 1
  const scale = rawScale === undefined || rawScale === 0 ? 1 : rawScale;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) fail(`scale ${JSON.stringify(rawScale)} is not a number`, 'set visitors.configData.scale to a JSON number');
  const flag = (key: string): boolean => {
    const raw = lookup(config, key);
    if (raw === undefined) return false;
    if (typeof raw !== 'boolean') return fail(`${key} ${JSON.stringify(raw)} is not a boolean`, `set visitors.configData.${key} to true or false`);
    return raw;
  };
  const rawType = lookup(config, 'dataType');
  const typeText = (typeof rawType === 'string' && rawType !== '' ? rawType : modelType).toLowerCase();
  const dataType = (typeText === 'integer' ? 'int' : typeText) as DataType;
  if (!DATA_TYPES.includes(dataType)) fail(`data type ${JSON.stringify(typeText)} cannot be read from Modbus`, `use one of ${DATA_TYPES.join(', ')}`);
  const visitor: ParsedVisitor = { register: reg, offset, limit, scale: scale as number, isSwap: flag('isSwap'), isRegisterSwap: flag('isRegisterSwap'), dataType };
  const bytes = byteLength(visitor);
  const needs: Partial<Record<DataType, readonly number[]>> = { int: [1, 2, 4, 8], float: [2, 4], double: [8] };
  const ok = needs[dataType];
  if (ok !== undefined && !ok.includes(bytes)) {
    fail(`a ${dataType} cannot be decoded from ${bytes} byte(s) (${reg} limit ${limit})`, `use a limit giving ${ok.join(' or ')} bytes`);
  }
  return visitor;
}

/** Protocol configData: ip, port, slaveID (mapper-framework modbus ProtocolConfig). */
export function parseEndpoint(config: Readonly<Record<string, unknown>>, where: string): ProtocolEndpoint {
  const ip = lookup(config, 'ip');
  const port = lookup(config, 'port');
  const slave = lookup(config, 'slaveID') ?? 1;
  if (typeof ip !== 'string' || ip === '') throw new EdgeproofError('E_BAD_SCENARIO', 'protocol configData has no ip', { where, fix: 'set spec.protocol.configData.ip' });
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new EdgeproofError('E_BAD_SCENARIO', `protocol configData port ${JSON.stringify(port)} is not a TCP port`, { where, fix: 'set spec.protocol.configData.port' });
  }
  if (typeof slave !== 'number' || !Number.isInteger(slave) || slave < 0 || slave > 255) {
    throw new EdgeproofError('E_BAD_SCENARIO', `protocol configData slaveID ${JSON.stringify(slave)} is not 0..255`, { where, fix: 'set spec.protocol.configData.slaveID' });
  }
  return { ip, port, slaveID: slave };
}

/** Bytes a read of this visitor returns: bit tables pack 8 per byte, registers are 2 bytes each. */
export function byteLength(v: Pick<ParsedVisitor, 'register' | 'limit'>): number {
  return v.register === 'CoilRegister' || v.register === 'DiscreteInputRegister' ? Math.ceil(v.limit / 8) : v.limit * 2;
}

/** mappers-go SwitchRegister: reverse the order of the 16-bit words. */
export function switchRegister(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < Math.floor(out.length / 2); i += 2) {
    const j = out.length - i - 2;
    [out[i], out[j]] = [out[j] ?? 0, out[i] ?? 0];
    [out[i + 1], out[j + 1]] = [out[j + 1] ?? 0, out[i + 1] ?? 0];
  }
  return out;
}

/** mappers-go SwitchByte: swap the two bytes of each word. */
export function switchByte(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  if (out.length < 2) return out;
  for (let i = 0; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [out[i + 1] ?? 0, out[i] ?? 0];
  return out;
}

/** Raw read bytes → twin value string. Throws EdgeproofError (E_PROTOCOL) when the bytes do not fit the type. */
export function decodeValue(v: ParsedVisitor, raw: Uint8Array): string {
  let bytes = raw;
  if (v.isRegisterSwap) bytes = switchRegister(bytes);
  if (v.isSwap) bytes = switchByte(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isBits = v.register === 'CoilRegister' || v.register === 'DiscreteInputRegister';
  switch (v.dataType) {
    case 'int': {
      let n: number;
      switch (bytes.length) {
        case 1:
          n = view.getUint8(0);
          break;
        case 2:
          n = view.getUint16(0, false);
          break;
        case 4:
          n = view.getUint32(0, false);
          break;
        case 8:
          n = Number(view.getBigUint64(0, false));
          break;
        default:
          throw decodeError(v, `an int needs 1, 2, 4 or 8 bytes, got ${bytes.length}`);
      }
      return String(Math.trunc(n * v.scale));
    }
    case 'float':
      if (bytes.length === 4) return (view.getFloat32(0, false) * v.scale).toFixed(6);
      if (bytes.length === 2) return (view.getInt16(0, false) * v.scale).toFixed(6);
      throw decodeError(v, `a float needs 4 bytes (or 2 for a scaled integer), got ${bytes.length}`);
    case 'double':
      if (bytes.length !== 8) throw decodeError(v, `a double needs 8 bytes, got ${bytes.length}`);
      return (view.getFloat64(0, false) * v.scale).toFixed(6);
    case 'boolean':
      if (bytes.length === 0) throw decodeError(v, 'no bytes');
      return String(isBits ? ((bytes[0] ?? 0) & 1) === 1 : bytes.some((b) => b !== 0));
    case 'string':
      return new TextDecoder().decode(bytes).replace(/\0+$/, '');
  }
}

function decodeError(v: ParsedVisitor, why: string): EdgeproofError {
  return new EdgeproofError('E_PROTOCOL', `cannot decode ${v.register} ${v.offset}+${v.limit} as ${v.dataType}: ${why}`, { fix: 'check the visitor limit against the data type' });
}

/** What a desired value becomes on the wire: a coil state, or register words. */
export type WritePlan = { readonly kind: 'coil'; readonly value: boolean } | { readonly kind: 'registers'; readonly words: readonly number[] };

const goBoolTrue = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const goBoolFalse = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool. */
export function parseGoBool(text: string): boolean | undefined {
  if (goBoolTrue.has(text)) return true;
  if (goBoolFalse.has(text)) return false;
  return undefined;
}

/**
 * The write for a desired value (mapper setVisitor). Throws EdgeproofError when the value does not convert or
 * the register table cannot be written (discrete inputs and input registers are read-only on every device).
 */
export function encodeDesired(v: ParsedVisitor, desired: string, where: string, property: string): WritePlan {
  const fail = (message: string): never => {
    throw new EdgeproofError('E_BAD_SCENARIO', `property ${property}: ${message}`, { where, fix: 'check the desired value and the visitor', context: { property, desired } });
  };
  if (v.register === 'DiscreteInputRegister' || v.register === 'InputRegister') return fail(`${v.register} cannot be written (read-only table)`);
  if (v.register === 'CoilRegister') {
    if (v.dataType === 'boolean') {
      const b = parseGoBool(desired);
      return b === undefined ? fail(`${JSON.stringify(desired)} is not a boolean`) : { kind: 'coil', value: b };
    }
    if (desired === '0' || desired === '1') return { kind: 'coil', value: desired === '1' };
    return fail(`a coil takes 0 or 1, not ${JSON.stringify(desired)}`);
  }
  // holding registers
  const words = v.limit;
  const bytes = new Uint8Array(words * 2);
  const view = new DataView(bytes.buffer);
  switch (v.dataType) {
    case 'boolean': {
      const b = parseGoBool(desired);
      if (b === undefined) return fail(`${JSON.stringify(desired)} is not a boolean`);
      view.setUint16(bytes.length - 2, b ? 1 : 0, false);
      break;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(desired)) return fail(`${JSON.stringify(desired)} is not an integer`);
      const raw = Math.round(Number(desired) / v.scale);
      if (bytes.length === 2) {
        if (raw < -0x8000 || raw > 0xffff) return fail(`${desired} does not fit one register`);
        view.setUint16(0, raw & 0xffff, false);
      } else if (bytes.length === 4) {
        if (raw < -0x80000000 || raw > 0xffffffff) return fail(`${desired} does not fit two registers`);
        view.setUint32(0, raw >>> 0, false);
      } else if (bytes.length === 8) view.setBigInt64(0, BigInt(raw), false);
      else return fail(`an int cannot be written over ${words} registers`);
      break;
    }
    case 'float':
    case 'double': {
      const x = Number(desired);
      if (desired.trim() === '' || !Number.isFinite(x)) return fail(`${JSON.stringify(desired)} is not a number`);
      if (bytes.length === 4) view.setFloat32(0, x / v.scale, false);
      else if (bytes.length === 8) view.setFloat64(0, x / v.scale, false);
      else if (bytes.length === 2) {
        const raw = Math.round(x / v.scale);
        if (raw < -0x8000 || raw > 0x7fff) return fail(`${desired} does not fit one register`);
        view.setInt16(0, raw, false);
      } else return fail(`a ${v.dataType} cannot be written over ${words} registers`);
      break;
    }
    case 'string': {
      const text = new TextEncoder().encode(desired);
      if (text.length > bytes.length) return fail(`${JSON.stringify(desired)} is longer than ${bytes.length} bytes`);
      bytes.set(text);
      break;
    }
  }
  // inverse of the read path (the swaps are involutions and commute)
  let wire: Uint8Array = bytes;
  if (v.isSwap) wire = switchByte(wire);
  if (v.isRegisterSwap) wire = switchRegister(wire);
  const out: number[] = [];
  for (let i = 0; i < wire.length; i += 2) out.push(((wire[i] ?? 0) << 8) | (wire[i + 1] ?? 0));
  return { kind: 'registers', words: out };
}
