/**
 * @module A small tmpfs for full-disk tests: a real file system that runs out
 * of space (ENOSPC) at a size the test chooses, and a ballast file to fill
 * it and free it again. Mounting needs root (or CAP_SYS_ADMIN): without it
 * the test is skipped with the reason, except under `CI=true`, where it must run.
 */

import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Mounts a tmpfs of `bytes` on a fresh directory (unmounted after the test); null when the test was skipped. */
export function mountTmpfs(t: TestContext, bytes: number): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'flowhunt-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const why = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
    if (process.env['CI'] === 'true') throw new Error(`mounting a tmpfs is required in CI: ${why}`);
    t.skip(`cannot mount a tmpfs here (needs root): ${why}`);
    return null;
  }
  t.after(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return dir;
}

/** Bytes still free on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Fills the file system of `dir` with a ballast file until at most `leave` bytes are free; returns its path. */
export function fillDisk(dir: string, leave = 0, name = 'ballast'): string {
  const path = join(dir, name);
  const fd = openSync(path, 'a');
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  try {
    for (;;) {
      const free = freeBytes(dir);
      if (free <= leave) break;
      const n = Math.min(chunk.length, free - leave);
      try {
        writeSync(fd, chunk, 0, n);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
