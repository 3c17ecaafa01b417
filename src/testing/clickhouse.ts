/** @module A two-shard ClickHouse cluster on loopback for tests (scripts/clickhouse-cluster.sh). */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export const CLUSTER_SCRIPT = join(ROOT, 'scripts', 'clickhouse-cluster.sh');

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port with the six ports the cluster needs free (tests run in parallel with others). */
export async function freeClusterBase(from = 20_000): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = from + Math.floor(Math.random() * 4000) * 10;
    let ok = true;
    for (let p = base; p < base + 6 && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free ports for the ClickHouse test cluster');
}

export interface TestCluster {
  /** `clickhouse://…/default?cluster=…&nodes=…` */
  url: string;
  /** Each server's peak resident memory so far (VmHWM), MiB. */
  peakRssMiB(): number[];
  stop(): void;
}

export async function startCluster(from?: number): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'fh-ch-'));
  const url = execFileSync('bash', [CLUSTER_SCRIPT, 'start', dir, String(await freeClusterBase(from))], {
    encoding: 'utf8',
  }).trim();
  return {
    url,
    peakRssMiB: () =>
      [1, 2].map((n) => {
        const pid = readFileSync(join(dir, `node${n}`, 'pid'), 'utf8').trim();
        const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        return Math.round(Number(kb) / 1024);
      }),
    stop: () => {
      execFileSync('bash', [CLUSTER_SCRIPT, 'stop', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
