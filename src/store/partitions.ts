/**
 * @module The checks both engines make on what names a partition: a
 * document partition's name, and the first day a retention run keeps.
 */

import { DAY_MS, dayOf } from '../flow/batch.js';
import { PARTITION_RE, StoreError } from './types.js';

/** Refuses a document partition name that is not {@link PARTITION_RE} (`bad_partition`). */
export function checkPartition(partition: string): void {
  if (!PARTITION_RE.test(partition))
    throw new StoreError(`bad partition name ${JSON.stringify(partition)}`, 'bad_partition');
}

/**
 * The first day (`YYYY-MM-DD`) that keeping `keepDays` days at `now` keeps:
 * today and the `keepDays - 1` days before it. Less than one whole day is
 * refused (`bad_retention`).
 */
export function retentionCutoff(keepDays: number, now: number): string {
  if (!Number.isInteger(keepDays) || keepDays < 1)
    throw new StoreError('retention must be at least 1 day', 'bad_retention');
  return dayOf(Math.floor(now / DAY_MS) * DAY_MS - (keepDays - 1) * DAY_MS);
}
