/**
 * @module Retention on the embedded engine: a day older than the days kept
 * goes whole. Under the lock its folder is renamed to `.trash-…` (readers
 * stop listing it at once) and then deleted; a run killed in between leaves
 * a trash folder that the sweep at open removes.
 */

import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { dayDir, listDays, lockPath } from './layout.js';
import { withLock } from './lock.js';

/** Drops every day before `cutoff` (`YYYY-MM-DD`); returns the days dropped. */
export async function dropDaysBefore(flowsDir: string, cutoff: string): Promise<string[]> {
  const dropped: string[] = [];
  for (const day of await listDays(flowsDir)) {
    if (day >= cutoff) continue;
    await withLock(lockPath(flowsDir), async () => {
      // Rename first so readers stop listing the day at once, then delete at leisure.
      const trash = join(flowsDir, `.trash-${day}-${randomBytes(4).toString('hex')}`);
      await rename(dayDir(flowsDir, day), trash);
      await rm(trash, { recursive: true, force: true });
    });
    dropped.push(day);
  }
  return dropped;
}
