/**
 * @module The UDP collector: NetFlow v5/v9 and IPFIX on one port, sFlow v5
 * on another. The receive path only stamps and packs datagrams; decoding
 * runs in worker threads; decoded columns go to the store in batches, and
 * the store is flushed every `flushIntervalSeconds`, which bounds how long a
 * received flow waits before queries see it.
 */

import { createSocket, type Socket } from 'node:dgram';
import { type AddrWords, formatAddress, parseAddress } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';
import type { FlowStore } from '../store/types.js';
import { KIND_NETFLOW, KIND_SFLOW } from './framing.js';
import { DecoderPool } from './pool.js';
import { CollectorStats, type Listener, renderMetrics } from './stats.js';

export interface CollectorOptions {
  /** `HOST:PORT` (IPv6 as `[::]:2055`); empty string disables the listener. */
  netflow: string;
  sflow: string;
  allowExporters: readonly string[];
  flushIntervalSeconds: number;
  workers: number;
  /** Kernel receive buffer asked for each socket (the kernel may cap it at net.core.rmem_max). */
  receiveBufferBytes?: number;
  maxInFlightBytes?: number;
}

export function parseHostPort(text: string, what: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text) ?? /^()(\d+)$/.exec(text);
  if (!m) throw new Error(`${what} must be HOST:PORT, not ${JSON.stringify(text)}`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`${what}: port ${port} is out of range`);
  const host = m[1] || '0.0.0.0';
  if (host !== 'localhost' && !parseAddress(host))
    throw new Error(`${what}: ${JSON.stringify(host)} is not an IP address`);
  return { host, port };
}

export class Collector {
  readonly stats = new CollectorStats();
  private readonly sockets: { name: string; socket: Socket }[] = [];
  private readonly pool: DecoderPool;
  private readonly allow: Set<string> | null;
  private pending: Promise<void> = Promise.resolve();
  private pendingRows = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private lastDatagramAt = Number.NEGATIVE_INFINITY;
  private readonly exporters = new Map<string, { words: AddrWords; text: string }>();
  readonly listeners: Listener[] = [];

  constructor(
    private readonly store: FlowStore,
    private readonly opts: CollectorOptions,
  ) {
    this.allow = opts.allowExporters.length
      ? new Set(
          opts.allowExporters.map((a) => {
            const w = parseAddress(a);
            if (!w) throw new Error(`allowExporters: ${JSON.stringify(a)} is not an IP address`);
            return formatAddress(w);
          }),
        )
      : null;
    this.pool = new DecoderPool({
      workers: opts.workers,
      maxInFlightBytes: opts.maxInFlightBytes ?? 256 * 1024 * 1024,
      onFlows: (b) => this.store_(b),
      onStats: (w, s) => this.stats.decoded.set(w, s),
      onError: (e) => process.stderr.write(`flowhunt: decoder worker failed: ${e.message}\n`),
    });
  }

  private store_(b: FlowBatch): void {
    this.pendingRows += b.length;
    this.stats.flowsStored += b.length;
    this.pending = this.pending
      .then(() => this.store.append(b))
      .catch((e: Error) => {
        this.stats.storeErrors++;
        process.stderr.write(`flowhunt: storing flows failed: ${e.message}\n`);
      })
      .finally(() => {
        this.pendingRows -= b.length;
      });
  }

  async start(): Promise<void> {
    const bind = async (name: string, spec: string, kind: number) => {
      if (!spec) return;
      const { host, port } = parseHostPort(spec, `--${name}`);
      const socket = createSocket({
        type: host.includes(':') ? 'udp6' : 'udp4',
        recvBufferSize: this.opts.receiveBufferBytes ?? 32 * 1024 * 1024,
      });
      socket.on('message', (msg, rinfo) => this.onDatagram(kind, msg, rinfo.address));
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, host, () => {
          socket.off('error', reject);
          socket.on('error', (e) => process.stderr.write(`flowhunt: ${name} socket: ${e.message}\n`));
          resolve();
        });
      }).catch((e: NodeJS.ErrnoException) => {
        throw new Error(`cannot listen for ${name} on ${spec}: ${e.code ?? e.message}`);
      });
      this.sockets.push({ name, socket });
      this.listeners.push({ name, port: socket.address().port });
    };
    await bind('netflow', this.opts.netflow, KIND_NETFLOW);
    await bind('sflow', this.opts.sflow, KIND_SFLOW);
    this.flushTimer = setInterval(() => void this.flush(), this.opts.flushIntervalSeconds * 1000);
  }

  /** The addresses actually bound (useful with port 0). */
  address(name: 'netflow' | 'sflow'): { address: string; port: number } | undefined {
    const s = this.sockets.find((x) => x.name === name);
    return s ? s.socket.address() : undefined;
  }

  private onDatagram(kind: number, msg: Buffer, from: string): void {
    this.lastDatagramAt = performance.now();
    if (this.closing) return;
    // A handful of exporters send everything: parse each one's address once, not per datagram.
    let known = this.exporters.get(from);
    if (!known) {
      const w = parseAddress(from);
      if (!w) return;
      known = { words: w, text: formatAddress(w) };
      if (this.exporters.size >= 10_000) this.exporters.clear();
      this.exporters.set(from, known);
    }
    const w = known.words;
    const exporter = known.text;
    if (this.allow && !this.allow.has(exporter)) {
      this.stats.refused++;
      return;
    }
    this.stats.countReceived(exporter, msg.length);
    if (!this.pool.push(kind, w, Date.now(), msg)) this.stats.queueDropped++;
    this.stats.queueDepthBytes = this.pool.inFlightBytes;
  }

  /** Writes everything decoded so far to the store. */
  async flush(): Promise<void> {
    await this.pending;
    const t = performance.now();
    try {
      await this.store.flush();
    } catch (e) {
      this.stats.storeErrors++;
      process.stderr.write(`flowhunt: flushing flows failed (will retry): ${(e as Error).message}\n`);
      return;
    }
    const s = (performance.now() - t) / 1000;
    this.stats.flushCount++;
    this.stats.flushSecondsSum += s;
    this.stats.flushLastSeconds = s;
  }

  metrics(): Promise<string> {
    this.stats.queueDepthBytes = this.pool.inFlightBytes + this.pendingRows * 64;
    return renderMetrics(this.stats, this.listeners);
  }

  /** Stops receiving, decodes and stores every datagram already received, then flushes. */
  async close(): Promise<void> {
    // Datagrams already in the kernel's socket buffer were sent to us: take them before closing
    // (a busy process can be behind by many), until the sockets are quiet or 3 s have passed.
    // Sleep before each look, so that datagrams a blocked event loop has not yet delivered arrive first.
    const until = performance.now() + 3000;
    do await new Promise((r) => setTimeout(r, 50));
    while (performance.now() < until && performance.now() - this.lastDatagramAt < 200);
    this.closing = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    await Promise.all(this.sockets.map(({ socket }) => new Promise<void>((r) => socket.close(() => r()))));
    await this.pool.close();
    await this.flush();
  }
}
