/**
 * @module A decoding worker thread: unpacks datagram frames, decodes them
 * with per-exporter template state into a columnar batch, and sends the
 * columns back (transferred, not copied) with a snapshot of its counters.
 * Where the runtime can share a port between sockets, the worker instead
 * reads its own sockets (see receiver.ts).
 *
 * Messages are handled in order, so a `drain` answered means every frame sent
 * before it has been decoded and its flows posted.
 */

import { parentPort } from 'node:worker_threads';
import { type BatchColumns, columnBuffers, FlowBatch } from '../flow/batch.js';
import { createPacketDecoder } from './decoder.js';
import { unpackFrames } from './framing.js';
import { type ListenRequest, type ReceiveReport, Receiver, type ReceiveSetup } from './receiver.js';
import type { ExporterDecodeStats } from './stats.js';

export type ToWorker =
  | { type: 'frames'; buffer: ArrayBuffer; length: number; count: number }
  | { type: 'drain'; id: number }
  | { type: 'receive'; setup: ReceiveSetup }
  | { type: 'listen'; id: number; request: ListenRequest }
  | { type: 'ack'; bytes: number }
  | { type: 'stop'; id: number };

export type FromWorker =
  | {
      type: 'flows';
      columns: BatchColumns;
      /** Bytes of frames decoded, or (when the worker receives) of datagrams to acknowledge. */
      frameBytes: number;
      stats: ExporterDecodeStats[];
      received?: ReceiveReport;
    }
  | { type: 'drained'; id: number }
  | { type: 'listened'; id: number; port?: number; error?: string }
  | { type: 'stopped'; id: number };

const port = parentPort;
if (port) {
  const decoder = createPacketDecoder();
  const post = (columns: BatchColumns, frameBytes: number, received?: ReceiveReport) =>
    port.postMessage(
      { type: 'flows', columns, frameBytes, stats: decoder.stats(), received } satisfies FromWorker,
      columnBuffers(columns),
    );
  let receiver: Receiver | null = null;
  let batch = new FlowBatch(8192);
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'drain':
        port.postMessage({ type: 'drained', id: m.id } satisfies FromWorker);
        return;
      case 'receive':
        receiver ??= new Receiver(decoder, m.setup, post);
        return;
      case 'listen':
        if (!receiver) throw new Error('listen before receive');
        receiver.listen(m.request).then(
          (p) => port.postMessage({ type: 'listened', id: m.id, port: p } satisfies FromWorker),
          (e: Error) =>
            port.postMessage({ type: 'listened', id: m.id, error: e.message } satisfies FromWorker),
        );
        return;
      case 'ack':
        receiver?.ack(m.bytes);
        return;
      case 'stop':
        void (receiver?.stop() ?? Promise.resolve()).then(() =>
          port.postMessage({ type: 'stopped', id: m.id } satisfies FromWorker),
        );
        return;
      case 'frames': {
        for (const f of unpackFrames(m.buffer, m.length)) {
          decoder.decode(f.kind, f.exporter, f.payload, f.receivedMs, batch);
        }
        const columns = batch.toColumns();
        batch.clear();
        if (batch.capacity > 1 << 20) batch = new FlowBatch(8192);
        post(columns, m.length);
      }
    }
  });
}
