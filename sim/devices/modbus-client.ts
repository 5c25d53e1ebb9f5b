/**
 * The mapper's Modbus TCP client: one connection per device address (ip:port), requests serialised on it
 * (Modbus devices and gateways do not take parallel requests: mappers-go's ModbusClient holds a mutex per
 * client for the same reason), the unit id chosen per request, connected on demand and re-connected after a
 * timeout or a broken socket. Uses modbus-serial's ModbusRTU client over TCP.
 */
import modbusSerial from 'modbus-serial';
import { messageOf } from '../core/errors.ts';
import type { ModbusRegisterType } from './registers.ts';

// CommonJS package: its module.exports (and `.default`) is the ModbusRTU client class
const ModbusRTU = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

/** Why a request failed, as far as a mapper can tell. */
export type ModbusFailure = 'illegal-address' | 'exception' | 'timeout' | 'unreachable';

export class ModbusRequestError extends Error {
  readonly failure: ModbusFailure;
  readonly modbusCode: number | undefined;
  constructor(failure: ModbusFailure, message: string, modbusCode?: number) {
    super(message);
    this.name = 'ModbusRequestError';
    this.failure = failure;
    this.modbusCode = modbusCode;
  }
}

function classify(e: unknown): ModbusRequestError {
  if (e instanceof ModbusRequestError) return e;
  const err = e as { modbusCode?: unknown; errno?: unknown; code?: unknown; name?: unknown };
  if (typeof err.modbusCode === 'number') {
    return new ModbusRequestError(err.modbusCode === 2 ? 'illegal-address' : 'exception', messageOf(e), err.modbusCode);
  }
  if (err.errno === 'ETIMEDOUT' || err.code === 'ETIMEDOUT') return new ModbusRequestError('timeout', messageOf(e));
  return new ModbusRequestError('unreachable', messageOf(e));
}

export interface ModbusConnectionStats {
  requests: number;
  failures: number;
  connects: number;
}

export class ModbusConnection {
  readonly stats: ModbusConnectionStats = { requests: 0, failures: 0, connects: 0 };
  private client: ModbusClient | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  get key(): string {
    return `${this.host}:${this.port}`;
  }

  /** Raw bytes of a read as they come off the wire (bit tables packed, registers big endian). */
  read(unit: number, register: ModbusRegisterType, offset: number, limit: number): Promise<Uint8Array> {
    return this.run(unit, async (c) => {
      switch (register) {
        case 'CoilRegister':
          return new Uint8Array((await c.readCoils(offset, limit)).buffer);
        case 'DiscreteInputRegister':
          return new Uint8Array((await c.readDiscreteInputs(offset, limit)).buffer);
        case 'HoldingRegister':
          return new Uint8Array((await c.readHoldingRegisters(offset, limit)).buffer);
        case 'InputRegister':
          return new Uint8Array((await c.readInputRegisters(offset, limit)).buffer);
      }
    });
  }

  writeCoil(unit: number, address: number, value: boolean): Promise<void> {
    return this.run(unit, async (c) => {
      await c.writeCoil(address, value);
    });
  }

  /** One register with FC6 (what mappers-go sends), several with FC16. */
  writeRegisters(unit: number, address: number, words: readonly number[]): Promise<void> {
    return this.run(unit, async (c) => {
      if (words.length === 1) await c.writeRegister(address, words[0] ?? 0);
      else await c.writeRegisters(address, [...words]);
    });
  }

  close(): void {
    this.closed = true;
    this.drop();
  }

  private run<T>(unit: number, op: (c: ModbusClient) => Promise<T>): Promise<T> {
    const next = this.tail.then(async () => {
      if (this.closed) throw new ModbusRequestError('unreachable', 'the mapper closed this connection');
      this.stats.requests++;
      try {
        const c = await this.connect();
        c.setID(unit);
        return await op(c);
      } catch (e) {
        this.stats.failures++;
        const err = classify(e);
        // a timed-out or broken link is not trusted again: the next request dials afresh
        if (err.failure === 'timeout' || err.failure === 'unreachable') this.drop();
        throw err;
      }
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async connect(): Promise<ModbusClient> {
    if (this.client?.isOpen === true) return this.client;
    this.drop();
    const c = new ModbusRTU();
    c.setTimeout(this.timeoutMs);
    this.stats.connects++;
    await c.connectTCP(this.host, { port: this.port, timeout: this.timeoutMs });
    this.client = c;
    return c;
  }

  private drop(): void {
    const c = this.client;
    this.client = undefined;
    if (c !== undefined) {
      try {
        c.destroy(() => undefined);
      } catch {
        // already gone
      }
    }
  }
}
