/**
 * @module A decoding worker thread: unpacks datagram frames, decodes them
 * with per-exporter template state into a columnar batch, and sends the
 * columns back (transferred, not copied) with a snapshot of its counters.
 *
 * Messages are handled in order, so a `drain` answered means every frame sent
 * before it has been decoded and its flows posted.
 */

import { parentPort } from 'node:worker_threads';
import { columnBuffers, FlowBatch } from '../flow/batch.js';
import { createPacketDecoder } from './decoder.js';
import { unpackFrames } from './framing.js';

export type ToWorker =
  | { type: 'frames'; buffer: ArrayBuffer; length: number; count: number }
  | { type: 'drain'; id: number };

export type FromWorker =
  | {
      type: 'flows';
      columns: ReturnType<FlowBatch['toColumns']>;
      frameBytes: number;
      stats: ReturnType<ReturnType<typeof createPacketDecoder>['stats']>;
    }
  | { type: 'drained'; id: number };

const port = parentPort;
if (port) {
  const decoder = createPacketDecoder();
  let batch = new FlowBatch(8192);
  port.on('message', (m: ToWorker) => {
    if (m.type === 'drain') {
      port.postMessage({ type: 'drained', id: m.id } satisfies FromWorker);
      return;
    }
    for (const f of unpackFrames(m.buffer, m.length)) {
      decoder.decode(f.kind, f.exporter, f.payload, f.receivedMs, batch);
    }
    const columns = batch.toColumns();
    batch.clear();
    if (batch.capacity > 1 << 20) batch = new FlowBatch(8192);
    port.postMessage(
      { type: 'flows', columns, frameBytes: m.length, stats: decoder.stats() } satisfies FromWorker,
      columnBuffers(columns),
    );
  });
}
