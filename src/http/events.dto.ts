import { applyDecorators } from '@nestjs/common';
import { Expose } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsIn, IsOptional, IsUUID, ValidateIf } from 'class-validator';
import { TimeParam } from './string-limits.js';
import { NAMEABLE_EVENT_TYPES, type PublicEventFilter } from '../events/index.js';
import { LimitParam } from './page.dto.js';
import { ListParam } from './seam-input.js';

/** A list of event types: any of Seam's, and the extension types (opt-in, named). */
export const EventTypesParam = () => applyDecorators(ListParam(), IsIn(NAMEABLE_EVENT_TYPES, { each: true }));

export class EventFilterDto {
  @Expose()
  @IsOptional()
  @IsUUID('all')
  device_id?: string;

  @ListParam()
  @IsUUID('all', { each: true })
  device_ids?: string[];

  @Expose()
  @IsOptional()
  @IsUUID('all')
  connected_account_id?: string;

  @Expose()
  @IsOptional()
  @IsUUID('all')
  connect_webview_id?: string;

  @Expose()
  @IsOptional()
  @IsIn(NAMEABLE_EVENT_TYPES)
  event_type?: string;

  @EventTypesParam()
  event_types?: string[];

  @Expose()
  @IsOptional()
  @TimeParam()
  since?: string;
}

export class ListEventsDto extends EventFilterDto {
  @ListParam()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @TimeParam(true)
  between?: string[];

  @LimitParam()
  limit?: number;
}

/** `event_id`, or the newest event of an `event_type` and/or `device_id`. */
export class GetEventDto {
  @Expose()
  @ValidateIf((o: GetEventDto) => o.event_type === undefined && o.device_id === undefined)
  @IsUUID('all')
  event_id?: string;

  @Expose()
  @IsOptional()
  @IsIn(NAMEABLE_EVENT_TYPES)
  event_type?: string;

  @Expose()
  @IsOptional()
  @IsUUID('all')
  device_id?: string;
}

export class StreamEventsDto extends EventFilterDto {}

export function toFilter(input: EventFilterDto & { between?: string[] }): PublicEventFilter {
  const iso = (time: string) => new Date(time).toISOString();
  const deviceIds = [...(input.device_id ? [input.device_id] : []), ...(input.device_ids ?? [])];
  const eventTypes = [...(input.event_type ? [input.event_type] : []), ...(input.event_types ?? [])];
  return {
    since: input.since ? iso(input.since) : undefined,
    after: input.between ? iso(input.between[0]) : undefined,
    until: input.between ? iso(input.between[1]) : undefined,
    deviceIds: deviceIds.length > 0 ? deviceIds : undefined,
    connectedAccountId: input.connected_account_id,
    connectWebviewId: input.connect_webview_id,
    eventTypes: eventTypes.length > 0 ? eventTypes : undefined,
  };
}
