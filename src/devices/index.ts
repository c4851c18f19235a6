// The devices feature's port: what other features and the shells may use.
export { deviceDecider, MAX_DEVICE_NAME_LENGTH } from './device.js';
export type { DeviceCommand, DeviceEvent, DeviceState } from './device.js';
export { deviceIdsOfAccount, deviceReadModel, type DeviceFilter } from './device.projection.js';
export { DEVICES_LISTING } from './device.projection.js';
