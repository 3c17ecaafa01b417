/**
 * @module The scale-out engine's documents (reports, signatures, findings,
 * ...): one row per (kind, partition) and version in `docs_local`, the
 * whole document set of a partition as JSON lines in one row, so replacing
 * it is one insert; readers take each partition's newest version.
 */

import type { Documents } from '../engine.js';
import { checkPartition } from '../partitions.js';
import { literal } from '../sql.js';
import type { DocKind, DocPartition, DocVersion } from '../types.js';
import type { Conn } from './conn.js';

/** Runs a request on the entry node (or the server standing in for it). */
export type ViaEntry = <T>(fn: (c: Conn) => Promise<T>) => Promise<T>;

export class ClickHouseDocs implements Documents {
  private docVersion = 0;

  /** `table`: `docs` over a cluster, else `docs_local`, qualified by the database. */
  constructor(
    private readonly via: ViaEntry,
    private readonly table: string,
    private readonly assertOpen: () => void,
  ) {}

  /**
   * One row holds a partition's whole document set, so replacing it is one
   * row insert: readers take the newest version (argMax), merges drop the rest.
   */
  async putDocs(kind: DocKind, partition: string, docs: readonly unknown[]): Promise<void> {
    this.assertOpen();
    checkPartition(partition);
    // Microseconds-ish and increasing within a process; two writers in the same millisecond pick at random.
    const v = Math.max(Date.now() * 1000 + Math.floor(Math.random() * 1000), this.docVersion + 1);
    this.docVersion = v;
    const body = docs.map((d) => JSON.stringify(d)).join('\n');
    await this.via((c) => c.insertJson(this.table, [{ kind, part: partition, version: v, body }]));
  }

  async getDocs<T = unknown>(
    kind: DocKind,
    range: { from?: string; to?: string } = {},
  ): Promise<DocPartition<T>[]> {
    this.assertOpen();
    const conds = [`kind = ${literal(kind)}`];
    if (range.from !== undefined) conds.push(`part >= ${literal(range.from)}`);
    if (range.to !== undefined) conds.push(`part <= ${literal(range.to)}`);
    const rows = await this.via((c) =>
      c.rows(
        `SELECT part, argMax(body, version) AS body FROM ${this.table} WHERE ${conds.join(' AND ')} GROUP BY part ORDER BY part`,
      ),
    );
    return rows.map((r) => {
      const body = String(r['body'] ?? '');
      return {
        partition: String(r['part']),
        docs: body === '' ? [] : body.split('\n').map((l) => JSON.parse(l) as T),
      };
    });
  }

  async docVersions(kind: DocKind): Promise<DocVersion[]> {
    this.assertOpen();
    const rows = await this.via((c) =>
      c.rows(
        `SELECT part, toString(max(version)) AS v FROM ${this.table} WHERE kind = ${literal(kind)} GROUP BY part ORDER BY part`,
      ),
    );
    return rows.map((r) => ({ partition: String(r['part']), version: String(r['v']) }));
  }

  async lastPartition(kind: DocKind): Promise<string | undefined> {
    this.assertOpen();
    const rows = await this.via((c) =>
      c.rows(`SELECT part FROM ${this.table} WHERE kind = ${literal(kind)} ORDER BY part DESC LIMIT 1`),
    );
    return rows.length ? String(rows[0]!['part']) : undefined;
  }
}
