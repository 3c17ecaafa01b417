/**
 * @module Which servers make up the cluster, and which shard each one holds.
 *
 * Reads go through the entry node's `Distributed` tables, but schema changes
 * and retention must reach every server (no `ON CLUSTER` without
 * ZooKeeper). Each server tells its own shard: the rows of its
 * `system.clusters` marked `is_local` (18.16 marks every replica of the
 * server's shard, so with several replicas the replica is the server's place
 * among the `nodes=` of that shard, told apart by its `replica` macro).
 *
 * The layout follows the cluster definition: a cluster with a shard of
 * several replicas is *replicated* (ReplicatedMergeTree over ZooKeeper, each
 * server naming itself by its `shard` and `replica` macros); otherwise each
 * server holds its own unreplicated tables.
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

export type Layout = 'single' | 'sharded' | 'replicated';

export interface Topology {
  layout: Layout;
  nodes: Node[];
  /** Servers of `nodes=` that did not answer (replicated only: their shard had another replica). */
  unreachable: string[];
}

function httpEndpoint(entry: string, host: string): string {
  const u = new URL(entry);
  const h = host.includes(':') ? `[${host}]` : host;
  return `${u.protocol}//${h}:${u.port}`;
}

/** A server's `system.macros`, by name. */
async function macros(conn: Conn): Promise<Map<string, string>> {
  const rows = await conn.rows('SELECT macro, substitution FROM system.macros');
  return new Map(rows.map((r) => [String(r['macro']), String(r['substitution'])]));
}

/**
 * What a replicated layout needs of each server: ZooKeeper in its config and
 * `shard`/`replica` macros (the replicated tables' paths use them), the
 * shard macro agreeing with the server's place in `remote_servers`.
 */
async function checkReplicaConfig(conn: Conn, cluster: string, shard: number): Promise<string> {
  const m = await macros(conn);
  const replica = m.get('replica');
  if (!replica || !m.get('shard'))
    throw new StoreError(
      `server ${conn.url} has no <macros> with shard and replica: cluster ${cluster} has several replicas per shard, so flowhunt uses ReplicatedMergeTree, whose paths name them (see docs/clickhouse.md)`,
      'bad_cluster',
    );
  if (m.get('shard') !== String(shard))
    throw new StoreError(
      `server ${conn.url} is in shard ${shard} of cluster ${cluster} but its shard macro is ${JSON.stringify(m.get('shard'))}: replicas of one shard must share their shard macro`,
      'bad_cluster',
    );
  try {
    await conn.rows(`SELECT name FROM system.zookeeper WHERE path = '/' LIMIT 1`);
  } catch (e) {
    throw new StoreError(
      `server ${conn.url} cannot use ZooKeeper (${(e as Error).message}): cluster ${cluster} has several replicas per shard, which ReplicatedMergeTree keeps in step through ZooKeeper; configure <zookeeper> on every server`,
      'bad_cluster',
    );
  }
  return replica;
}

