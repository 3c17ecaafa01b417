/**
 * @module Receiving in a decoding worker: the worker opens its own sockets
 * (one per listener, all workers' sockets bound to the same port with
 * SO_REUSEPORT), decodes each datagram as it is read and posts the columns to
 * the main thread, which is then off the receive path.
 *
 * Template state stays consistent because the kernel picks a socket of the
 * group by hashing the 4-tuple: an exporter sending from one address and
 * port always reaches the same socket, so the same worker's DecoderState. An
 * exporter that sends its templates from one source port and its data from
 * another is not supported in this mode (use `collect.socketPerWorker: false`).
 *
 * Memory is bounded as on the main-thread path: bytes posted and not yet
 * acknowledged by the main thread count against the worker's share of
 * `maxInFlightBytes`; past it, datagrams are dropped and counted.
 */

import { createSocket, type Socket } from 'node:dgram';
import { type BatchColumns, FlowBatch } from '../flow/batch.js';
import type { PacketDecoder } from './decoder.js';
import { ExporterIndex } from './exporters.js';

/** The per-datagram overhead counted against the memory budget (as a frame's header). */
const FRAME_OVERHEAD = 28;

export interface ReceiveSetup {
  /** Normalised allow-list; empty accepts all. */
  allow: string[];
  maxInFlightBytes: number;
}

export interface ListenRequest {
  name: string;
  kind: number;
  host: string;
  port: number;
  recvBufferSize: number;
}

/** Receive counters since the previous report (deltas), and the worker's bytes in flight now. */
export interface ReceiveReport {
  exporters: [exporter: string, packets: number, bytes: number][];
  sockets: { name: string; datagrams: number; bytes: number }[];
  refused: number;
  dropped: number;
  inFlight: number;
}

export type PostFlows = (columns: BatchColumns, bytes: number, report: ReceiveReport) => void;

export class Receiver {
  private readonly exporters: ExporterIndex;
  private readonly sockets: { name: string; socket: Socket; datagrams: number; bytes: number }[] = [];
  private readonly received = new Map<string, [number, number]>();
  private batch = new FlowBatch(8192);
  private pendingBytes = 0;
  private inFlight = 0;
  private refused = 0;
  private dropped = 0;
  private dirty = false;
  private lastDatagramAt = Number.NEGATIVE_INFINITY;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly decoder: PacketDecoder,
    private readonly setup: ReceiveSetup,
    private readonly post: PostFlows,
  ) {
    this.exporters = new ExporterIndex(setup.allow);
    // Small batches still leave within 10 ms, so a quiet exporter is not delayed.
    this.timer = setInterval(() => this.flush(), 10);
  }

  /** Binds one socket of the listener's group; resolves with the bound port, rejects with the errno code. */
  listen(req: ListenRequest): Promise<number> {
    const socket = createSocket({
      type: req.host.includes(':') ? 'udp6' : 'udp4',
      reusePort: true,
      recvBufferSize: req.recvBufferSize,
    });
    const entry = { name: req.name, socket, datagrams: 0, bytes: 0 };
    socket.on('message', (msg, rinfo) => {
      entry.datagrams++;
      entry.bytes += msg.length;
      this.onDatagram(req.kind, msg, rinfo.address);
    });
    return new Promise<number>((resolve, reject) => {
      socket.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code ?? e.message)));
      socket.bind(req.port, req.host, () => {
        socket.removeAllListeners('error');
        socket.on('error', (e) => process.stderr.write(`flowhunt: ${req.name} socket: ${e.message}\n`));
        this.sockets.push(entry);
        resolve(socket.address().port);
      });
    });
  }

  private onDatagram(kind: number, msg: Buffer, from: string): void {
    this.lastDatagramAt = performance.now();
    this.dirty = true;
    const e = this.exporters.lookup(from);
    if (!e) return;
    if (!e.allowed) {
      this.refused++;
      return;
    }
    const r = this.received.get(e.text);
    if (r) {
      r[0]++;
      r[1] += msg.length;
    } else this.received.set(e.text, [1, msg.length]);
    const cost = msg.length + FRAME_OVERHEAD;
    if (this.inFlight + cost > this.setup.maxInFlightBytes) {
      this.dropped++;
      return;
    }
    this.inFlight += cost;
    this.pendingBytes += cost;
    this.decoder.decode(kind, e.words, msg, Date.now(), this.batch);
    if (this.batch.length >= 8192) this.flush();
  }

  /** The main thread has taken `bytes` of posted flows. */
  ack(bytes: number): void {
    this.inFlight = Math.max(0, this.inFlight - bytes);
  }

  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const report: ReceiveReport = {
      exporters: [...this.received].map(([x, [p, b]]) => [x, p, b]),
      sockets: this.sockets.map((s) => ({ name: s.name, datagrams: s.datagrams, bytes: s.bytes })),
      refused: this.refused,
      dropped: this.dropped,
      inFlight: this.inFlight,
    };
    this.received.clear();
    for (const s of this.sockets) {
      s.datagrams = 0;
      s.bytes = 0;
    }
    this.refused = 0;
    this.dropped = 0;
    const bytes = this.pendingBytes;
    this.pendingBytes = 0;
    const columns = this.batch.toColumns();
    this.batch.clear();
    if (this.batch.capacity > 1 << 20) this.batch = new FlowBatch(8192);
    this.post(columns, bytes, report);
  }

  /**
   * Takes the datagrams already waiting in the sockets (until they are quiet
   * for 200 ms, at most 3 s), closes them and posts what is left.
   */
  async stop(): Promise<void> {
    const until = performance.now() + 3000;
    do await new Promise((r) => setTimeout(r, 50));
    while (performance.now() < until && performance.now() - this.lastDatagramAt < 200);
    await Promise.all(this.sockets.map(({ socket }) => new Promise<void>((r) => socket.close(() => r()))));
    clearInterval(this.timer);
    this.dirty = true;
    this.flush();
  }
}
