/**
 * The beehive message model as it travels between CloudHub and EdgeHub, plus constructors for the messages
 * an edge node sends. Facts come from beehive v1.23.0 `pkg/core/model/message.go` and kubeedge v1.23.1
 * (paths cited next to each constructor), so a simulated node is indistinguishable on the wire from edgecore.
 *
 * Route and header fields stay plain strings: the wire is the truth and an unknown operation must survive a
 * decode/encode round trip. The string-literal unions below are views for exhaustive switches.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, Random } from '../core/index.ts';

export type JsonValue = null | boolean | number | string | JsonArray | JsonObject;
export type JsonArray = JsonValue[];
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * `model.MessageHeader`. Go cannot tell an absent field from its zero value (omitempty), so neither can we:
 * '' / 0 / false mean "absent".
 */
export interface MessageHeader {
  /** `msg_id`, always on the wire (no omitempty), a UUID in practice. */
  readonly msgId: string;
  /** `parent_msg_id`: set on replies; the edge treats any incoming message with it as a sync reply. */
  readonly parentMsgId: string;
  /** `timestamp`: Go int64 milliseconds, always on the wire. */
  readonly timestamp: number;
  /** `resourceversion`: the k8s object's RV, required by CloudHub for messages that need an ACK. */
  readonly resourceVersion: string;
  /** `sync`: always false on the WebSocket — both ends write with WriteMessageAsync, which clears it. */
  readonly sync: boolean;
  /** `type`: beehive context type; copied into ACKs by NewRespByMessage. */
  readonly type: string;
}

/** `model.MessageRoute`; the struct itself is always written (`"route":{}`) even when every field is empty. */
export interface MessageRoute {
  readonly source: string;
  readonly destination: string;
  readonly group: string;
  readonly operation: string;
  readonly resource: string;
}

export interface Message {
  readonly header: MessageHeader;
  readonly route: MessageRoute;
  /** `content interface{}`: no omitempty, so an absent content is written as `null`. */
  readonly content: JsonValue;
}

// ---------------------------------------------------------------------------------------------------------
// Vocabulary. Sources: beehive model/message.go, kubeedge edge/pkg/common/message/message.go,
// cloud/pkg/cloudhub/common/model/types.go, pkg/viaduct/pkg/comm/const.go, common/constants/default.go,
// cloud/pkg/taskmanager/v1alpha1/util/util.go, pkg/nodetask/message/message.go.

export const KNOWN_OPERATIONS = [
  // beehive
  'insert',
  'delete',
  'query',
  'update',
  'patch',
  'upload',
  'response',
  'error',
  'unhold-upgrade',
  // edge/pkg/common/message
  'keepalive',
  'connect',
  'subscribe',
  'unsubscribe',
  'message',
  'publish',
  'get_result',
  'start',
  'stop',
  // cloudhub model (device twin / membership)
  'get',
  'list',
  'detail',
  'delta',
  'document',
  'updated',
  'deleted',
  'connected',
  'disconnected',
  // viaduct control messages: answered by viaduct itself with content "ack", never reach a module
  'config',
  'ping',
  'pong',
  // CSI volume operations (common/constants)
  'createvolume',
  'deletevolume',
  'controllerpublishvolume',
  'controllerunpublishvolume',
  // node tasks
  'prepull',
  'upgrade',
  'UpdateNodeActionStatus',
] as const;
export type KnownOperation = (typeof KNOWN_OPERATIONS)[number];

export const KNOWN_RESOURCE_TYPES = [
  // beehive
  'pod',
  'event',
  'configmap',
  'serviceaccounttoken',
  'secret',
  'node',
  'podlist',
  'podstatus',
  'podpatch',
  'nodestatus',
  'nodepatch',
  'rule',
  'ruleendpoint',
  'rulestatus',
  'lease',
  'serviceaccountaccess',
  'certificatesigningrequest',
  'k8s/ca.crt',
  // kubeedge common/constants and cloud models
  'persistentvolume',
  'persistentvolumeclaim',
  'volumeattachment',
  'volume',
  'service',
  'endpoints',
  'membership',
  'twin',
  'device',
  'devicemodel',
  'devicemapper',
  'devices',
  'devicestatuses',
  'node/connection',
  'twin/edge_updated',
  'membership/detail',
] as const;
export type KnownResourceType = (typeof KNOWN_RESOURCE_TYPES)[number];

export const KNOWN_GROUPS = ['resource', 'twin', 'func', 'user', 'meta', 'bus', 'hub', 'edged', 'edgestream', 'taskmanager'] as const;
export type KnownGroup = (typeof KNOWN_GROUPS)[number];

/** Module names used as route.source; CloudHub drops upstream messages whose source is a cloud module. */
export const KNOWN_SOURCES = [
  // edge modules (edge/pkg/common/modules)
  'edged',
  'eventbus',
  'servicebus',
  'edgestream',
  'twin',
  'websocket',
  'metamanager',
  'taskmanager',
  'edgehub',
  // cloud modules (cloud/pkg/common/modules)
  'cloudhub',
  'edgecontroller',
  'policycontroller',
  'devicecontroller',
  'nodeupgradejobcontroller',
  'synccontroller',
  'dynamiccontroller',
  'cloudStream',
  'router',
  'router_eventbus',
  'router_servicebus',
] as const;
export type KnownSource = (typeof KNOWN_SOURCES)[number];

