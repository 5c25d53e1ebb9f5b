import type { GuaranteeBounds } from '../bounds.ts';
import type { JournalEntry } from '../journal.ts';
import { deviceLabel, findDeadline, ms, NodeTracker } from '../timeline.ts';
import { EvidenceCollector, verdictFrom, type CheckOptions, type Verdict } from '../verdict.ts';

/**
 * twin.converge — desired device properties set in the cloud reach the device register; reported values reach
 * the cloud.
 *
 * Precisely, at the deadline D (see sync.converge), per device property (Device namespace/name + property), with
 * the window [D − twin.lagMs, D]:
 * - desired case (a property with a `device-desired` before D): the values the cloud desired at some instant of
 *   the window are acceptable (the one in force at D − lagMs, plus each set later); when the first desired value
 *   was set inside the window there was no desire before it, so anything holds. Violated when the device's last
 *   `register-value` is not acceptable, or there is none.
 * - reported case (a property with a `register-value` before D, unless its last one says reportToCloud: false):
 *   the register values held at some instant of the window are acceptable (same rule). Violated when the cloud's
 *   last `device-reported` value is not acceptable, or there is none.
 * A device's node is the `node` of its last device line (any op naming the device); cases of devices whose node is partitioned or killed at D are
 * skipped. Values are compared as strings.
 *
 * Cost: one pass, one small record per device property.
 */
interface Series {
  /** Values acceptable so far: the one in force at the window start and every later one. */
  values: string[];
  /** The series began inside the window: before it there was nothing to match. */
  unconstrained: boolean;
  lastLine: number;
  lastT: number;
}

interface Property {
  readonly label: string;
  node: string;
  desired?: Series;
  register?: Series;
  reportToCloud: boolean;
  reported?: { value: string; line: number };
  registerLast?: { value: string; line: number };
}

export function checkTwinConverge(history: readonly JournalEntry[], bounds: GuaranteeBounds, options?: CheckOptions): Verdict {
  const deadline = findDeadline(history);
  const windowStart = deadline.t - bounds.twin.lagMs;
  const props = new Map<string, Property>();
  const deviceNode = new Map<string, string>();
  /** Devices whose reports the edge twin refused (the cause when none reached the cloud). */
  const refused = new Map<string, { reason: string; line: number }>();
  const tracker = new NodeTracker();

  const push = (s: Series | undefined, value: string, e: JournalEntry): Series => {
    if (s === undefined) return { values: [value], unconstrained: e.t > windowStart, lastLine: e.seq, lastT: e.t };
    if (e.t > windowStart) s.values.push(value);
    else s.values = [value];
    s.lastLine = e.seq;
    s.lastT = e.t;
    return s;
  };

  for (let i = 0; i < deadline.cut; i++) {
    const e = history[i]!;
    tracker.observe(e);
    if (e.op !== 'device-desired' && e.op !== 'register-value' && e.op !== 'device-reported' && e.op !== 'device-read' && e.op !== 'twin-write') {
      if (e.op === 'device-request' || e.op === 'device-answer') deviceNode.set(`${e.namespace ?? ''}/${e.name}`, e.node);
      if (e.op === 'twin-reject') refused.set(`${e.namespace ?? ''}/${e.name}`, { reason: e.value, line: e.seq });
      continue;
    }
    const device = `${e.namespace ?? ''}/${e.name}`;
    deviceNode.set(device, e.node);
    const id = `${device}#${e.property}`;
    let p = props.get(id);
    if (p === undefined) {
      p = { label: deviceLabel(e.namespace, e.name, e.property), node: e.node, reportToCloud: true };
      props.set(id, p);
    }
    switch (e.op) {
      case 'device-desired':
        p.desired = push(p.desired, e.value, e);
        break;
      case 'register-value':
        p.register = push(p.register, e.value, e);
        p.registerLast = { value: e.value, line: e.seq };
        p.reportToCloud = e.reportToCloud !== false;
        break;
      case 'device-reported':
        p.reported = { value: e.value, line: e.seq };
        break;
      default:
        break;
    }
  }

  const collector = new EvidenceCollector(options);
  let checked = 0;
  let skipped = 0;
  const dl = deadline.seq === undefined ? [] : [deadline.seq];
  for (const [id, p] of props) {
    const device = id.slice(0, id.lastIndexOf('#'));
    const node = deviceNode.get(device) ?? p.node;
    const cases = (p.desired !== undefined ? 1 : 0) + (p.register !== undefined && p.reportToCloud ? 1 : 0);
    if (cases === 0) continue;
    if (tracker.partitioned(node) || tracker.killed(node)) {
      skipped += cases;
      continue;
    }
    checked += cases;
    const d = p.desired;
    if (d !== undefined && !d.unconstrained && (p.registerLast === undefined || !d.values.includes(p.registerLast.value))) {
      collector.add(deadline.t - d.lastT, {
        line: d.lastLine,
        related: [...(p.registerLast === undefined ? [] : [p.registerLast.line]), ...dl],
        node,
        object: p.label,
        t: deadline.t,
        note:
          p.registerLast === undefined
            ? `desired ${JSON.stringify(d.values[d.values.length - 1])} never reached the device register`
            : `register holds ${JSON.stringify(p.registerLast.value)} at the deadline, the cloud desires ${d.values.map((v) => JSON.stringify(v)).join(' or ')} (lag allowed ${ms(bounds.twin.lagMs)})`,
      });
    }
    const r = p.register;
    if (r !== undefined && p.reportToCloud && !r.unconstrained && (p.reported === undefined || !r.values.includes(p.reported.value))) {
      const refusal = p.reported === undefined ? refused.get(device) : undefined;
      collector.add(deadline.t - r.lastT, {
        line: r.lastLine,
        related: [...(p.reported === undefined ? [] : [p.reported.line]), ...(refusal === undefined ? [] : [refusal.line]), ...dl],
        node,
        object: p.label,
        t: deadline.t,
        note:
          p.reported === undefined
            ? `register value ${JSON.stringify(r.values[r.values.length - 1])} never reported to the cloud${refusal === undefined ? '' : `; the edge twin refused the device's reports: ${refusal.reason}`}`
            : `the cloud reports ${JSON.stringify(p.reported.value)} at the deadline, the register held ${r.values.map((v) => JSON.stringify(v)).join(' or ')} (lag allowed ${ms(bounds.twin.lagMs)})`,
      });
    }
  }

  const skippedNote = skipped > 0 ? `; ${skipped} case(s) skipped: their node was partitioned or killed at the deadline` : '';
  return verdictFrom(
    'twin.converge',
    { checked, skipped, collector },
    {
      held: `all ${checked} desired/reported device values agree at the deadline t=${deadline.t}${skippedNote}`,
      violated: `${collector.count} of ${checked} desired/reported device values differ at the deadline t=${deadline.t}${skippedNote}`,
      notChecked: props.size === 0 ? 'no desired device values and no device registers in the history' : `no device property could be judged${skippedNote}`,
    },
  );
}
