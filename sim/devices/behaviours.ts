/**
 * Seeded behaviour models: what each device's firmware does to its registers over time. Time comes from the
 * injected Clock and every random draw from the device's own Random stream, so a run replays from its seed and
 * tests drive a behaviour on a ManualClock. Each model also has small imperative controls (passVehicle,
 * placeVehicle, trigger …) that tests and fault scripts use to force a change they can then look for.
 */
import { TimerScope, type Clock } from '../core/clock.ts';
import type { Random } from '../core/random.ts';
import { GateState, modbusProfile, type ModbusDeviceKind } from './kinds.ts';
import { float32ToWords, RegisterBank, swapBytes16, uint32ToWords } from './registers.ts';

export interface Behaviour {
  readonly kind: ModbusDeviceKind;
  start(): void;
  stop(): void;
}

/** Exponentially distributed delay with the given mean (a Poisson arrival process). */
export function exponentialMs(random: Random, meanMs: number): number {
  return Math.max(1, Math.round(-Math.log(1 - random.next()) * meanMs));
}

function uniform(random: Random, min: number, max: number): number {
  return min + random.next() * (max - min);
}

abstract class TimedBehaviour implements Behaviour {
  abstract readonly kind: ModbusDeviceKind;
  private readonly scope: TimerScope;

  constructor(
    protected readonly bank: RegisterBank,
    protected readonly clock: Clock,
    protected readonly random: Random,
  ) {
    this.scope = new TimerScope(clock);
  }

  start(): void {
    if (this.scope.start()) this.onStart();
  }

  stop(): void {
    this.scope.stop();
  }

  protected abstract onStart(): void;

  protected after(ms: number, fn: () => void): void {
    this.scope.after(ms, fn);
  }

  protected every(ms: number, fn: () => void): void {
    this.scope.every(ms, fn);
  }
}

export interface BarrierGateOptions {
  /** Mean time between vehicles arriving at the lane loop (Poisson), ms. 0 disables arrivals. */
  readonly vehicleIntervalMs?: number;
  /** Barrier travel time range, ms. */
  readonly travelMs?: readonly [number, number];
}

/**
 * Coil 0 is the open command; holding register 0 follows it through opening/closing with a seeded travel
 * time; discrete input 0 is the lane loop; input registers 0–1 count vehicles (uint32, high word first).
 */
export class BarrierGateBehaviour extends TimedBehaviour {
  readonly kind = 'barrier-gate' as const;
  private count = 0;
  private travel: { target: number } | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly opts: Required<BarrierGateOptions>;

  constructor(bank: RegisterBank, clock: Clock, random: Random, opts: BarrierGateOptions = {}) {
    super(bank, clock, random);
    this.opts = { vehicleIntervalMs: opts.vehicleIntervalMs ?? 20_000, travelMs: opts.travelMs ?? [1_200, 2_500] };
  }

  get state(): number {
    return this.bank.readHolding(0)[0] ?? 0;
  }

  get vehicles(): number {
    return this.count;
  }

  protected onStart(): void {
    this.bank.setHolding(0, this.bank.readCoil(0) ? GateState.open : GateState.closed);
    this.writeCount();
    this.unsubscribe = this.bank.onWrite((type, address, value) => {
      if (type === 'CoilRegister' && address === 0) this.command(value === 1);
    });
    if (this.opts.vehicleIntervalMs > 0) this.scheduleArrival();
  }

  override stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    super.stop();
  }

  /** A vehicle crosses the loop now (counted when it leaves). */
  passVehicle(): void {
    this.count = (this.count + 1) >>> 0;
    this.writeCount();
  }

  /** Force the counter (tests: a value changed on the device). */
  setVehicleCount(n: number): void {
    this.count = n >>> 0;
    this.writeCount();
  }

  private command(open: boolean): void {
    const target = open ? GateState.open : GateState.closed;
    if (this.travel?.target === target || (this.travel === undefined && this.state === target)) return;
    this.travel = { target };
    this.bank.setHolding(0, open ? GateState.opening : GateState.closing);
    const travel = this.travel;
    this.after(Math.round(uniform(this.random, this.opts.travelMs[0], this.opts.travelMs[1])), () => {
      if (this.travel !== travel) return; // reversed mid-way
      this.travel = undefined;
      this.bank.setHolding(0, target);
    });
  }

  private scheduleArrival(): void {
    this.after(exponentialMs(this.random, this.opts.vehicleIntervalMs), () => {
      this.bank.setDiscreteInput(0, true);
      this.after(Math.round(uniform(this.random, 800, 3_000)), () => {
        this.bank.setDiscreteInput(0, false);
        this.passVehicle();
      });
      this.scheduleArrival();
    });
  }

  private writeCount(): void {
    this.bank.setInput(0, ...uint32ToWords(this.count, 'ABCD'));
  }
}

