import { applyDecorators } from '@nestjs/common';
import { Expose } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { MAX_LIMIT } from '../read-models/pagination.js';
import { ToInteger } from './seam-input.js';
import { BoundedLength } from './string-limits.js';

/** What every paginated route takes: how many items (1 to 1000), and where the previous page ended. */
/** How many items a page holds: 1 to 1000. */
export const LimitParam = () => applyDecorators(Expose(), ToInteger(), IsOptional(), IsInt(), Min(1), Max(MAX_LIMIT));

export class PageDto {
  @LimitParam()
  limit?: number;

  @Expose()
  @IsOptional()
  @IsString()
  @BoundedLength('page_cursor')
  page_cursor?: string | null;
}
