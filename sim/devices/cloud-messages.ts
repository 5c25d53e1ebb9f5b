/**
 * The device messages CloudCore v1.23.1's devicecontroller sends to an edge, as the edge receives them (after
 * CloudHub's TrimMessage removed `node/<node>/`), for tests and in-memory runs without a CloudCore. Source:
 * cloud/pkg/devicecontroller/controller/downstream.go (deviceAdded/deviceUpdated/deviceDeleted,
 * sendDeviceMsg, sendDeviceModelMsg) and upstream.go (the confirm after a DeviceStatus patch).
 *
 * Order on a Device creation: membership update (NoAck queue), then the DeviceModel insert if no other
 * device on the node uses the model yet, then the Device insert (Ack queue, with the object's resourceVersion).
 * A change of spec (e.g. a desired value) sends DeviceModel update + Device update; no twin/cloud_updated.
 */
import { makeMessage, type IdSource, type JsonObject, type Message } from '../protocol/message.ts';
import type { DeviceModelObject, DeviceObject } from './crd.ts';

export interface CloudMessageOptions {
  readonly ids: IdSource;
  readonly now: () => number;
}

/** `membership` update adding and/or removing devices (types.MembershipUpdate; nil lists are JSON null). */
export function membershipUpdate(o: CloudMessageOptions, added: readonly DeviceObject[], removed: readonly DeviceObject[] = []): Message {
  const entry = (d: DeviceObject): JsonObject => {
    const e: JsonObject = { id: `${d.metadata.namespace}/${d.metadata.name}`, name: d.metadata.name };
    const description = d.metadata.labels?.['description'];
    if (description !== undefined && description !== '') e['description'] = description;
    return e;
  };
  return makeMessage(
    { msgId: o.ids(), timestamp: o.now() },
    { source: 'devicecontroller', group: 'twin', operation: 'update', resource: 'membership' },
    { event_id: o.ids(), timestamp: o.now(), added_devices: added.length > 0 ? added.map(entry) : null, removed_devices: removed.length > 0 ? removed.map(entry) : null },
  );
}

/** `<ns>/device/<name>` insert/update/delete with the Device as content and its resourceVersion in the header. */
export function deviceMessage(o: CloudMessageOptions, operation: 'insert' | 'update' | 'delete', device: DeviceObject, resourceVersion = '1'): Message {
  return makeMessage(
    { msgId: o.ids(), timestamp: o.now(), resourceVersion },
    { source: 'devicecontroller', group: 'resource', operation, resource: `${device.metadata.namespace}/device/${device.metadata.name}` },
    { ...device, metadata: { ...device.metadata, resourceVersion } } as unknown as JsonObject,
  );
}

/** `<ns>/devicemodel/<name>` insert/update/delete. */
export function deviceModelMessage(o: CloudMessageOptions, operation: 'insert' | 'update' | 'delete', model: DeviceModelObject, resourceVersion = '1'): Message {
  return makeMessage(
    { msgId: o.ids(), timestamp: o.now(), resourceVersion },
    { source: 'devicecontroller', group: 'resource', operation, resource: `${model.metadata.namespace}/devicemodel/${model.metadata.name}` },
    { ...model, metadata: { ...model.metadata, resourceVersion } } as unknown as JsonObject,
  );
}

/** devicecontroller's answer to an edge_updated or state/update once DeviceStatus is patched. */
export function twinConfirm(o: CloudMessageOptions, parentMsgId: string): Message {
  return makeMessage({ msgId: o.ids(), parentMsgId, timestamp: o.now() }, { source: 'devicecontroller', group: 'twin', operation: 'response', resource: 'twin' }, 'OK');
}

/** What a Device creation delivers to its node, in order. */
export function deviceAddedMessages(o: CloudMessageOptions, device: DeviceObject, model: DeviceModelObject | undefined, resourceVersion = '1'): Message[] {
  return [membershipUpdate(o, [device]), ...(model !== undefined ? [deviceModelMessage(o, 'insert', model, resourceVersion)] : []), deviceMessage(o, 'insert', device, resourceVersion)];
}

/**
 * The DeviceStatus status CloudCore would patch from edge messages (upstream.go): reported/observedDesired per
 * twin from `edge_updated`, state and lastOnlineTime from `state/update`. For in-memory tests.
 */
export interface StatusTwin {
  reported?: { value: string; metadata: Record<string, string> };
  observedDesired?: { value: string; metadata: Record<string, string> };
}

export class DeviceStatusModel {
  readonly twins = new Map<string, Map<string, StatusTwin>>();
  readonly states = new Map<string, { state: string; lastOnlineTime: string }>();

  /** Apply an edge→cloud message; returns the confirm the cloud would send, or undefined if it is not a device report. */
  apply(message: Message, o: CloudMessageOptions): Message | undefined {
    const m = /^device\/([^/]+\/[^/]+)\/(twin\/edge_updated|state\/update)$/.exec(message.route.resource);
    if (m === null) return undefined;
    const id = m[1] ?? '';
    const content: unknown = typeof message.content === 'string' ? JSON.parse(message.content) : message.content;
    if (typeof content !== 'object' || content === null) return undefined;
    if (m[2] === 'state/update') {
      const device = (content as { device?: { state?: string; lastOnlineTime?: string } }).device ?? {};
      this.states.set(id, { state: device.state ?? '', lastOnlineTime: device.lastOnlineTime ?? '' });
      return twinConfirm(o, message.header.msgId);
    }
    const twin = (content as { twin?: Record<string, { actual?: { value?: string; metadata?: { timestamp?: number } }; expected?: { value?: string; metadata?: { timestamp?: number } }; metadata?: { type?: string } }> }).twin ?? {};
    const status = this.twins.get(id) ?? new Map<string, StatusTwin>();
    for (const [name, t] of Object.entries(twin)) {
      const entry: StatusTwin = status.get(name) ?? {};
      const meta = (v: { metadata?: { timestamp?: number } }): Record<string, string> => ({
        ...(v.metadata !== undefined ? { timestamp: String(v.metadata.timestamp ?? 0) } : {}),
        ...(t.metadata !== undefined ? { type: t.metadata.type ?? '' } : {}),
      });
      if (t.actual?.value !== undefined) entry.reported = { value: t.actual.value, metadata: meta(t.actual) };
      if (t.expected?.value !== undefined) entry.observedDesired = { value: t.expected.value, metadata: meta(t.expected) };
      status.set(name, entry);
    }
    this.twins.set(id, status);
    return twinConfirm(o, message.header.msgId);
  }

  reported(deviceId: string, property: string): string | undefined {
    return this.twins.get(deviceId)?.get(property)?.reported?.value;
  }
}