export interface WeighbridgeOptions {
  /** Mean time between vehicles driving onto the platform, ms. 0 disables arrivals. */
  readonly vehicleIntervalMs?: number;
  /** Noise/settling update period, ms. */
  readonly tickMs?: number;
}

/**
 * Input registers 0–1 hold the weight as float32 in CDAB word order, register 2 the axles, discrete input 0
 * "stable", holding register 0 the rated capacity in 10 kg units. Vehicles drive on (70 % cars 1.1–2.4 t with
 * 2 axles, 30 % trucks 8–49 t with 3–6 axles), the reading settles, they drive off.
 */
export class WeighbridgeBehaviour extends TimedBehaviour {
  readonly kind = 'weighbridge' as const;
  private target = 0;
  private current = 0;
  private readonly opts: Required<WeighbridgeOptions>;

  constructor(bank: RegisterBank, clock: Clock, random: Random, opts: WeighbridgeOptions = {}) {
    super(bank, clock, random);
    this.opts = { vehicleIntervalMs: opts.vehicleIntervalMs ?? 45_000, tickMs: opts.tickMs ?? 500 };
  }

  get weight(): number {
    return this.current;
  }

  protected onStart(): void {
    this.bank.setHolding(0, 6_000);
    this.write(0, 0, true);
    this.every(this.opts.tickMs, () => this.tick());
    if (this.opts.vehicleIntervalMs > 0) this.scheduleArrival();
  }

  /** Put a vehicle of `kg` with `axles` on the platform now (settles at once: tests). */
  placeVehicle(kg: number, axles: number): void {
    this.target = kg;
    this.write(kg, axles, true);
  }

  clear(): void {
    this.target = 0;
    this.write(0, 0, true);
  }

  private tick(): void {
    if (this.target === 0) {
      // empty platform: a few kg of drift
      this.write(Math.round(uniform(this.random, -2, 2) * 10) / 10, 0, true);
      return;
    }
    const remaining = this.target - this.current;
    const settled = Math.abs(remaining) < this.target * 0.01;
    const next = settled ? this.target + uniform(this.random, -5, 5) : this.current + remaining * 0.6;
    this.write(Math.round(next * 10) / 10, this.bank.readInput(2)[0] ?? 0, settled);
  }

  private scheduleArrival(): void {
    this.after(exponentialMs(this.random, this.opts.vehicleIntervalMs), () => {
      const truck = this.random.next() < 0.3;
      this.target = Math.round(truck ? uniform(this.random, 8_000, 49_000) : uniform(this.random, 1_100, 2_400));
      this.bank.setInput(2, truck ? this.random.int(3, 6) : 2);
      this.bank.setDiscreteInput(0, false);
      this.after(Math.round(uniform(this.random, 4_000, 10_000)), () => {
        this.target = 0;
        this.write(0, 0, true);
        this.scheduleArrival();
      });
    });
  }

  private write(kg: number, axles: number, stable: boolean): void {
    this.current = kg;
    this.bank.setInput(0, ...float32ToWords(kg, 'CDAB'));
    this.bank.setInput(2, axles);
    this.bank.setDiscreteInput(0, stable);
  }
}

export interface AlarmOptions {
  /** Mean time between alarm episodes, ms. 0 disables them. */
  readonly alarmIntervalMs?: number;
  readonly tickMs?: number;
}

/**
 * Discrete input 0 is the smoke alarm, 1 the fault flag; input register 0 the obscuration stored byte-swapped;
 * coil 0 the silence command. An alarm episode raises the obscuration above the threshold for 1–3 minutes.
 */
export class SmokeAlarmBehaviour extends TimedBehaviour {
  readonly kind = 'smoke-alarm' as const;
  private obscuration = 0;
  private episodeUntil = 0;
  private readonly opts: Required<AlarmOptions>;
  static readonly threshold = 250;

  constructor(bank: RegisterBank, clock: Clock, random: Random, opts: AlarmOptions = {}) {
    super(bank, clock, random);
    this.opts = { alarmIntervalMs: opts.alarmIntervalMs ?? 2 * 3_600_000, tickMs: opts.tickMs ?? 1_000 };
  }

  protected onStart(): void {
    this.obscuration = this.random.int(5, 30);
    this.write();
    this.every(this.opts.tickMs, () => this.tick());
    if (this.opts.alarmIntervalMs > 0) this.scheduleEpisode();
  }

