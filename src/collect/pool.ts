/**
 * @module The decoding worker pool. Datagrams from one exporter always go to
 * the same worker, because its template state lives there.
 */

import { Worker } from 'node:worker_threads';
import type { AddrWords } from '../flow/address.js';
import { type BatchColumns, FlowBatch } from '../flow/batch.js';
import { FramePacker } from './framing.js';
import type { ExporterDecodeStats } from './stats.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface PoolOptions {
  workers: number;
  /** Received bytes allowed in flight before new datagrams are dropped (bounded memory). */
  maxInFlightBytes: number;
  onFlows(batch: FlowBatch): void;
  onStats(worker: number, stats: ExporterDecodeStats[]): void;
  onError(e: Error): void;
}

export class DecoderPool {
  private readonly workers: Worker[] = [];
  private readonly packers: FramePacker[] = [];
  private inFlight = 0;
  private drainId = 0;
  private readonly drains = new Map<number, () => void>();
  private timer: NodeJS.Timeout;

  constructor(private readonly opts: PoolOptions) {
    for (let i = 0; i < opts.workers; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url));
      w.on('message', (m: FromWorker) => this.onMessage(i, m));
      w.on('error', (e) => opts.onError(e));
      this.workers.push(w);
      this.packers.push(new FramePacker());
    }
    // Small batches still leave within 10 ms, so a quiet exporter is not delayed.
    this.timer = setInterval(() => this.sendAll(), 10);
  }

  get inFlightBytes(): number {
    return this.inFlight;
  }

  /** Queues a datagram; returns false if it was dropped because decoding is too far behind. */
  push(kind: number, exporter: AddrWords, receivedMs: number, payload: Uint8Array): boolean {
    if (this.inFlight + payload.length > this.opts.maxInFlightBytes) return false;
    const w = (exporter[0] ^ exporter[1] ^ exporter[2] ^ exporter[3]) % this.workers.length;
    const p = this.packers[w]!;
    if (!p.add(kind, exporter, receivedMs, payload)) {
      this.send(w);
      p.add(kind, exporter, receivedMs, payload);
    }
    this.inFlight += payload.length + 28;
    return true;
  }

  private send(w: number): void {
    const p = this.packers[w]!;
    if (p.count === 0) return;
    const f = p.take();
    this.workers[w]!.postMessage({ type: 'frames', ...f } satisfies ToWorker, [f.buffer]);
  }

  private sendAll(): void {
    for (let i = 0; i < this.workers.length; i++) this.send(i);
  }

  private onMessage(worker: number, m: FromWorker): void {
    if (m.type === 'drained') {
      this.drains.get(m.id)?.();
      this.drains.delete(m.id);
      return;
    }
    // The frame bytes leave the queue here; the flows are now the store's to account for.
    this.inFlight -= m.frameBytes;
    this.opts.onStats(worker, m.stats);
    if (m.columns.length > 0) this.opts.onFlows(FlowBatch.fromColumns(m.columns as BatchColumns));
  }

  /** Resolves once every datagram pushed so far has been decoded and handed to onFlows. */
  async drain(): Promise<void> {
    this.sendAll();
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const id = ++this.drainId;
            this.drains.set(id, resolve);
            w.postMessage({ type: 'drain', id } satisfies ToWorker);
          }),
      ),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.drain();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