/** Connects to every server and tells the layout; the entry node's connection is reused. */
export async function discoverNodes(
  entry: Conn,
  target: ClickHouseTarget,
  opts: ConnOptions,
): Promise<Topology> {
  if (!target.cluster)
    return { layout: 'single', nodes: [{ conn: entry, shard: 1, replica: 1 }], unreachable: [] };
  const c = literal(target.cluster);
  const members = await entry.rows(
    `SELECT shard_num, replica_num, host_address, port FROM system.clusters WHERE cluster = ${c} ORDER BY shard_num, replica_num`,
  );
  if (members.length === 0)
    throw new StoreError(
      `cluster ${target.cluster} is not in the remote_servers config of ${target.entry}`,
      'bad_cluster',
    );
  const replicasOf = new Map<number, number>();
  for (const m of members) {
    const s = Number(m['shard_num']);
    replicasOf.set(s, (replicasOf.get(s) ?? 0) + 1);
  }
  const layout: Layout = [...replicasOf.values()].some((n) => n > 1) ? 'replicated' : 'sharded';
  const urls = [
    ...new Set(target.nodes ?? members.map((m) => httpEndpoint(target.entry, String(m['host_address'])))),
  ];
  const nodes: Node[] = [];
  const unreachable: string[] = [];
  const names = new Map<number, Set<string>>();
  try {
    for (const url of urls) {
      const conn = url === target.entry ? entry : new Conn(url, opts);
      let self: Record<string, unknown>[];
      let replicaName = '';
      try {
        self = await conn.rows(
          `SELECT shard_num, replica_num FROM system.clusters WHERE cluster = ${c} AND is_local`,
        );
        const shards = new Set(self.map((r) => Number(r['shard_num'])));
        if (self.length === 0 || shards.size !== 1)
          throw new StoreError(
            `server ${url} is not a member of cluster ${target.cluster} (its system.clusters has ${self.length} local replicas in ${shards.size} shards); list the servers' HTTP endpoints with nodes=HOST:PORT,...`,
            'bad_cluster',
          );
        if (layout === 'replicated')
          replicaName = await checkReplicaConfig(conn, target.cluster, Number(self[0]!['shard_num']));
      } catch (e) {
        if (conn !== entry) await conn.close();
        // A replica that is down: its shard's other replicas serve; it is checked when it is back.
        if (layout === 'replicated' && (e as StoreError).code === 'store_unreachable') {
          unreachable.push(url);
          continue;
        }
        throw e;
      }
      const shard = Number(self[0]!['shard_num']);
      const seen = names.get(shard) ?? new Set<string>();
      names.set(shard, seen);
      if (layout === 'replicated' && seen.has(replicaName)) {
        if (conn !== entry) await conn.close();
        throw new StoreError(
          `nodes= names replica ${replicaName} of shard ${shard} twice (${url}); list each server once`,
          'bad_cluster',
        );
      }
      seen.add(replicaName);
      // One local row: the server's own replica. Several (18.16 marks a whole shard local): its place in nodes=.
      const replica = self.length === 1 ? Number(self[0]!['replica_num']) : seen.size;
      nodes.push({ conn, shard, replica });
    }
    let missing = members.filter(
      (m) => !nodes.some((n) => n.shard === Number(m['shard_num']) && n.replica === Number(m['replica_num'])),
    );
    if (unreachable.length > 0) {
      const dead = missing.filter((m) => !nodes.some((n) => n.shard === Number(m['shard_num'])));
      if (dead.length > 0)
        throw new StoreError(
          `cluster ${target.cluster}: no replica of shard ${dead[0]!['shard_num']} answers (${unreachable.join(', ')} unreachable)`,
          'store_unreachable',
        );
      // As many missing as unreachable: the unreachable are those (numbered by position, so not told apart).
      if (missing.length <= unreachable.length) missing = [];
    }
    if (missing.length > 0 || nodes.length > members.length)
      throw new StoreError(
        `cluster ${target.cluster} has ${members.length} servers but ${urls.join(', ')} reach ${nodes.length} of them${missing.length ? ` (missing shard ${missing[0]!['shard_num']} replica ${missing[0]!['replica_num']})` : ''}; list every server's HTTP endpoint with nodes=HOST:PORT,...`,
        'bad_cluster',
      );
  } catch (e) {
    for (const n of nodes) if (n.conn !== entry) await n.conn.close();
    throw e;
  }
  return { layout, nodes, unreachable };
}

/** Every shard's servers, replicas in order. */
export function byShard(nodes: readonly Node[]): Node[][] {
  const m = new Map<number, Node[]>();
  for (const n of nodes) m.set(n.shard, [...(m.get(n.shard) ?? []), n]);
  return [...m.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, ns]) => ns.sort((a, b) => a.replica - b.replica));
}

/**
 * `sql` on one server of each shard: the first replica that answers (a
 * shard's replicas hold the same parts), so a dead replica is skipped.
 */
export async function perShard(
  nodes: readonly Node[],
  sql: string,
): Promise<{ node: Node; rows: Record<string, unknown>[] }[]> {
  const out: { node: Node; rows: Record<string, unknown>[] }[] = [];
  for (const replicas of byShard(nodes)) {
    for (let i = 0; ; i++) {
      const node = replicas[i]!;
      try {
        out.push({ node, rows: await node.conn.rows(sql) });
        break;
      } catch (e) {
        if (i + 1 >= replicas.length || (e as StoreError).code !== 'store_unreachable') throw e;
      }
    }
  }
  return out;
}
