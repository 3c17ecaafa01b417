/**
 * @module Sends flows as real export packets over UDP, paced to a rate in
 * flows per second by a token bucket. The flows' own timestamps follow the
 * simulated clock; only the sending pace follows the wall clock.
 */

import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { FlowBatch } from '../../flow/batch.js';
import { type EncoderOptions, ExportEncoder, WIRE_FORMATS } from '../export/index.js';

export interface UdpOptions extends EncoderOptions {
  host: string;
  port: number;
  format: 'v9' | 'ipfix';
  /** Flows per second; 0 sends as fast as the socket takes them. */
  rate: number;
}

export interface SendReport {
  flows: number;
  packets: number;
  bytes: number;
  seconds: number;
  /** Achieved flows per second. */
  rate: number;
}

/** Export packets, each with its number of flow records. */
export interface EncodedPackets {
  packets: Buffer[];
  flows: number[];
}

/** Flows encoded at a time: small enough to pace smoothly, large enough to amortise. */
const SLICE = 4096;

export class UdpSender {
  private socket: Socket | undefined;
  private readonly encoder: ExportEncoder;
  private queue: Buffer[] = [];
  private queueFlows: number[] = [];
  private started = 0;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private error: Error | undefined;
  flows = 0;
  packets = 0;
  bytes = 0;
  /** Packets the receiving host refused (nothing listening). */
  refused = 0;

  constructor(private readonly o: UdpOptions) {
    this.encoder = new ExportEncoder(WIRE_FORMATS[o.format], o);
  }

  async open(): Promise<void> {
    const s = createSocket(isIPv6(this.o.host) ? 'udp6' : 'udp4');
    s.on('error', (e) => this.fail(e));
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(this.o.port, this.o.host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    try {
      s.setSendBufferSize(4 * 1024 * 1024);
    } catch {
      // The system's limit applies; pacing still works.
    }
    this.socket = s;
    this.started = performance.now();
  }

  private readonly sink = (p: Buffer, _domain: number, records: number) => {
    this.queue.push(p);
    this.queueFlows.push(records);
  };

  /** Encodes and sends a batch, waiting as the rate requires. */
  async send(b: FlowBatch): Promise<void> {
    for (let i = 0; i < b.length; i += SLICE) {
      this.encoder.encode(b, this.sink, i, Math.min(b.length, i + SLICE));
      await this.drain();
    }
  }

  /**
   * Encodes a batch into the packets {@link send} would send (the open
   * partial packets included), without sending: a replay that must time
   * the sending alone encodes first, then {@link sendEncoded}.
   */
  static encode(b: FlowBatch, o: EncoderOptions & { format: UdpOptions['format'] }): EncodedPackets {
    const out: EncodedPackets = { packets: [], flows: [] };
    const encoder = new ExportEncoder(WIRE_FORMATS[o.format], o);
    const sink = (p: Buffer, _domain: number, records: number) => {
      out.packets.push(p);
      out.flows.push(records);
    };
    encoder.encode(b, sink, 0, b.length);
    encoder.flush(sink);
    return out;
  }

  /** Sends packets of {@link UdpSender.encode}, in order, paced like {@link send}. */
  async sendEncoded(e: EncodedPackets): Promise<void> {
    for (let i = 0; i < e.packets.length; i += 256) {
      this.queue.push(...e.packets.slice(i, i + 256));
      this.queueFlows.push(...e.flows.slice(i, i + 256));
      await this.drain();
    }
    while (this.inFlight > 0) await new Promise<void>((r) => (this.drained = r));
  }

  /** Sends the packets still open (a partial packet per exporter). */
  async flush(): Promise<void> {
    this.encoder.flush(this.sink);
    await this.drain();
    while (this.inFlight > 0) await new Promise<void>((r) => (this.drained = r));
  }

  private async drain(): Promise<void> {
    const s = this.socket;
    if (!s) throw new Error('UdpSender.open() first');
    const rate = this.o.rate;
    // A bucket of 5 ms of flows: bursts stay short enough for a receiver's buffer.
    const burst = Math.max(64, rate * 0.005);
    const q = this.queue;
    const qf = this.queueFlows;
    for (let k = 0; k < q.length; k++) {
      if (this.error) throw this.error;
      if (rate > 0) {
        const ahead = this.flows + qf[k]! - burst - (rate * (performance.now() - this.started)) / 1000;
        if (ahead > 0) await sleep((ahead / rate) * 1000);
      }
      const p = q[k]!;
      this.inFlight++;
      s.send(p, this.done);
      this.flows += qf[k]!;
      this.packets++;
      this.bytes += p.length;
      if (this.inFlight > 2048) await new Promise<void>((r) => (this.drained = r));
    }
    this.queue = [];
    this.queueFlows = [];
  }

  /**
   * A connected UDP socket reports the ICMP "port unreachable" of a
   * collector that is not (yet) listening; like a router, keep sending.
   */
  private fail(e: Error): void {
    if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
      this.refused++;
      return;
    }
    this.error = e;
  }

  private readonly done = (e: Error | null) => {
    this.inFlight--;
    if (e) this.fail(e);
    if (this.drained && this.inFlight <= 1024) {
      const d = this.drained;
      this.drained = undefined;
      d();
    }
  };

  report(): SendReport {
    const seconds = (performance.now() - this.started) / 1000;
    return {
      flows: this.flows,
      packets: this.packets,
      bytes: this.bytes,
      seconds,
      rate: this.flows / seconds,
    };
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

function sleep(ms: number): Promise<void> {
  // Timers are coarse (≥ 1 ms); below that, just yield to I/O.
  return ms >= 1 ? new Promise((r) => setTimeout(r, ms)) : new Promise((r) => setImmediate(r));
}
