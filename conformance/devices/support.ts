/**
 * Test support for the device suites: a real external Modbus client (mbpoll), and an in-memory stand-in for
 * the cloud side of one node's link that applies device reports the way CloudCore's devicecontroller does and
 * confirms them.
 */
import { execFile, spawnSync } from 'node:child_process';
import { EdgeproofError } from '../../sim/core/errors.ts';
import type { Clock } from '../../sim/core/clock.ts';
import { seededRandom } from '../../sim/core/random.ts';
import { DeviceStatusModel, type CloudMessageOptions } from '../../sim/devices/cloud-messages.ts';
import type { EdgeDevices } from '../../sim/devices/edge-devices.ts';
import { decodeMessage, encodeMessage } from '../../sim/protocol/codec.ts';
import { seededIds, type Message } from '../../sim/protocol/message.ts';

/** mbpoll on PATH, installed with apt-get when missing and running as root. */
export function requireMbpoll(): string {
  const found = (): boolean => spawnSync('mbpoll', ['-V'], { encoding: 'utf8' }).error === undefined;
  if (found()) return 'mbpoll';
  if (process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-q'], { encoding: 'utf8', env });
    spawnSync('apt-get', ['install', '-y', '-q', 'mbpoll'], { encoding: 'utf8', env });
    if (found()) return 'mbpoll';
  }
  throw new EdgeproofError('E_TOOL_MISSING', 'mbpoll (an external Modbus client) is not installed', { where: 'mbpoll', fix: 'apt-get install -y mbpoll' });
}

export interface MbpollResult {
  readonly code: number;
  readonly values: string[];
  readonly output: string;
}

/**
 * One mbpoll poll (`-1`) against a loopback Modbus TCP port. Asynchronous on purpose: the simulators live in
 * this process, and a blocking spawn would stop them from answering.
 */
export function mbpoll(port: number, args: readonly string[], host = '127.0.0.1'): Promise<MbpollResult> {
  return new Promise((resolve) => {
    execFile('mbpoll', ['-m', 'tcp', '-p', String(port), '-1', '-o', '2', ...args, host], { encoding: 'utf8', timeout: 10_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      const values = [...output.matchAll(/^\[\d+\]:\s+(\S+)/gm)].map((m) => m[1] ?? '');
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, values, output });
    });
  });
}

/**
 * The cloud end of one node's link: while `up`, messages the edge sends are decoded from their wire form,
 * applied to a DeviceStatus model like devicecontroller does, and confirmed back to the edge's twin.
 */
export class FakeDeviceCloud {
  up = false;
  readonly received: Message[] = [];
  readonly status = new DeviceStatusModel();
  readonly opts: CloudMessageOptions;
  private edge: EdgeDevices | undefined;

  constructor(clock: Clock, seed = 99) {
    this.opts = { ids: seededIds(seededRandom(seed)), now: () => clock.now() };
  }

  attach(edge: EdgeDevices): void {
    this.edge = edge;
  }

  /** EdgeHub's send for the edge under test. */
  readonly send = (m: Message): boolean => {
    if (!this.up) return false;
    const onWire = decodeMessage(encodeMessage(m));
    this.received.push(onWire);
    const confirm = this.status.apply(onWire, this.opts);
    if (confirm !== undefined) queueMicrotask(() => this.edge?.handleCloudMessage(confirm));
    return true;
  };

  /** Deliver cloud→edge messages (only while the link is up, like CloudHub). */
  deliver(...messages: Message[]): void {
    if (!this.up) throw new Error('the link is down');
    for (const m of messages) this.edge?.handleCloudMessage(decodeMessage(encodeMessage(m)));
  }

  setLink(up: boolean): void {
    this.up = up;
    this.edge?.setConnected(up);
  }
}
