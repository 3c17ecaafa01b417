/**
 * @module Retention on the scale-out engine: a day older than the days kept
 * goes whole, as a partition of `flows_local` dropped on the servers that
 * hold it (never a row-by-row delete).
 */

import { literal } from '../sql.js';
import { dayOfPartitionId } from './schema.js';
import { type Layout, type Node, perShard } from './topology.js';

/** The servers and the local flow table a retention run reaches. */
export interface ClusterTables {
  nodes: readonly Node[];
  layout: Layout;
  database: string;
  /** `flows_local`, qualified by the database. */
  flowsLocal: string;
}

/**
 * Drops every day before `day` (`YYYY-MM-DD`); returns the days dropped.
 * Unreplicated, on every server (each holds its own
 * parts); replicated, on one live replica per shard: the drop goes through
 * the shard's replication log, so a replica that is down drops the day
 * when it returns.
 */
export async function dropDaysBefore(c: ClusterTables, day: string): Promise<string[]> {
  const cutoff = day.replace(/-/g, '');
  const dropped = new Set<string>();
  const sql = `SELECT DISTINCT partition_id AS id FROM system.parts WHERE database = ${literal(c.database)} AND table = 'flows_local' AND active AND partition_id < ${literal(cutoff)} ORDER BY id`;
  const targets: { node: Node; rows: Record<string, unknown>[] }[] = [];
  if (c.layout === 'replicated') targets.push(...(await perShard(c.nodes, sql)));
  else for (const node of c.nodes) targets.push({ node, rows: await node.conn.rows(sql) });
  for (const { node: n, rows } of targets) {
    for (const r of rows) {
      const id = String(r['id']);
      await n.conn.command(`ALTER TABLE ${c.flowsLocal} DROP PARTITION ID ${literal(id)}`);
      dropped.add(dayOfPartitionId(id));
    }
  }
  return [...dropped].sort();
}
