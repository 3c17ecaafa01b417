/**
 * @module The worker thread of a threaded read (see `threaded.ts`): runs one
 * format's reader over one file and posts what it reads to the importing
 * thread — batches as transferred columns, rejected and skipped input,
 * progress — in the order the reader produced them. A batch waits for
 * credit: at most {@link READ_AHEAD_ROWS} flows are in flight, so a slow
 * store holds the reader back and memory stays bounded.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { type BatchColumns, columnBuffers, FlowBatch } from '../flow/batch.js';
import { formatByName } from './format.js';
import { blockOnReads } from './read-chunk.js';
import { parseTimeZone } from './times.js';

/** What the importing thread gives the worker. */
export interface ReadJob {
  format: string;
  path: string;
  /** `--tz` as given; absent: this process's zone. */
  tz?: string;
}

export type FromReader =
  | { type: 'batch'; columns: BatchColumns }
  | { type: 'reject'; where: number; message: string }
  | { type: 'skip'; where: number; reason: string }
  | { type: 'progress'; bytes: number }
  | { type: 'done' }
  | { type: 'error'; message: string; code?: string };

/** `ack`: a batch of `rows` flows is stored, as many more may come; `free`: arrays of stored batches, for the next ones. */
export type ToReader = { type: 'ack'; rows: number; free?: BatchColumns[] } | { type: 'job'; job: ReadJob };

/**
 * Flows the reader may post before they are acknowledged: enough to go on
 * reading while the importing thread stages a commit (500 k flows, some
 * 0.3 s in which 32 k flows lasted the reader 20 ms); 262,144 flows are
 * about 32 MB. A batch larger than that alone still goes.
 */
export const READ_AHEAD_ROWS = 262_144;

const port = parentPort;
if (port) {
  // A thread started ahead of its read (`prestartReader`) gets its job as its first message.
  const job = workerData as ReadJob | null;
  if (job) read(port, job);
  else port.once('message', (m: ToReader) => m.type === 'job' && read(port, m.job));
}

/** Runs the job's read, posting what it reads to `port`. */
function read(port: NonNullable<typeof parentPort>, job: ReadJob): void {
  // This thread only reads: a blocking read of a chunk costs less than its round trip through libuv's pool.
  blockOnReads();
  let inFlight = 0;
  let wake: (() => void) | undefined;
  port.on('message', (m: ToReader) => {
    if (m.type === 'ack') {
      for (const c of m.free ?? []) FlowBatch.adoptFree(c);
      inFlight -= m.rows;
      wake?.();
      wake = undefined;
    }
  });
  const post = (m: FromReader, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
  const run = async () => {
    const format = formatByName(job.format);
    if (!format) throw new Error(`unknown format ${job.format}`);
    const tz = job.tz === undefined ? undefined : parseTimeZone(job.tz);
    await format.read(
      job.path,
      {
        batch: async (b) => {
          while (inFlight > 0 && inFlight + b.length > READ_AHEAD_ROWS)
            await new Promise<void>((r) => {
              wake = r;
            });
          inFlight += b.length;
          // The sink owns the batch (format.ts): its arrays go to the importing thread as they are.
          const columns = b.giveColumns();
          post({ type: 'batch', columns }, columnBuffers(columns));
        },
        reject: (where, message) => post({ type: 'reject', where, message }),
        skip: (where, reason) => post({ type: 'skip', where, reason }),
        progress: (bytes) => post({ type: 'progress', bytes }),
      },
      tz ? { tz } : {},
    );
  };
  run().then(
    () => post({ type: 'done' }),
    (e: unknown) => {
      const err = e as NodeJS.ErrnoException;
      post({ type: 'error', message: err?.message ?? String(e), ...(err?.code ? { code: err.code } : {}) });
    },
  );
}
