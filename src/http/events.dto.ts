import { applyDecorators } from '@nestjs/common';
import { Expose } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Min,
  ValidateIf,
} from 'class-validator';
import { BoundedLength, TimeParam } from './string-limits.js';
import { NAMEABLE_EVENT_TYPES, type PublicEventFilter } from '../events/index.js';
import { LimitParam } from './page.dto.js';
import { ForeignIdParam, ForeignIdsParam, ListParam, RawParam, ToInteger } from './seam-input.js';
import { parseCustomMetadataMatch } from '../custom-metadata/custom-metadata-selector.js';

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

  @RawParam('custom_metadata_selector')
  custom_metadata_match?: unknown;

  @RawParam('custom_metadata_selector')
  connected_account_custom_metadata_match?: unknown;
}

export class ListEventsDto extends EventFilterDto {
  @ListParam()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @TimeParam(true)
  between?: string[];

  @LimitParam()
  limit?: number;

  /** Skips that many of the events that match, oldest first: with `limit`, Seam's offset paging. */
  @Expose()
  @ToInteger()
  @IsOptional()
  @IsInt()
  @Min(0)
  unstable_offset?: number;

  @ListParam()
  @IsUUID('all', { each: true })
  event_ids?: string[];

  /** The events of the accounts, devices and webviews associated with that customer when they happened. */
  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('customer_key')
  customer_key?: string;

  @ForeignIdParam() access_code_id?: string;
  @ForeignIdsParam() access_code_ids?: string[];
  @ForeignIdParam() access_grant_id?: string;
  @ForeignIdsParam() access_grant_ids?: string[];
  @ForeignIdParam() access_method_id?: string;
  @ForeignIdsParam() access_method_ids?: string[];
  @ForeignIdParam() acs_access_group_id?: string;
  @ForeignIdParam() acs_credential_id?: string;
  @ForeignIdParam() acs_encoder_id?: string;
  @ForeignIdParam() acs_entrance_id?: string;
  @ForeignIdParam() acs_system_id?: string;
  @ForeignIdsParam() acs_system_ids?: string[];
  @ForeignIdParam() acs_user_id?: string;
  @ForeignIdParam() space_id?: string;
  @ForeignIdsParam() space_ids?: string[];
  @ForeignIdParam() user_identity_id?: string;
}

const FOREIGN_ID_PARAMS = [
  'access_code_id',
  'access_code_ids',
  'access_grant_id',
  'access_grant_ids',
  'access_method_id',
  'access_method_ids',
  'acs_access_group_id',
  'acs_credential_id',
  'acs_encoder_id',
  'acs_entrance_id',
  'acs_system_id',
  'acs_system_ids',
  'acs_user_id',
  'space_id',
  'space_ids',
  'user_identity_id',
] as const;

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

export function toFilter(input: EventFilterDto & Partial<ListEventsDto>): PublicEventFilter {
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
    eventIds: input.event_ids,
    customerKey: input.customer_key,
    customMetadataMatch: selectorParam(input.custom_metadata_match, 'custom_metadata_match'),
    connectedAccountCustomMetadataMatch: selectorParam(
      input.connected_account_custom_metadata_match,
      'connected_account_custom_metadata_match',
    ),
    matchesNothing: FOREIGN_ID_PARAMS.some((param) => input[param] !== undefined),
  };
}

const selectorParam = (value: unknown, name: string) =>
  value === undefined ? undefined : parseCustomMetadataMatch(value, name);