const operationSet: ReadonlySet<string> = new Set(KNOWN_OPERATIONS);
const resourceTypeSet: ReadonlySet<string> = new Set(KNOWN_RESOURCE_TYPES);
const groupSet: ReadonlySet<string> = new Set(KNOWN_GROUPS);
const sourceSet: ReadonlySet<string> = new Set(KNOWN_SOURCES);

/** Classify a wire operation; the raw string stays in the message, so nothing is lost by 'unknown'. */
export function operationOf(raw: string): KnownOperation | 'unknown' {
  return operationSet.has(raw) ? (raw as KnownOperation) : 'unknown';
}
export function resourceTypeOf(raw: string): KnownResourceType | 'unknown' {
  return resourceTypeSet.has(raw) ? (raw as KnownResourceType) : 'unknown';
}
export function groupOf(raw: string): KnownGroup | 'unknown' {
  return groupSet.has(raw) ? (raw as KnownGroup) : 'unknown';
}
export function sourceOf(raw: string): KnownSource | 'unknown' {
  return sourceSet.has(raw) ? (raw as KnownSource) : 'unknown';
}

// ---------------------------------------------------------------------------------------------------------
// Resource strings.

/** Namespace of cluster-scoped objects in resource strings (edge/pkg/metamanager/dao/models/constants.go). */
export const NULL_NAMESPACE = 'null';
/** Default `modules.edgeHub.projectID`. */
export const DEFAULT_PROJECT_ID = 'e632aba927ea4ac2b575ec1603d56f10';
/** Namespace edged writes node leases to. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export type ParsedResource =
  /** `<ns>/<type>/<name>`: one object. */
  | { readonly kind: 'object'; readonly namespace: string; readonly type: string; readonly name: string }
  /** `<ns>/<type>`: a list query (edge ParseResourceEdge accepts it for query/response only). */
  | { readonly kind: 'list'; readonly namespace: string; readonly type: string }
  /** Anything else (`node`, `k8s/ca.crt`, `node/connection`, device paths …), kept verbatim. */
  | { readonly kind: 'other'; readonly raw: string };

/**
 * Parse an edge-side resource the way metamanager's parseResource does: split on '/', three parts are an
 * object, two a type. Empty parts do not match (Go would accept them, but no real sender produces them and
 * an empty namespace/type/name is always a bug worth seeing).
 */
export function parseResource(resource: string): ParsedResource {
  const parts = resource.split('/');
  if (parts.length === 3 && parts.every((p) => p !== '')) {
    const [namespace, type, name] = parts as [string, string, string];
    return { kind: 'object', namespace, type, name };
  }
  if (parts.length === 2 && parts.every((p) => p !== '')) {
    const [namespace, type] = parts as [string, string];
    return { kind: 'list', namespace, type };
  }
  return { kind: 'other', raw: resource };
}

export function formatResource(namespace: string, type: string, name?: string): string {
  return name === undefined ? `${namespace}/${type}` : `${namespace}/${type}/${name}`;
}

/** Inside CloudCore every edge resource carries `node/<nodeID>/` (cloudhub dispatcher PubToController). */
export function toCloudResource(nodeId: string, edgeResource: string): string {
  return `node/${nodeId}/${edgeResource}`;
}

/**
 * CloudHub's TrimMessage (cloud/pkg/cloudhub/common/helper.go) before a message goes to the edge: a resource
 * that merely *starts with* "node" and has at least three '/'-parts loses its first two parts.
 */
export function trimCloudResource(resource: string): string {
  if (!resource.startsWith('node')) return resource;
  const tokens = resource.split('/');
  return tokens.length < 3 ? resource : tokens.slice(2).join('/');
}

// ---------------------------------------------------------------------------------------------------------
// Construction.

export type IdSource = () => string;

/** Random v4 UUIDs, like uuid.New() in beehive. */
export const randomIds: IdSource = () => randomUUID();

