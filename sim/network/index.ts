// The network's public face: link profiles, uplinks on Toxiproxy, kernel-level loss.
export * from './link-profile.ts';
export * from './uplink.ts';
export * from './link-meter.ts';
export * from './network.ts';
export * from './kernel-link.ts';
export { measureUdpLoss, type LossMeasurement } from './loss-probe.ts';
export { ToxiproxyApi, type ToxicSpec, type ProxyState } from './toxiproxy-api.ts';
