/**
 * @module A ClickHouse cluster on loopback for tests (scripts/clickhouse-cluster.sh):
 * two shards, or two shards × two replicas with a ZooKeeper, on random free ports.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export const CLUSTER_SCRIPT = join(ROOT, 'scripts', 'clickhouse-cluster.sh');

/** The Debian zookeeper package's server jar, which the replicated layout runs. */
export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';

export type ClusterLayout = 'sharded' | 'replicated';

/** Ports the script uses per layout: HTTP, TCP and interserver per server, plus ZooKeeper's. */
const PORTS: Record<ClusterLayout, number> = { sharded: 6, replicated: 13 };

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Bases lie in [20000, 32000): below Linux's ephemeral range (32768-60999), so an outgoing connection never takes a cluster port, and always below 65536. */
const FIRST_BASE = 20_000;
const BASES = 600;

/**
 * A base port with the `count` ports after it free (tests run in parallel
 * with others). Bases are 20 apart, so two clusters of either layout never
 * share a port.
 */
export async function freeClusterBase(count = PORTS.sharded): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = FIRST_BASE + Math.floor(Math.random() * BASES) * 20;
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free ports for the ClickHouse test cluster');
}

export interface TestCluster {
  /** `clickhouse://…/default?cluster=…&nodes=…` */
  url: string;
  /** The scratch directory (configs, data, logs, pid files). */
  dir: string;
  /** How many clickhouse-server processes (2 or 4). */
  servers: number;
  /** Server `n`'s (1-based) process id, or undefined when it is not running. */
  pid(n: number): number | undefined;
  /** Each server's peak resident memory so far (VmHWM), MiB; then ZooKeeper's, if any. */
  peakRssMiB(): number[];
  /** Each running process's resident memory now (VmRSS), MiB, servers then ZooKeeper. */
  rssMiB(): number[];
  /** SIGKILL server `n`; returns when it is gone. */
  kill(n: number): void;
  /** Starts server `n` again (same config and data); returns when it answers. */
  startNode(n: number): void;
  stop(): void;
}

function procStatus(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number {
  if (pid === undefined) return 0;
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Math.round(Number(kb) / 1024);
  } catch {
    return 0;
  }
}

export async function startCluster(layout: ClusterLayout = 'sharded'): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'fh-ch-'));
  const base = await freeClusterBase(PORTS[layout]);
  const args = ['start', dir, String(base), ...(layout === 'replicated' ? ['replicated'] : [])];
  let url: string;
  try {
    url = execFileSync('bash', [CLUSTER_SCRIPT, ...args], { encoding: 'utf8' }).trim();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const servers = layout === 'replicated' ? 4 : 2;
  const pidOf = (file: string) => {
    try {
      return Number(readFileSync(join(dir, file, 'pid'), 'utf8').trim());
    } catch {
      return undefined;
    }
  };
  const all = () => [
    ...Array.from({ length: servers }, (_, i) => pidOf(`node${i + 1}`)),
    ...(layout === 'replicated' ? [pidOf('zookeeper')] : []),
  ];
  return {
    url,
    dir,
    servers,
    pid: (n) => pidOf(`node${n}`),
    peakRssMiB: () => all().map((p) => procStatus(p, 'VmHWM')),
    rssMiB: () => all().map((p) => procStatus(p, 'VmRSS')),
    kill: (n) => {
      execFileSync('bash', [CLUSTER_SCRIPT, 'kill-node', dir, String(n)]);
    },
    startNode: (n) => {
      execFileSync('bash', [CLUSTER_SCRIPT, 'start-node', dir, String(n)]);
    },
    stop: () => {
      execFileSync('bash', [CLUSTER_SCRIPT, 'stop', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
