/**
 * The KubeEdge cloud–edge wire protocol: message model and edge constructors, the Go-exact WebSocket codec,
 * transports (real WebSocket, in-memory), and certificate bootstrap. Test support (govectors, arbitraries,
 * testserver) is deliberately not exported.
 */
export {
  ACK_CONTENT,
  DEFAULT_PROJECT_ID,
  KEEPALIVE_CONTENT,
  KNOWN_GROUPS,
  KNOWN_OPERATIONS,
  KNOWN_RESOURCE_TYPES,
  KNOWN_SOURCES,
  MessageFactory,
  NODE_LEASE_NAMESPACE,
  NULL_NAMESPACE,
  formatResource,
  groupOf,
  makeMessage,
  operationOf,
  parseResource,
  randomIds,
  resourceTypeOf,
  seededIds,
  sourceOf,
  toCloudResource,
  trimCloudResource,
} from './message.ts';
export type {
  HeaderInit,
  IdSource,
  JsonArray,
  JsonObject,
  JsonValue,
  KnownGroup,
  KnownOperation,
  KnownResourceType,
  KnownSource,
  Message,
  MessageFactoryOptions,
  MessageHeader,
  MessageRoute,
  ParsedResource,
  RouteInit,
} from './message.ts';
export { decodeMessage, encodeJson, encodeMessage, encodeMessageBytes, tryDecodeMessage } from './codec.ts';
export type { DecodeResult, EncodeOptions, KeyOrder, StricterThanGo } from './codec.ts';
export { createMemoryPair, dialWebSocket, edgeHubUrl, toPem } from './transport.ts';
export type { CloseInfo, EdgeTls, Frame, MemoryPairOptions, MemoryTransport, Transport, TransportState, WebSocketDialOptions } from './transport.ts';
export { linkMessages } from './link.ts';
export type { MessageLink, MessageLinkHandlers } from './link.ts';
export {
  bootstrapEdgeCertificate,
  createBootstrapToken,
  parseBootstrapToken,
  rotateEdgeCertificate,
  rotationDeadline,
  verifyBootstrapJwt,
} from './bootstrap.ts';
export type { BootstrapOptions, BootstrapToken, EdgeCredentials } from './bootstrap.ts';
