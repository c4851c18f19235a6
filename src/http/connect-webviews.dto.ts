import { Expose } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, IsUrl, IsUUID } from 'class-validator';
import { BoundedLength, TimeParam } from './string-limits.js';
import { ResourceListDto } from './metadata-filters.js';
import { ForeignKeyParam, RawParam, SearchParam, ListParam } from './seam-input.js';
import {
  PROVIDER_CAPABILITIES,
  PROVIDER_CATEGORIES,
  SUPPORTED_PROVIDERS,
  type Provider,
  type ProviderCapability,
  type ProviderCategory,
} from '../providers/providers.js';

const URL_OPTIONS = { require_protocol: true, require_tld: false, protocols: ['http', 'https'] };

export class CreateConnectWebviewDto {
  @Expose()
  @IsOptional()
  @IsIn(['none', 'single', 'multiple'])
  device_selection_mode?: 'none' | 'single' | 'multiple';

  @ListParam()
  @IsIn(SUPPORTED_PROVIDERS, { each: true })
  accepted_providers?: Provider[];

  @ListParam()
  @IsString({ each: true })
  @BoundedLength('identifier', true)
  excluded_providers?: string[];

  @Expose()
  @IsOptional()
  @IsIn(PROVIDER_CATEGORIES)
  provider_category?: ProviderCategory;

  @ListParam()
  @IsIn(PROVIDER_CAPABILITIES, { each: true })
  accepted_capabilities?: ProviderCapability[];

  @Expose()
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  @BoundedLength('url')
  custom_redirect_url?: string;

  @Expose()
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  @BoundedLength('url')
  custom_redirect_failure_url?: string;

  @Expose()
  @IsOptional()
  @IsBoolean()
  automatically_manage_new_devices?: boolean;

  @Expose()
  @IsOptional()
  @IsBoolean()
  wait_for_device_creation?: boolean;

  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('customer_key')
  customer_key?: string;

  /** Checked by the custom-metadata value type, which words errors as Seam does. */
  @RawParam('custom_metadata')
  custom_metadata?: unknown;
}

export class ConnectWebviewIdDto {
  @Expose()
  @IsUUID('all')
  connect_webview_id!: string;
}

export class GetConnectWebviewDto extends ConnectWebviewIdDto {
  /** ISO 8601: the webview as it was at that moment (404 before it existed). */
  @Expose()
  @IsOptional()
  @TimeParam()
  as_of?: string;
}

export class ListConnectWebviewsDto extends ResourceListDto {
  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('customer_key')
  customer_key?: string;

  @SearchParam()
  search?: string;

  // No webview here belongs to a user identity: this matches nothing, as at Seam.
  @ForeignKeyParam()
  user_identifier_key?: string;
}
