/**
 * A real Modbus TCP server (modbus-serial's ServerTCP) on loopback that hosts one or more simulated devices by
 * unit id — a single device, or a station gateway with its RS-485 slaves behind it. Any Modbus client (the
 * bench's mapper, mbpoll, a PLC tool) reaches the devices through it.
 *
 * A request for a unit id nobody hosts is answered with exception 0x0B (gateway target failed to respond);
 * an address outside a device's tables with 0x02 (illegal data address).
 */
import { ServerTCP } from 'modbus-serial';
import { freePort } from '../components/ports.ts';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import { ModbusException, ModbusExceptionCode, type RegisterBank } from './registers.ts';

export interface ModbusServerStats {
  /** Table accesses served (one per read/write request, one per bit for coil and discrete-input reads). */
  accesses: number;
  /** Exception responses (illegal address, unknown unit). */
  exceptions: number;
}

export class ModbusServer {
  readonly host: string;
  readonly port: number;
  readonly stats: ModbusServerStats;
  private readonly units: Map<number, RegisterBank>;
  private readonly server: ServerTCP;
  private closed = false;

  private constructor(host: string, port: number, server: ServerTCP, units: Map<number, RegisterBank>, stats: ModbusServerStats) {
    this.stats = stats;
    this.host = host;
    this.port = port;
    this.server = server;
    this.units = units;
  }

  /**
   * Listen on `host:port`; without a port a free one is chosen (ServerTCP treats port 0 as "502", so the port
   * is picked first and the bind retried if another process takes it in between).
   */
  static async start(options: { host?: string; port?: number; name?: string } = {}): Promise<ModbusServer> {
    const host = options.host ?? '127.0.0.1';
    const where = options.name ?? 'modbus-simulator';
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = options.port ?? (await freePort(host));
      const units = new Map<number, RegisterBank>();
      const stats: ModbusServerStats = { accesses: 0, exceptions: 0 };
      try {
        const server = await listen(host, port, units, stats);
        return new ModbusServer(host, port, server, units, stats);
      } catch (e) {
        lastError = e;
        if (options.port !== undefined) break;
      }
    }
    throw new EdgeproofError('E_PORT_TAKEN', `cannot listen for Modbus TCP: ${messageOf(lastError)}`, {
      where,
      fix: options.port !== undefined ? `free port ${options.port} or let the simulator choose one` : 'check that loopback accepts listeners',
      cause: lastError,
    });
  }

  get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  /** Host `bank` at `unitId` (1–247). */
  addUnit(unitId: number, bank: RegisterBank): void {
    if (!Number.isInteger(unitId) || unitId < 1 || unitId > 247) throw new RangeError(`unit id ${unitId} outside 1..247`);
    if (this.units.has(unitId)) throw new RangeError(`unit id ${unitId} already hosted on ${this.endpoint}`);
    this.units.set(unitId, bank);
  }

  removeUnit(unitId: number): void {
    this.units.delete(unitId);
  }

  unitIds(): number[] {
    return [...this.units.keys()].sort((a, b) => a - b);
  }

  /** Open client connections (the mapper's, mbpoll's …). */
  get connections(): number {
    return this.server.socks.size;
  }

  /** Drop every client connection, keep listening (a device reboot seen from the network). */
  dropConnections(): void {
    for (const sock of this.server.socks.keys()) sock.destroy();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function listen(host: string, port: number, units: Map<number, RegisterBank>, stats: ModbusServerStats): Promise<ServerTCP> {
  const unit = (unitID: number): RegisterBank => {
    stats.accesses++;
    const bank = units.get(unitID);
    if (bank === undefined) throw new ModbusException(ModbusExceptionCode.gatewayTargetFailedToRespond, `no device at unit ${unitID}`);
    return bank;
  };
  const counted = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      stats.exceptions++;
      throw e;
    }
  };
  // Synchronous vector functions (arity without a callback): modbus-serial then answers from the return value
  // or turns a thrown { modbusErrorCode } into the exception response.
  const vector = {
    getCoil: (addr: number, unitID: number): boolean => counted(() => unit(unitID).readCoil(addr)),
    getDiscreteInput: (addr: number, unitID: number): boolean => counted(() => unit(unitID).readDiscreteInput(addr)),
    getInputRegister: (addr: number, unitID: number): number => counted(() => unit(unitID).readInput(addr)[0] ?? 0),
    getHoldingRegister: (addr: number, unitID: number): number => counted(() => unit(unitID).readHolding(addr)[0] ?? 0),
    getMultipleInputRegisters: (addr: number, length: number, unitID: number): number[] => counted(() => unit(unitID).readInput(addr, length)),
    getMultipleHoldingRegisters: (addr: number, length: number, unitID: number): number[] => counted(() => unit(unitID).readHolding(addr, length)),
    setCoil: (addr: number, value: boolean, unitID: number): void => counted(() => unit(unitID).writeCoil(addr, value)),
    setRegister: (addr: number, value: number, unitID: number): void => counted(() => unit(unitID).writeHolding(addr, value)),
  };
  return new Promise<ServerTCP>((resolve, reject) => {
    const server = new ServerTCP(vector, { host, port, unitID: 255 });
    const onError = (e: unknown): void => {
      server.close(() => undefined);
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    server.once('serverError', onError);
    server.once('initialized', () => {
      server.removeListener('serverError', onError);
      // a client that vanishes mid-request must not take the process down
      server.on('socketError', () => undefined);
      server.on('serverError', () => undefined);
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}