/** v4-format UUIDs drawn from a seeded Random, so a simulated run replays with the same message ids. */
export function seededIds(random: Random): IdSource {
  return () => {
    let hex = '';
    for (let i = 0; i < 4; i++) hex += random.int(0, 0xffffffff).toString(16).padStart(8, '0');
    const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
}

export interface HeaderInit {
  msgId: string;
  parentMsgId?: string;
  timestamp: number;
  resourceVersion?: string;
  sync?: boolean;
  type?: string;
}
export interface RouteInit {
  source?: string;
  destination?: string;
  group?: string;
  operation?: string;
  resource?: string;
}

/** Build a message from partial parts, filling Go zero values. */
export function makeMessage(header: HeaderInit, route: RouteInit, content: JsonValue): Message {
  return {
    header: {
      msgId: header.msgId,
      parentMsgId: header.parentMsgId ?? '',
      timestamp: header.timestamp,
      resourceVersion: header.resourceVersion ?? '',
      sync: header.sync ?? false,
      type: header.type ?? '',
    },
    route: {
      source: route.source ?? '',
      destination: route.destination ?? '',
      group: route.group ?? '',
      operation: route.operation ?? '',
      resource: route.resource ?? '',
    },
    content,
  };
}

/** The content edgecore's metamanager answers with after a successful DB write (process.go `OK`). */
export const ACK_CONTENT = 'OK';
/** The content of EdgeHub's keepalive. */
export const KEEPALIVE_CONTENT = 'ping';

export interface MessageFactoryOptions {
  readonly clock: Clock;
  readonly ids?: IdSource;
}

/**
 * Constructors for what a node sends, each mirroring the edgecore call that produces it. Ids and time are
 * injected so the same code serves wall-clock runs and deterministic tests.
 */
export class MessageFactory {
  private readonly clock: Clock;
  private readonly ids: IdSource;

  constructor(options: MessageFactoryOptions) {
    this.clock = options.clock;
    this.ids = options.ids ?? randomIds;
  }

  /** beehive model.NewMessage(parentID): fresh id, parent, timestamp now (ms); everything else empty. */
  newMessage(parentMsgId: string, route: RouteInit, content: JsonValue): Message {
    return makeMessage({ msgId: this.ids(), parentMsgId, timestamp: this.clock.now() }, route, content);
  }

  /** edge/pkg/edgehub/process.go keepalive(): `NewMessage("").BuildRouter("websocket","resource","node","keepalive").FillBody("ping")`. */
  keepalive(): Message {
    return this.newMessage('', { source: 'websocket', group: 'resource', resource: 'node', operation: 'keepalive' }, KEEPALIVE_CONTENT);
  }

  /**
   * The ACK metamanager sends after storing a cloud message (edge/pkg/metamanager/process.go
   * `message.NewRespByMessage(&message, OK)`): parent = received id, source/group/resource/type copied from the
   * received message, operation "response", content "OK"; resourceversion and destination are NOT copied.
   */
  ack(received: Message): Message {
    return this.response(received, ACK_CONTENT);
  }

  /** beehive NewRespByMessage with arbitrary content. */
  response(received: Message, content: JsonValue): Message {
    return makeMessage(
      { msgId: this.ids(), parentMsgId: received.header.msgId, timestamp: this.clock.now(), type: received.header.type },
      { source: received.route.source, group: received.route.group, resource: received.route.resource, operation: 'response' },
      content,
    );
  }

  /**
   * metamanager feedbackError: `model.NewErrorMessage(&request, err).SetRoute("metamanager", request.GetGroup())`.
   * Operation "error", content the error text, type not copied.
   */
  errorResponse(request: Message, errorText: string): Message {
    return makeMessage(
      { msgId: this.ids(), parentMsgId: request.header.msgId, timestamp: this.clock.now() },
      { source: 'metamanager', group: request.route.group, resource: request.route.resource, operation: 'error' },
      errorText,
    );
  }

  /**
   * An edged request through the meta client (edge/pkg/metamanager/client/*.go message.BuildMsg): source
   * "edged", group "meta", resource `<ns>/<type>[/<name>]`.
   */
  edgedRequest(operation: KnownOperation, resource: string, content: JsonValue): Message {
    return this.newMessage('', { source: 'edged', group: 'meta', resource, operation }, content);
  }

  /**
   * Node status: client/node.go Patch → `null/nodepatch/<node>`, operation "patch", content the patch as a
   * JSON *string* (`string(patchBytes)`); the cloud answers with `{"Object":<Node>,"Err":{…}}`.
   */
  nodePatch(nodeName: string, patch: string): Message {
    return this.edgedRequest('patch', formatResource(NULL_NAMESPACE, 'nodepatch', nodeName), patch);
  }

  /**
   * Lease renewal: client/lease.go Update → `kube-node-lease/lease/<node>`, operation "update", content the
   * Lease object. metamanager forwards it with a fresh id (processRemote UpdateID) and only while connected.
   */
  leaseUpdate(nodeName: string, lease: JsonObject): Message {
    return this.edgedRequest('update', formatResource(NODE_LEASE_NAMESPACE, 'lease', nodeName), lease);
  }

  /** Initial lease creation (client/lease.go Create): same resource, operation "insert". */
  leaseCreate(nodeName: string, lease: JsonObject): Message {
    return this.edgedRequest('insert', formatResource(NODE_LEASE_NAMESPACE, 'lease', nodeName), lease);
  }

  /** Pod status: client/pod.go Patch → `<ns>/podpatch/<pod>`, operation "patch", content the patch string. */
  podPatch(namespace: string, podName: string, patch: string): Message {
    return this.edgedRequest('patch', formatResource(namespace, 'podpatch', podName), patch);
  }

  /** A meta query (configmap/secret/… fetch): operation "query", content null (BuildMsg(..., nil)). */
  query(namespace: string, type: KnownResourceType, name?: string): Message {
    return this.edgedRequest('query', formatResource(namespace, type, name), null);
  }
}
