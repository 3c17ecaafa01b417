/** @module Starts a real `flowhunt serve` process for tests and tells its ports. */

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export interface Served {
  proc: ChildProcess;
  netflowPort: number;
  sflowPort: number;
  http: string;
  stderr(): string;
  /** Sends SIGTERM and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `serve`'s listeners on loopback, each on a port the kernel picks. */
export const LOOPBACK_LISTENERS = [
  '--netflow',
  '127.0.0.1:0',
  '--sflow',
  '127.0.0.1:0',
  '--http',
  '127.0.0.1:0',
];

export async function startServe(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const proc = spawn(
    process.execPath,
    [join(ROOT, 'bin/flowhunt.js'), 'serve', ...LOOPBACK_LISTENERS, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let err = '';
  proc.stdout?.resume();
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  const ready = await new Promise<{ nf: number; sf: number; http: string } | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 20_000);
    proc.stderr?.on('data', (d) => {
      err += d;
      // The listeners are announced before HTTP (a role without a collector has none: ports 0).
      const nf = /netflow on UDP port (\d+)/.exec(err);
      const sf = /sflow on UDP port (\d+)/.exec(err);
      const h = /HTTP on (http:\/\/\S+)/.exec(err);
      if (h) {
        clearTimeout(timer);
        resolve({ nf: Number(nf?.[1] ?? 0), sf: Number(sf?.[1] ?? 0), http: h[1]! });
      }
    });
    void exited.then(() => resolve(null));
  });
  if (!ready) {
    proc.kill('SIGKILL');
    throw new Error(`flowhunt serve did not start: ${err}`);
  }
  return {
    proc,
    netflowPort: ready.nf,
    sflowPort: ready.sf,
    http: ready.http,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      proc.kill(signal);
      return exited;
    },
  };
}
