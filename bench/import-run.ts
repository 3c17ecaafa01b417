/** @module Runs `flowhunt import` as a user would, in its own process, and measures it: seconds, CPU and peak memory. */

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './machine.js';

export interface ImportRun {
  flows: number;
  seconds: number;
  /** User + system CPU seconds of the process (GNU time), all its threads: steadier than wall time on a shared machine. */
  cpuSeconds: number | null;
  maxRssMiB: number | null;
}

/**
 * `flowhunt import ARGS --json` as its own process: the summary, seconds, CPU and peak memory (GNU time, if
 * there). `root`: the checkout whose `bin/flowhunt.js` runs (default this one; another build for a before/after).
 */
export function importRun(args: string[], root = ROOT): ImportRun {
  const cmd = [process.execPath, join(root, 'bin/flowhunt.js'), 'import', ...args, '--json'];
  const gnuTime = spawnSync('/usr/bin/time', ['-f', 'maxrss %M', 'true']).status === 0;
  const fmt = 'maxrss %M cpu %U %S';
  const t = performance.now();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', fmt, ...cmd], { encoding: 'utf8', maxBuffer: 2 ** 30 })
    : spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', maxBuffer: 2 ** 30 });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`flowhunt import failed: ${r.stderr}`);
  const m = /maxrss (\d+) cpu ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return {
    flows: (JSON.parse(r.stdout) as { flows: number }).flows,
    seconds,
    cpuSeconds: m ? Math.round((Number(m[2]) + Number(m[3])) * 100) / 100 : null,
    maxRssMiB: m ? Math.round(Number(m[1]) / 1024) : null,
  };
}
