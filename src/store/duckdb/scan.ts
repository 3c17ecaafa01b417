/**
 * @module A DuckDB table function over batches held in this process:
 * `flowhunt_staged('<token>')` yields the rows of the batch offered under
 * that token, in the order offered, as the storage columns. It is how a
 * staged day reaches `COPY ... TO '<file>.parquet'` without first being
 * appended to a table (see `stage.ts`).
 *
 * DuckDB calls the function from its own thread and the rows are filled in
 * this one (the JavaScript thread), one chunk per call; the scan is kept to
 * one thread, so the rows arrive in the file in the order given. Each call
 * hands over a chunk laid out beforehand and then lays out the next one as
 * soon as this thread is free (`setImmediate`), while DuckDB encodes the
 * chunk it got: DuckDB's call then costs a memory copy a column, not the
 * whole gather of the rows in time order.
 */

import { type DuckDBConnection, DuckDBTableFunction, type DuckDBType, VARCHAR } from '@duckdb/node-api';
import type { FlowBatch } from '../../flow/batch.js';
import { storageColumns } from '../../flow/schema.js';
import { literal } from '../sql.js';
import { CHUNK_ROWS, ChunkImage } from './chunk.js';

interface Offer {
  batch: FlowBatch;
  perm: Uint32Array | null;
}

const NAME = 'flowhunt_staged';

/**
 * Chunks laid out ahead at most: DuckDB's Parquet writer takes a row group's
 * rows (122,880: 60 chunks) quickly and then encodes them for a while, in
 * which this thread lays out the next row group's chunks (some 18 MB).
 */
const AHEAD = 64;

/** Chunk images of finished scans, for the next scans (a flush is many scans, one a day). */
const SPARE_IMAGES: ChunkImage[] = [];

/** One scan's place in its batch and the chunks laid out ahead for it. */
interface ScanState {
  /** Rows handed to DuckDB so far. */
  next: number;
  /** Rows laid out so far (handed or waiting in `ahead`). */
  laidOut: number;
  /** Chunks laid out and not yet handed, in order. */
  ahead: ChunkImage[];
  /** Chunks handed over, to lay out again. */
  free: ChunkImage[];
  /** A lay-out ahead is scheduled. */
  scheduled: boolean;
  /** The last chunk was handed over or the scan failed: nothing more is laid out. */
  ended: boolean;
}

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
        const state: ScanState = {
          next: 0,
          laidOut: 0,
          ahead: [],
          free: SPARE_IMAGES.splice(0),
          scheduled: false,
          ended: false,
        };
        info.setInitData(state);
        info.setMaxThreads(1);
      },
      mainFunction: (info, chunk) => {
        const offer = info.bindData as Offer;
        const at = info.initData as ScanState;
        try {
          const n = rowsAt(offer, at.next);
          if (n === 0) {
            end(at);
            chunk.rowCount = 0;
            return;
          }
          let img = at.ahead.shift();
          if (!img) {
            img = at.free.pop() ?? new ChunkImage();
            img.fill(offer.batch, at.next, n, offer.perm);
            at.laidOut = at.next + n;
          }
          img.emit(chunk);
          at.next += n;
          at.free.push(img);
          schedule(offer, at);
        } catch (e) {
          end(at);
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

/** Rows of the chunk from row `from` on. */
function rowsAt(offer: Offer, from: number): number {
  return Math.max(0, Math.min(CHUNK_ROWS, offer.batch.length - from));
}

/** Ends a scan: its images go to the next scans (at most {@link AHEAD} kept). */
function end(at: ScanState): void {
  if (at.ended) return;
  at.ended = true;
  SPARE_IMAGES.push(...at.free.splice(0), ...at.ahead.splice(0));
  SPARE_IMAGES.length = Math.min(SPARE_IMAGES.length, AHEAD);
}

/** Schedules the lay-out of the scan's next chunk when there is one to lay out and room ahead. */
function schedule(offer: Offer, at: ScanState): void {
  if (at.scheduled || at.ended || at.ahead.length >= AHEAD || rowsAt(offer, at.laidOut) === 0) return;
  at.scheduled = true;
  setImmediate(() => layOutAhead(offer, at));
}

/**
 * Lays out one more chunk while DuckDB works on what it has, then yields
 * (DuckDB's next call is served between two chunks); a failure is left for
 * the call that needs the chunk, which lays it out again and reports it.
 */
function layOutAhead(offer: Offer, at: ScanState): void {
  at.scheduled = false;
  if (at.ended || at.ahead.length >= AHEAD) return;
  const n = rowsAt(offer, at.laidOut);
  if (n === 0) return;
  const img = at.free.pop() ?? new ChunkImage();
  try {
    img.fill(offer.batch, at.laidOut, n, offer.perm);
  } catch {
    at.free.push(img);
    return;
  }
  at.ahead.push(img);
  at.laidOut += n;
  schedule(offer, at);
}