  /** Smoke now, for `durationMs`. */
  trigger(durationMs = 60_000): void {
    this.episodeUntil = this.clock.now() + durationMs;
    this.obscuration = Math.max(this.obscuration, SmokeAlarmBehaviour.threshold + 100);
    this.write();
  }

  setFault(fault: boolean): void {
    this.bank.setDiscreteInput(1, fault);
  }

  private tick(): void {
    const inEpisode = this.clock.now() < this.episodeUntil;
    this.obscuration = inEpisode
      ? Math.min(2_000, Math.max(SmokeAlarmBehaviour.threshold + 1, this.obscuration + this.random.int(-40, 80)))
      : Math.max(0, Math.min(60, Math.round(this.obscuration * 0.7 + this.random.int(0, 12))));
    this.write();
  }

  private scheduleEpisode(): void {
    this.after(exponentialMs(this.random, this.opts.alarmIntervalMs), () => {
      this.trigger(this.random.int(60_000, 180_000));
      this.scheduleEpisode();
    });
  }

  private write(): void {
    this.bank.setInput(0, swapBytes16(this.obscuration));
    this.bank.setDiscreteInput(0, this.obscuration > SmokeAlarmBehaviour.threshold);
  }
}

/** Discrete input 0 is the flood alarm (level > 100 mm), 1 the sensor fault; input register 0 the level in mm. */
export class FloodAlarmBehaviour extends TimedBehaviour {
  readonly kind = 'flood-alarm' as const;
  private level = 0;
  private rising = 0;
  private readonly opts: Required<AlarmOptions>;
  static readonly thresholdMm = 100;

  constructor(bank: RegisterBank, clock: Clock, random: Random, opts: AlarmOptions = {}) {
    super(bank, clock, random);
    this.opts = { alarmIntervalMs: opts.alarmIntervalMs ?? 4 * 3_600_000, tickMs: opts.tickMs ?? 1_000 };
  }

  protected onStart(): void {
    this.level = this.random.int(0, 5);
    this.write();
    this.every(this.opts.tickMs, () => this.tick());
    if (this.opts.alarmIntervalMs > 0) this.scheduleEpisode();
  }

  setLevel(mm: number): void {
    this.level = Math.max(0, Math.round(mm));
    this.rising = 0;
    this.write();
  }

  setFault(fault: boolean): void {
    this.bank.setDiscreteInput(1, fault);
  }

  private tick(): void {
    if (this.rising > 0) {
      this.level = Math.min(this.rising, this.level + this.random.int(5, 25));
      if (this.level >= this.rising) this.rising = -1;
    } else if (this.rising < 0) {
      this.level = Math.max(0, this.level - this.random.int(2, 10));
      if (this.level <= 5) this.rising = 0;
    } else {
      this.level = Math.max(0, Math.min(8, this.level + this.random.int(-1, 1)));
    }
    this.write();
  }

  private scheduleEpisode(): void {
    this.after(exponentialMs(this.random, this.opts.alarmIntervalMs), () => {
      this.rising = this.random.int(150, 600);
      this.scheduleEpisode();
    });
  }

  private write(): void {
    this.bank.setInput(0, this.level);
    this.bank.setDiscreteInput(0, this.level > FloodAlarmBehaviour.thresholdMm);
  }
}

export type AnyBehaviour = BarrierGateBehaviour | WeighbridgeBehaviour | SmokeAlarmBehaviour | FloodAlarmBehaviour;

export interface BehaviourOptions {
  readonly gate?: BarrierGateOptions;
  readonly weighbridge?: WeighbridgeOptions;
  readonly smoke?: AlarmOptions;
  readonly flood?: AlarmOptions;
}

/** A register bank laid out for `kind` and the behaviour that drives it (not started). */
export function createModbusDevice(kind: ModbusDeviceKind, clock: Clock, random: Random, opts: BehaviourOptions = {}): { bank: RegisterBank; behaviour: AnyBehaviour } {
  const bank = new RegisterBank(modbusProfile(kind).layout);
  switch (kind) {
    case 'barrier-gate':
      return { bank, behaviour: new BarrierGateBehaviour(bank, clock, random, opts.gate) };
    case 'weighbridge':
      return { bank, behaviour: new WeighbridgeBehaviour(bank, clock, random, opts.weighbridge) };
    case 'smoke-alarm':
      return { bank, behaviour: new SmokeAlarmBehaviour(bank, clock, random, opts.smoke) };
    case 'flood-alarm':
      return { bank, behaviour: new FloodAlarmBehaviour(bank, clock, random, opts.flood) };
  }
}
