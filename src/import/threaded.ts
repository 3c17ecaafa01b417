/**
 * @module Reading a file in a worker thread while the importing thread
 * stores: on a machine of two cores the decoding of the next flows and the
 * staging of the last ones run side by side.
 *
 * {@link readThreaded} behaves as `format.read(path, sink, opts)` does: the
 * sink gets the same batches, rejections, skips and progress, in the same
 * order, one call at a time, and its own throw ends the read with that
 * error (the worker is stopped). A reader's failure comes back as an error
 * with the same message and `code` (an I/O error stays an I/O error).
 * Memory stays bounded: the worker runs at most `READ_AHEAD_ROWS` flows ahead.
 * Small files are read in this thread ({@link THREAD_MIN_BYTES}): starting a
 * worker costs more than it saves.
 */

import { Worker } from 'node:worker_threads';
import { type BatchColumns, columnBuffers, FlowBatch } from '../flow/batch.js';
import type { ImportFormat, ImportSink, ReadOptions } from './format.js';
import type { FromReader, ReadJob, ToReader } from './read-worker.js';
import { parseTimeZone } from './times.js';

/** Files smaller than this are read in the importing thread. */
export const THREAD_MIN_BYTES = 32 * 1024 * 1024;

/** Options of {@link readFile}. */
export interface ThreadOptions {
  /** Read in a worker from this file size on (default {@link THREAD_MIN_BYTES}; 0: always; Infinity: never). */
  threadMinBytes?: number;
}

/** Reads a file as `format.read` does, in a worker thread when it is large enough (see the module comment). */
export function readFile(
  format: ImportFormat,
  path: string,
  size: number,
  sink: ImportSink,
  opts: ReadOptions = {},
  threads: ThreadOptions = {},
): Promise<void> {
  const min = threads.threadMinBytes ?? THREAD_MIN_BYTES;
  // A zone the worker cannot name again (none such today) is read here.
  const tz = opts.tz?.name;
  const zoneOk = tz === undefined || parseTimeZone(tz)?.name === tz;
  if (size < min || !zoneOk) return format.read(path, sink, opts);
  return readThreaded({ format: format.name, path, ...(tz !== undefined ? { tz } : {}) }, sink);
}

/** A reading thread started ahead (see {@link prestartReader}), waiting for its job. */
let spare: Worker | undefined;

/**
 * Starts a reading thread before the first threaded read, so that its
 * modules load while this thread opens the store (some 0.2 s of an
 * import's start). The next {@link readThreaded} takes it; unused, it does
 * not keep the process alive.
 */
export function prestartReader(): void {
  if (spare) return;
  const w = new Worker(new URL('./read-worker.js', import.meta.url), { workerData: null });
  w.unref();
  // A spare that fails is not used: the read starts a thread of its own.
  const drop = () => {
    if (spare === w) spare = undefined;
  };
  w.once('error', drop);
  w.once('exit', drop);
  spare = w;
}

/** Runs the read of `job` in a worker thread, handing what it reads to `sink`. */
export function readThreaded(job: ReadJob, sink: ImportSink): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const warm = spare;
    spare = undefined;
    const worker = warm ?? new Worker(new URL('./read-worker.js', import.meta.url), { workerData: job });
    if (warm) {
      warm.ref();
      warm.postMessage({ type: 'job', job } satisfies ToReader);
    }
    let settled = false;
    const finish = (e?: unknown) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (e === undefined) resolve();
      else reject(e);
    };
    // One message at a time, in order: the sink is called as the reader would call it.
    let chain = Promise.resolve();
    const handle = async (m: FromReader) => {
      if (settled) return;
      switch (m.type) {
        case 'batch': {
          const rows = m.columns.length;
          const b = FlowBatch.fromColumns(m.columns);
          // Read here, handed on and never read again once stored: the store may recycle its arrays.
          b.recyclable = true;
          await sink.batch(b);
          // Arrays the store has recycled go back with the acknowledgement, for the reader's next batches.
          const free: BatchColumns[] = [];
          for (let c = FlowBatch.takeFree(); c; c = FlowBatch.takeFree()) free.push(c);
          if (free.length === 0) worker.postMessage({ type: 'ack', rows } satisfies ToReader);
          else
            worker.postMessage({ type: 'ack', rows, free } satisfies ToReader, free.flatMap(columnBuffers));
          return;
        }
        case 'reject':
          sink.reject(m.where, m.message);
          return;
        case 'skip':
          sink.skip?.(m.where, m.reason);
          return;
        case 'progress':
          sink.progress?.(m.bytes);
          return;
        case 'done':
          finish();
          return;
        case 'error':
          finish(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
          return;
      }
    };
    worker.on('message', (m: FromReader) => {
      chain = chain.then(() => handle(m)).catch((e: unknown) => finish(e));
    });
    worker.on('error', (e) => finish(e));
    worker.on('exit', (code) => {
      // After every message it posted: an exit before `done` or `error` is a crash.
      chain = chain.then(() => finish(new Error(`the reading thread stopped (exit code ${code})`)));
    });
  });
}
