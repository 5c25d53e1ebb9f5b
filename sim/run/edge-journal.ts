import type { DeviceEvent } from '../devices/edge-devices.ts';
import type { EdgeEvent } from '../edge/edge-node.ts';
import type { JournalInput, PodPhase } from '../evidence/journal.ts';
import { parseResource } from '../protocol/message.ts';
import { trackedKinds } from './cloud-observer.ts';

/** Resource types on the wire → the Kind the cloud's watches report, so both sides name objects alike. */
const kindOfType: Readonly<Record<string, string>> = {
  pod: 'Pod',
  configmap: 'ConfigMap',
  secret: 'Secret',
  service: 'Service',
  endpoints: 'Endpoints',
  serviceaccount: 'ServiceAccount',
  node: 'Node',
  persistentvolume: 'PersistentVolume',
  persistentvolumeclaim: 'PersistentVolumeClaim',
  volumeattachment: 'VolumeAttachment',
  rule: 'Rule',
  ruleendpoint: 'RuleEndpoint',
};

export function kindOf(type: string): string {
  return kindOfType[type] ?? type;
}

const phaseOf: Readonly<Record<string, PodPhase>> = { Pending: 'pending', Running: 'running', Succeeded: 'stopped', Failed: 'failed', Stopped: 'stopped' };

/** A pod's app is its workload (the scenario's label); its version is the image it runs, which a rollout changes. */
export const appLabel = 'edgeproof.io/workload';

/** One simulated node's event as a journal entry (undefined: nothing the checkers use). */
export function edgeEventToJournal(node: string, e: EdgeEvent): JournalInput | undefined {
  switch (e.op) {
    case 'connect':
      return { source: 'edge', op: 'connect', node };
    case 'disconnect':
      return { source: 'edge', op: 'disconnect', node, value: e.reason };
    case 'start':
      return { source: 'edge', op: 'start', node, value: e.boot ? 'boot' : 'restart' };
    case 'apply':
      if (e.uid === undefined || e.rv === undefined || !trackedKinds.has(kindOf(e.kind))) return undefined;
      return { source: 'edge', op: 'apply', node, kind: kindOf(e.kind), namespace: e.namespace, name: e.name, uid: e.uid, rv: e.rv };
    case 'delete':
      if (!trackedKinds.has(kindOf(e.kind))) return undefined;
      return { source: 'edge', op: 'delete', node, kind: kindOf(e.kind), namespace: e.namespace, name: e.name, ...(e.uid !== undefined ? { uid: e.uid } : {}) };
    case 'ack': {
      const r = parseResource(e.resource);
      if (r.kind !== 'object' || !trackedKinds.has(kindOf(r.type))) return undefined;
      return { source: 'edge', op: 'ack', node, kind: kindOf(r.type), namespace: r.namespace, name: r.name };
    }
    case 'pod-state': {
      const app = e.labels?.[appLabel];
      const version = e.image;
      return {
        source: 'edge',
        op: 'pod-state',
        node,
        namespace: e.namespace,
        name: e.name,
        value: phaseOf[e.phase] ?? 'pending',
        ...(e.uid !== undefined ? { uid: e.uid } : {}),
        ...(app !== undefined ? { app } : {}),
        ...(version !== undefined ? { version } : {}),
      };
    }
    case 'bad-frame':
      return undefined;
    case 'device':
      return deviceEventToJournal(node, e.event);
  }
}

/** What the checkers use of device management: values the mapper wrote to and read from the device. */
function deviceEventToJournal(node: string, e: DeviceEvent): JournalInput | undefined {
  switch (e.op) {
    case 'desired-written': {
      if (e.error !== undefined) return undefined;
      const [namespace = '', name = ''] = e.device.split('/');
      return { source: 'edge', op: 'twin-write', node, namespace, name, property: e.property, value: e.value };
    }
    case 'poll':
    case 'poll-answer': {
      const [namespace = '', name = ''] = e.device.split('/');
      return { source: 'edge', op: e.op === 'poll' ? 'device-request' : 'device-answer', node, namespace, name, reqId: e.reqId, value: e.property };
    }
    case 'read': {
      const [namespace = '', name = ''] = e.device.split('/');
      return { source: 'edge', op: 'device-read', node, namespace, name, property: e.property, value: e.value };
    }
    case 'rejected': {
      const [namespace = '', name = ''] = e.device.split('/');
      return { source: 'edge', op: 'twin-reject', node, namespace, name, value: e.reason };
    }
    default:
      return undefined;
  }
}
