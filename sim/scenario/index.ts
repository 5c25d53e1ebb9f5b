export * from './types.ts';
export * from './units.ts';
export * from './selector.ts';
export * from './guarantees.ts';
export * from './workloads.ts';
export * from './devices.ts';
export { loadScenario, parseScenario, defaultHardwareProfileDir, schemaComment, topLevelKeys, timelineActionKeys, componentTargets, deviceProtocols, actionSpanMs, maxNodes, maxVehicleMoves, type LoadOptions } from './loader.ts';
