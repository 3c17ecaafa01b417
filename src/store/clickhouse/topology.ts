/**
 * @module Which servers make up the cluster, and which shard each one holds.
 *
 * Reads go through the entry node's `Distributed` tables, but schema changes
 * and retention must reach every server (no `ON CLUSTER` without
 * ZooKeeper). Each server tells its own place: the row of its
 * `system.clusters` marked `is_local`.
 */

import { literal } from '../sql.js';
import { StoreError } from '../types.js';
import { Conn, type ConnOptions } from './conn.js';
import type { ClickHouseTarget } from './url.js';

export interface Node {
  conn: Conn;
  shard: number;
  replica: number;
}

function httpEndpoint(entry: string, host: string): string {
  const u = new URL(entry);
  const h = host.includes(':') ? `[${host}]` : host;
  return `${u.protocol}//${h}:${u.port}`;
}

/** Connects to every server; the entry node's connection is reused. */
export async function discoverNodes(
  entry: Conn,
  target: ClickHouseTarget,
  opts: ConnOptions,
): Promise<Node[]> {
  if (!target.cluster) return [{ conn: entry, shard: 1, replica: 1 }];
  const c = literal(target.cluster);
  const members = await entry.rows(
    `SELECT shard_num, replica_num, host_address, port FROM system.clusters WHERE cluster = ${c} ORDER BY shard_num, replica_num`,
  );
  if (members.length === 0)
    throw new StoreError(
      `cluster ${target.cluster} is not in the remote_servers config of ${target.entry}`,
      'BAD_CLUSTER',
    );
  const urls = target.nodes ?? [
    ...new Set(members.map((m) => httpEndpoint(target.entry, String(m['host_address'])))),
  ];
  const nodes: Node[] = [];
  try {
    for (const url of urls) {
      const conn = url === target.entry ? entry : new Conn(url, opts);
      const self = await conn
        .rows(`SELECT shard_num, replica_num FROM system.clusters WHERE cluster = ${c} AND is_local`)
        .catch(async (e) => {
          if (conn !== entry) await conn.close();
          throw e;
        });
      if (self.length !== 1) {
        if (conn !== entry) await conn.close();
        throw new StoreError(
          `server ${url} is not a member of cluster ${target.cluster} (its system.clusters has ${self.length} local replicas); list the servers' HTTP endpoints with nodes=HOST:PORT,...`,
          'BAD_CLUSTER',
        );
      }
      nodes.push({ conn, shard: Number(self[0]!['shard_num']), replica: Number(self[0]!['replica_num']) });
    }
    const missing = members.filter(
      (m) => !nodes.some((n) => n.shard === Number(m['shard_num']) && n.replica === Number(m['replica_num'])),
    );
    if (missing.length > 0)
      throw new StoreError(
        `cluster ${target.cluster} has ${members.length} servers but ${urls.join(', ')} reach ${nodes.length} of them (missing shard ${missing[0]!['shard_num']} replica ${missing[0]!['replica_num']}); list every server's HTTP endpoint with nodes=HOST:PORT,...`,
        'BAD_CLUSTER',
      );
  } catch (e) {
    for (const n of nodes) if (n.conn !== entry) await n.conn.close();
    throw e;
  }
  return nodes;
}

/** One server per shard (the lowest replica), for per-shard statistics. */
export function onePerShard(nodes: readonly Node[]): Node[] {
  const best = new Map<number, Node>();
  for (const n of nodes) {
    const cur = best.get(n.shard);
    if (!cur || n.replica < cur.replica) best.set(n.shard, n);
  }
  return [...best.values()].sort((a, b) => a.shard - b.shard);
}
