import { Expose } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { MAX_LIMIT } from '../read-models/pagination.js';
import { ToInteger } from './seam-input.js';

/** What every paginated route takes: how many items (1 to 1000), and where the previous page ended. */
export class PageDto {
  @Expose()
  @ToInteger()
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;

  @Expose()
  @IsOptional()
  @IsString()
  page_cursor?: string | null;
}
