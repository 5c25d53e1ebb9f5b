/**
 * Devices: simulated field devices (Modbus TCP servers with seeded behaviours, MQTT publishers), KubeEdge's
 * own device objects (devices.kubeedge.io/v1beta1), and the edge side of device management — the device
 * twin, a Modbus mapper like KubeEdge's, and MQTT ingestion — for the simulated edge node.
 */
export { BarrierGateBehaviour, createModbusDevice, FloodAlarmBehaviour, SmokeAlarmBehaviour, WeighbridgeBehaviour } from './behaviours.ts';
export type { AlarmOptions, AnyBehaviour, BarrierGateOptions, Behaviour, BehaviourOptions, WeighbridgeOptions } from './behaviours.ts';
export { deviceAddedMessages, deviceMessage, deviceModelMessage, DeviceStatusModel, membershipUpdate, twinConfirm } from './cloud-messages.ts';
export type { CloudMessageOptions, StatusTwin } from './cloud-messages.ts';
export { DEVICES_API_VERSION, DEVICES_GROUP, dataTypeOf, deviceFor, deviceModelFor, parseDevice, parseDeviceModel, withDesired } from './crd.ts';
export type { DeviceBuildSpec, DeviceModelObject, DeviceObject, ModbusEndpoint, ParsedDevice, ParsedModel } from './crd.ts';
export { loadDeviceCrdSchemas, validateAgainstSchema, validateObject } from './crd-schema.ts';
export type { CrdVersionSchema, OpenApiSchema, SchemaViolation } from './crd-schema.ts';
export { EdgeDevices } from './edge-devices.ts';
export type { DeviceEvent, EdgeDevicesOptions, RestoredDeviceObjects } from './edge-devices.ts';
export { deviceKinds, GateState, isModbusKind, MODBUS_KINDS, MQTT_KINDS } from './kinds.ts';
export type { DeviceKind, KindProfile, ModbusDeviceKind, ModbusVisitor, MqttDeviceKind, PropertySpec, PropertyType } from './kinds.ts';
export { ModbusMapper } from './mapper.ts';
export type { MapperDeviceState, MapperDeviceStatus, MapperStats, ModbusMapperOptions, PropertyStatus, ReportedTwin } from './mapper.ts';
export { ModbusConnection, ModbusRequestError } from './modbus-client.ts';
export { decodeValue, encodeDesired, parseEndpoint, parseVisitor } from './modbus-codec.ts';
export type { DataType, ParsedVisitor, ProtocolEndpoint, WritePlan } from './modbus-codec.ts';
export { ModbusServer } from './modbus-server.ts';
export { EVENTBUS_TOPICS, MqttEventBus } from './mqtt-bus.ts';
export type { BusTwin, MqttEventBusStats } from './mqtt-bus.ts';
export { CameraSimulator, deviceTopic, MqttAlarmSimulator, twinUpdatePayload } from './mqtt-devices.ts';
export type { Publish } from './mqtt-devices.ts';
export { ModbusException, RegisterBank } from './registers.ts';
export type { BankLayout, ModbusRegisterType, WordOrder } from './registers.ts';
export { DeviceSimulatorRegistry } from './registry.ts';
export type { ModbusLayout, SimDeviceSpec, SimulatedModbusDevice, SimulatedMqttDevice, SimulatorRegistryOptions } from './registry.ts';
export { DeviceTwin, rowToMsgTwin, validateTwinValue } from './twin.ts';
export type { DeviceTwinOptions, DeviceTwinStats, MsgTwin, TwinDeviceView, TwinEvent, TwinValue, TwinVersion } from './twin.ts';
export { MemoryTwinStore, SqliteTwinStore } from './twin-store.ts';
export type { DeviceRow, DeviceTwinRow, StoredDevice, TwinStore } from './twin-store.ts';
