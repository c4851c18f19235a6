import { Module } from '@nestjs/common';
import { DeviceCommandHandler, GetDeviceHandler, ListDevicesHandler } from './devices.cqrs.js';

@Module({ providers: [DeviceCommandHandler, GetDeviceHandler, ListDevicesHandler] })
export class DevicesModule {}
