/**
 * @module A DuckDB table function over batches held in this process:
 * `flowhunt_staged('<token>')` yields the rows of the batch offered under
 * that token, in the order offered, as the storage columns. It is how a
 * staged day reaches `COPY ... TO '<file>.parquet'` without first being
 * appended to a table (see `stage.ts`).
 *
 * DuckDB calls the function from its own thread and the rows are filled in
 * this one (the JavaScript thread), one chunk per call; the scan is kept to
 * one thread, so the rows arrive in the file in the order given.
 */

import { type DuckDBConnection, DuckDBTableFunction, type DuckDBType, VARCHAR } from '@duckdb/node-api';
import type { FlowBatch } from '../../flow/batch.js';
import { storageColumns } from '../../flow/schema.js';
import { literal } from '../sql.js';
import { CHUNK_ROWS, fillChunk } from './chunk.js';

interface Offer {
  batch: FlowBatch;
  perm: Uint32Array | null;
}

const NAME = 'flowhunt_staged';

export class StagedScan {
  private readonly offers = new Map<string, Offer>();
  private seq = 0;

  /** Registers the function on `conn`; `types`: the storage columns' DuckDB types, in order. */
  constructor(conn: DuckDBConnection, types: readonly DuckDBType[]) {
    const names = storageColumns().map((c) => c.name);
    const fn = DuckDBTableFunction.create({
      name: NAME,
      parameterTypes: [VARCHAR],
      bindFunction: (info) => {
        const token = String(info.getParameter(0));
        const offer = this.offers.get(token);
        if (!offer) return info.setError(`no staged rows under ${JSON.stringify(token)}`);
        for (let c = 0; c < names.length; c++) info.addResultColumn(names[c]!, types[c]!);
        info.setBindData(offer);
        info.setCardinality(offer.batch.length, true);
      },
      initFunction: (info) => {
        info.setInitData({ next: 0 });
        info.setMaxThreads(1);
      },
      mainFunction: (info, chunk) => {
        const offer = info.bindData as Offer;
        const at = info.initData as { next: number };
        try {
          const n = Math.max(0, Math.min(CHUNK_ROWS, offer.batch.length - at.next));
          if (n === 0) {
            chunk.rowCount = 0;
            return;
          }
          fillChunk(chunk, offer.batch, at.next, n, offer.perm);
          at.next += n;
        } catch (e) {
          chunk.rowCount = 0;
          info.setError(`reading staged rows: ${(e as Error).message}`);
        }
      },
    });
    conn.registerTableFunction(fn);
  }

  /**
   * Offers a batch (in the order `perm` gives, or as it is) to queries until
   * {@link withdraw}; returns the SQL that reads it.
   */
  offer(batch: FlowBatch, perm: Uint32Array | null): { token: string; sql: string } {
    // Unique per store: each store has its own DuckDB instance and registers its own function.
    const token = `t${this.seq++}`;
    this.offers.set(token, { batch, perm });
    return { token, sql: `${NAME}(${literal(token, 'duckdb')})` };
  }

  withdraw(token: string): void {
    this.offers.delete(token);
  }
}
