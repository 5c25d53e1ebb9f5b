import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { seededRandom } from '../core/random.ts';
import { BarrierGateBehaviour, createModbusDevice, WeighbridgeBehaviour } from './behaviours.ts';
import { GateState, MODBUS_KINDS, type ModbusDeviceKind } from './kinds.ts';
import type { RegisterBank } from './registers.ts';
import { ModbusException } from './registers.ts';

/** Every register of a bank, as one line. */
function snapshot(bank: RegisterBank): string {
  const l = bank.layout;
  const bits = (n: number, read: (i: number) => boolean): string => Array.from({ length: n }, (_, i) => (read(i) ? 1 : 0)).join('');
  return [bits(l.coils, (i) => bank.readCoil(i)), bits(l.discreteInputs, (i) => bank.readDiscreteInput(i)), bank.readHolding(0, l.holdingRegisters).join(','), bank.readInput(0, l.inputRegisters).join(',')].join('|');
}

async function trace(kind: ModbusDeviceKind, seed: number): Promise<string[]> {
  const clock = new ManualClock(0);
  const { bank, behaviour } = createModbusDevice(kind, clock, seededRandom(seed).fork(`default/${kind}`), {
    gate: { vehicleIntervalMs: 5_000 },
    weighbridge: { vehicleIntervalMs: 10_000 },
    smoke: { alarmIntervalMs: 60_000 },
    flood: { alarmIntervalMs: 60_000 },
  });
  behaviour.start();
  const out: string[] = [];
  for (let t = 0; t < 600; t++) {
    await clock.advance(1_000);
    out.push(snapshot(bank));
  }
  behaviour.stop();
  expect(clock.pendingTimers()).toBe(0);
  return out;
}

describe('seeded device behaviours', () => {
  it.each(MODBUS_KINDS)('%s replays exactly from its seed and differs with another seed', async (kind) => {
    const a = await trace(kind, 1);
    expect(await trace(kind, 1)).toEqual(a);
    expect(await trace(kind, 2)).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(3); // it does something over ten minutes
  });

  it('a barrier gate follows its coil through opening/closing, and a reversal mid-way wins', async () => {
    const clock = new ManualClock(0);
    const { bank, behaviour } = createModbusDevice('barrier-gate', clock, seededRandom(3), { gate: { vehicleIntervalMs: 0, travelMs: [1_000, 1_000] } });
    const gate = behaviour as BarrierGateBehaviour;
    gate.start();
    expect(gate.state).toBe(GateState.closed);
    bank.writeCoil(0, true);
    expect(gate.state).toBe(GateState.opening);
    await clock.advance(999);
    expect(gate.state).toBe(GateState.opening);
    await clock.advance(1);
    expect(gate.state).toBe(GateState.open);
    bank.writeCoil(0, false);
    await clock.advance(500);
    bank.writeCoil(0, true); // reversed before fully closed
    await clock.advance(2_000);
    expect(gate.state).toBe(GateState.open);
    gate.setVehicleCount(0x1_0002);
    expect(bank.readInput(0, 2)).toEqual([1, 2]);
  });

  it('a weighbridge settles near the vehicle weight with realistic values', async () => {
    const clock = new ManualClock(0);
    const { behaviour } = createModbusDevice('weighbridge', clock, seededRandom(5), { weighbridge: { vehicleIntervalMs: 20_000, tickMs: 500 } });
    const wb = behaviour as WeighbridgeBehaviour;
    wb.start();
    const seen: number[] = [];
    for (let i = 0; i < 1_200; i++) {
      await clock.advance(500);
      seen.push(wb.weight);
    }
    expect(Math.max(...seen)).toBeGreaterThan(1_000);
    expect(Math.max(...seen)).toBeLessThan(50_000);
    expect(Math.min(...seen)).toBeGreaterThan(-10);
  });

  it('a register bank refuses addresses outside its tables with Modbus exception 2', () => {
    const { bank } = createModbusDevice('smoke-alarm', new ManualClock(0), seededRandom(1));
    expect(() => bank.readInput(1, 2)).toThrow(ModbusException);
    expect(() => bank.readHolding(40)).toThrow(expect.objectContaining({ modbusErrorCode: 2 }));
    expect(() => bank.writeCoil(2, true)).toThrow(/illegal data address/);
  });
});
