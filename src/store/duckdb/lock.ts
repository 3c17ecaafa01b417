/**
 * @module A cross-process lock file, held for the few milliseconds it takes to
 * swap a manifest. Several flowhunt processes (the collector in `serve`, an
 * `import`, a retention run) can write one data directory; the lock makes
 * their manifest updates take turns. A lock left by a dead process is broken.
 */

import { open, readFile, rm } from 'node:fs/promises';
import { StoreError } from '../types.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  let wait = 5;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')) || Number.NaN);
      if (Number.isInteger(holder) && holder !== process.pid && !alive(holder)) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() - start > timeoutMs) {
        throw new StoreError(
          `the store is locked by process ${Number.isNaN(holder) ? '?' : holder} (${path}); try again, or remove the file if no flowhunt is running`,
          'store_locked',
        );
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 200);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
