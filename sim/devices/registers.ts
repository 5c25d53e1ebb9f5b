/**
 * The four Modbus data tables of one simulated device, with the range checks a real slave makes: an address
 * outside a table is answered with exception 0x02 (Illegal Data Address), which is what a mapper with a bad
 * register visitor meets on real hardware.
 */

export type ModbusRegisterType = 'CoilRegister' | 'DiscreteInputRegister' | 'InputRegister' | 'HoldingRegister';
export const MODBUS_REGISTER_TYPES: readonly ModbusRegisterType[] = ['CoilRegister', 'DiscreteInputRegister', 'InputRegister', 'HoldingRegister'];

/** Modbus exception codes (Modbus Application Protocol v1.1b §7). */
export const ModbusExceptionCode = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  slaveDeviceFailure: 0x04,
  gatewayPathUnavailable: 0x0a,
  gatewayTargetFailedToRespond: 0x0b,
} as const;

/**
 * What a vector function throws to make modbus-serial's ServerTCP answer with an exception response
 * (servertcp.js `_callbackFactory` reads `modbusErrorCode`).
 */
export class ModbusException extends Error {
  readonly modbusErrorCode: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'ModbusException';
    this.modbusErrorCode = code;
  }
}

export interface BankLayout {
  readonly coils: number;
  readonly discreteInputs: number;
  readonly holdingRegisters: number;
  readonly inputRegisters: number;
}

export type WriteListener = (type: 'CoilRegister' | 'HoldingRegister', address: number, value: number) => void;

export class RegisterBank {
  readonly layout: BankLayout;
  private readonly coils: Uint8Array;
  private readonly discrete: Uint8Array;
  private readonly holding: Uint16Array;
  private readonly input: Uint16Array;
  private readonly writeListeners: WriteListener[] = [];

  constructor(layout: BankLayout) {
    this.layout = layout;
    this.coils = new Uint8Array(layout.coils);
    this.discrete = new Uint8Array(layout.discreteInputs);
    this.holding = new Uint16Array(layout.holdingRegisters);
    this.input = new Uint16Array(layout.inputRegisters);
  }

  size(type: ModbusRegisterType): number {
    switch (type) {
      case 'CoilRegister':
        return this.layout.coils;
      case 'DiscreteInputRegister':
        return this.layout.discreteInputs;
      case 'InputRegister':
        return this.layout.inputRegisters;
      case 'HoldingRegister':
        return this.layout.holdingRegisters;
    }
  }

  /** Throws the exception a slave answers when [address, address+count) is not inside the table. */
  check(type: ModbusRegisterType, address: number, count = 1): void {
    const size = this.size(type);
    if (!Number.isInteger(address) || address < 0 || count < 1 || address + count > size) {
      throw new ModbusException(
        ModbusExceptionCode.illegalDataAddress,
        `illegal data address: ${type} ${address}..${address + count - 1} (the device has ${size})`,
      );
    }
  }

  // --- bus side: what a Modbus master sees (range-checked, writes notify the behaviour) ---------------------

  readCoil(address: number): boolean {
    this.check('CoilRegister', address);
    return this.coils[address] === 1;
  }

  readDiscreteInput(address: number): boolean {
    this.check('DiscreteInputRegister', address);
    return this.discrete[address] === 1;
  }

  readHolding(address: number, count = 1): number[] {
    this.check('HoldingRegister', address, count);
    return Array.from(this.holding.subarray(address, address + count));
  }

  readInput(address: number, count = 1): number[] {
    this.check('InputRegister', address, count);
    return Array.from(this.input.subarray(address, address + count));
  }

  /** A master writes a coil (FC5/FC15). */
  writeCoil(address: number, value: boolean): void {
    this.check('CoilRegister', address);
    this.coils[address] = value ? 1 : 0;
    for (const l of this.writeListeners) l('CoilRegister', address, value ? 1 : 0);
  }

  /** A master writes a holding register (FC6/FC16). */
  writeHolding(address: number, value: number): void {
    this.check('HoldingRegister', address);
    this.holding[address] = value & 0xffff;
    for (const l of this.writeListeners) l('HoldingRegister', address, value & 0xffff);
  }

  onWrite(listener: WriteListener): () => void {
    this.writeListeners.push(listener);
    return () => {
      const i = this.writeListeners.indexOf(listener);
      if (i >= 0) this.writeListeners.splice(i, 1);
    };
  }

  // --- device side: the device's own firmware updating its tables (no notification, range-checked) --------

  setCoil(address: number, value: boolean): void {
    this.check('CoilRegister', address);
    this.coils[address] = value ? 1 : 0;
  }

  setDiscreteInput(address: number, value: boolean): void {
    this.check('DiscreteInputRegister', address);
    this.discrete[address] = value ? 1 : 0;
  }

  setHolding(address: number, ...values: number[]): void {
    this.check('HoldingRegister', address, values.length);
    values.forEach((v, i) => (this.holding[address + i] = v & 0xffff));
  }

  setInput(address: number, ...values: number[]): void {
    this.check('InputRegister', address, values.length);
    values.forEach((v, i) => (this.input[address + i] = v & 0xffff));
  }
}

// --- multi-register encodings a device firmware uses ------------------------------------------------------

/**
 * Word order of a 32-bit value across two registers: ABCD = high word first (Modbus "big endian"), CDAB = low
 * word first (common on weighing indicators; mbpoll's default for -t 3:float), BADC/DCBA additionally swap the
 * bytes inside each word.
 */
export type WordOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

function bytesToWords(bytes: Uint8Array, order: WordOrder): [number, number] {
  const [a = 0, b = 0, c = 0, d = 0] = bytes;
  switch (order) {
    case 'ABCD':
      return [(a << 8) | b, (c << 8) | d];
    case 'CDAB':
      return [(c << 8) | d, (a << 8) | b];
    case 'BADC':
      return [(b << 8) | a, (d << 8) | c];
    case 'DCBA':
      return [(d << 8) | c, (b << 8) | a];
  }
}

export function uint32ToWords(value: number, order: WordOrder = 'ABCD'): [number, number] {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, false);
  return bytesToWords(bytes, order);
}

export function float32ToWords(value: number, order: WordOrder = 'ABCD'): [number, number] {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setFloat32(0, value, false);
  return bytesToWords(bytes, order);
}

/** A 16-bit register holding its bytes swapped (a little-endian firmware). */
export function swapBytes16(value: number): number {
  return ((value & 0xff) << 8) | ((value >> 8) & 0xff);
}
