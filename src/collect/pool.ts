/**
 * @module The decoding worker pool. Datagrams from one exporter always go to
 * the same worker, because its template state lives there: when the main
 * thread receives, it picks the worker by the exporter's address; when each
 * worker receives on its own socket of a shared port, the kernel's 4-tuple
 * hash keeps an exporter on one socket (see receiver.ts).
 */

import { Worker } from 'node:worker_threads';
import type { AddrWords } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import { FramePacker } from './framing.js';
import type { ListenRequest, ReceiveReport } from './receiver.js';
import type { ExporterDecodeStats } from './stats.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface PoolOptions {
  workers: number;
  /** Received bytes allowed in flight before new datagrams are dropped (bounded memory). */
  maxInFlightBytes: number;
  onFlows(batch: FlowBatch): void;
  onStats(worker: number, stats: ExporterDecodeStats[]): void;
  /** Receive counters from a worker that reads its own sockets. */
  onReceived?(worker: number, report: ReceiveReport): void;
  onError(e: Error): void;
}

export class DecoderPool {
  private readonly workers: Worker[] = [];
  private readonly packers: FramePacker[] = [];
  private inFlight = 0;
  /** Bytes each receiving worker holds that the main thread has not yet taken. */
  private readonly workerInFlight: number[] = [];
  private requestId = 0;
  private readonly replies = new Map<number, (m: FromWorker) => void>();
  private timer: NodeJS.Timeout;

  constructor(private readonly opts: PoolOptions) {
    for (let i = 0; i < opts.workers; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url));
      w.on('message', (m: FromWorker) => this.onMessage(i, m));
      w.on('error', (e) => opts.onError(e));
      this.workers.push(w);
      this.packers.push(new FramePacker());
      this.workerInFlight.push(0);
    }
    // Small batches still leave within 10 ms, so a quiet exporter is not delayed.
    this.timer = setInterval(() => this.sendAll(), 10);
  }

  get inFlightBytes(): number {
    return this.workerInFlight.reduce((a, b) => a + b, this.inFlight);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Makes every worker a receiver, each with an equal share of the memory budget. */
  receive(allow: string[]): void {
    const maxInFlightBytes = Math.floor(this.opts.maxInFlightBytes / this.workers.length);
    for (const w of this.workers)
      w.postMessage({ type: 'receive', setup: { allow, maxInFlightBytes } } satisfies ToWorker);
  }

  /** Binds a socket in worker `w` (after {@link receive}); resolves with its port, rejects with the errno code. */
  async listen(w: number, request: ListenRequest): Promise<number> {
    const m = await this.request(w, (id) => ({ type: 'listen', id, request }));
    if (m.type !== 'listened' || m.port === undefined)
      throw new Error(m.type === 'listened' ? m.error : m.type);
    return m.port;
  }

  /** Has every receiving worker take what waits in its sockets, close them and post the rest. */
  async stopReceiving(): Promise<void> {
    await Promise.all(this.workers.map((_, w) => this.request(w, (id) => ({ type: 'stop', id }))));
  }

  private request(w: number, make: (id: number) => ToWorker): Promise<FromWorker> {
    return new Promise((resolve) => {
      const id = ++this.requestId;
      this.replies.set(id, resolve);
      this.workers[w]!.postMessage(make(id));
    });
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
    if (m.type !== 'flows') {
      this.replies.get(m.id)?.(m);
      this.replies.delete(m.id);
      return;
    }
    // The received bytes leave the queue here; the flows are now the store's to account for.
    if (m.received) {
      this.opts.onReceived?.(worker, m.received);
      this.workerInFlight[worker] = Math.max(0, m.received.inFlight - m.frameBytes);
      this.workers[worker]!.postMessage({ type: 'ack', bytes: m.frameBytes } satisfies ToWorker);
    } else this.inFlight -= m.frameBytes;
    this.opts.onStats(worker, m.stats);
    if (m.columns.length > 0) this.opts.onFlows(FlowBatch.fromColumns(m.columns));
  }

  /** Resolves once every datagram pushed so far has been decoded and handed to onFlows. */
  async drain(): Promise<void> {
    this.sendAll();
    await Promise.all(this.workers.map((_, w) => this.request(w, (id) => ({ type: 'drain', id }))));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.drain();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
