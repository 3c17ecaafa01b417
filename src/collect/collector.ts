/**
 * @module The UDP collector: NetFlow v5/v9 and IPFIX on one port, sFlow v5
 * on another. Where the runtime can share a port between sockets
 * (`reusePort`), every decoding worker binds its own socket to each port and
 * receives and decodes in its thread; elsewhere (or with
 * `socketPerWorker: false`) the main thread reads one socket per port and
 * only stamps and packs datagrams for the workers. Decoded columns go to the
 * store in batches, and the store is flushed every `flushIntervalSeconds`,
 * which bounds how long a received flow waits before queries see it.
 */

import { createSocket, type Socket } from 'node:dgram';
import { parseAddress } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';
import type { FlowStore } from '../store/types.js';
import { ExporterIndex, parseAllowList } from './exporters.js';
import { KIND_NETFLOW, KIND_SFLOW } from './framing.js';
import { DecoderPool } from './pool.js';
import type { ReceiveReport } from './receiver.js';
import { reusePortAvailable } from './reuseport.js';
import { inodesOnPort, newInode, renderSocketMetrics, type SocketStats } from './sockets.js';
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
  /** One socket per worker on each port where the runtime offers reusePort (default true). */
  socketPerWorker?: boolean;
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

/** A port no socket holds now: bound by an ordinary socket (which cannot join a reusePort group), then released. */
async function exclusivePort(host: string): Promise<number> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code ?? e.message)));
      s.bind(0, host, () => resolve());
    });
    return s.address().port;
  } finally {
    await new Promise<void>((r) => {
      try {
        s.close(() => r());
      } catch {
        r(); // never bound
      }
    });
  }
}

export class Collector {
  readonly stats = new CollectorStats();
  private readonly sockets: { name: string; socket: Socket }[] = [];
  private readonly bound = new Map<string, { address: string; port: number }>();
  private readonly pool: DecoderPool;
  private readonly allow: string[];
  private readonly exporters: ExporterIndex;
  /** True when the workers read their own sockets (several per port). */
  private perWorker = false;
  readonly socketStats: SocketStats[] = [];
  private pending: Promise<void> = Promise.resolve();
  private pendingRows = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private lastDatagramAt = Number.NEGATIVE_INFINITY;
  readonly listeners: Listener[] = [];

  constructor(
    private readonly store: FlowStore,
    private readonly opts: CollectorOptions,
  ) {
    this.allow = parseAllowList(opts.allowExporters);
    this.exporters = new ExporterIndex(this.allow);
    this.pool = new DecoderPool({
      workers: opts.workers,
      maxInFlightBytes: opts.maxInFlightBytes ?? 256 * 1024 * 1024,
      onFlows: (b) => this.store_(b),
      onStats: (w, s) => this.stats.decoded.set(w, s),
      onReceived: (w, r) => this.onReceived(w, r),
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

  /** Sockets per port: one per worker, or 1 when the main thread receives. */
  get socketsPerPort(): number {
    return this.perWorker ? this.pool.size : 1;
  }

  async start(): Promise<void> {
    const listeners = (
      [
        ['netflow', this.opts.netflow, KIND_NETFLOW],
        ['sflow', this.opts.sflow, KIND_SFLOW],
      ] as const
    )
      .filter(([, spec]) => spec)
      .map(([name, spec, kind]) => ({ name, spec, kind, ...parseHostPort(spec, `--${name}`) }));
    this.perWorker = this.opts.socketPerWorker !== false && (await reusePortAvailable());
    if (this.perWorker) this.pool.receive(this.allow);
    for (const l of listeners) {
      try {
        const port = this.perWorker ? await this.bindPerWorker(l) : await this.bindOne(l);
        this.listeners.push({ name: l.name, port });
        this.bound.set(l.name, { address: l.host, port });
      } catch (e) {
        throw new Error(`cannot listen for ${l.name} on ${l.spec}: ${(e as Error).message}`);
      }
    }
    this.flushTimer = setInterval(() => void this.flush(), this.opts.flushIntervalSeconds * 1000);
  }

  private get recvBufferSize(): number {
    return this.opts.receiveBufferBytes ?? 32 * 1024 * 1024;
  }

  /** The main thread's one socket for a listener; resolves with its port, rejects with the errno code. */
  private async bindOne(l: { name: string; host: string; port: number; kind: number }): Promise<number> {
    const socket = createSocket({
      type: l.host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: this.recvBufferSize,
    });
    const before = l.port ? await inodesOnPort(l.port) : new Set<number>();
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(l.port, l.host, () => {
        socket.off('error', reject);
        socket.on('error', (e) => process.stderr.write(`flowhunt: ${l.name} socket: ${e.message}\n`));
        resolve();
      });
    }).catch((e: NodeJS.ErrnoException) => {
      throw new Error(e.code ?? e.message);
    });
    this.sockets.push({ name: l.name, socket });
    const port = socket.address().port;
    const stat: SocketStats = {
      listener: l.name,
      port,
      socket: 'main',
      inode: newInode(before, await inodesOnPort(port)),
      datagrams: 0,
      bytes: 0,
    };
    this.socketStats.push(stat);
    socket.on('message', (msg, rinfo) => {
      stat.datagrams++;
      stat.bytes += msg.length;
      this.onDatagram(l.kind, msg, rinfo.address);
    });
    return port;
  }

  /**
   * One socket per worker, all bound to the listener's port. SO_REUSEPORT would
   * also let this process share a port with another process of the same user
   * (a second flowhunt started by mistake would silently take part of the
   * exports), so a port that any other UDP socket holds is refused. Port 0 is
   * first resolved by an ordinary (exclusive) socket: a reusePort socket bound
   * to port 0 may be given a port another process's group already holds.
   */
  private async bindPerWorker(l: {
    name: string;
    host: string;
    port: number;
    kind: number;
  }): Promise<number> {
    const port = l.port || (await exclusivePort(l.host));
    const ours = new Set<number>();
    const check = async () => {
      const held = await inodesOnPort(port);
      for (const i of held) if (!ours.has(i)) return i;
      return undefined;
    };
    if ((await check()) !== undefined) throw new Error('EADDRINUSE (another socket holds the port)');
    for (let w = 0; w < this.pool.size; w++) {
      const before = await inodesOnPort(port);
      await this.pool.listen(w, {
        name: l.name,
        kind: l.kind,
        host: l.host,
        port,
        recvBufferSize: this.recvBufferSize,
      });
      const after = await inodesOnPort(port);
      const inode = newInode(before, after);
      if (inode !== undefined) ours.add(inode);
      // Exactly one new socket on the port, and no stranger's: else another process joined the group.
      // (Without a /proc/net/udp view, as on the BSDs, nothing can be checked.)
      if (after.size > 0 && (inode === undefined || (await check()) !== undefined))
        throw new Error('EADDRINUSE (another process bound the port at the same time)');
      this.socketStats.push({ listener: l.name, port, socket: String(w), inode, datagrams: 0, bytes: 0 });
    }
    return port;
  }

  /** The addresses actually bound (useful with port 0). */
  address(name: 'netflow' | 'sflow'): { address: string; port: number } | undefined {
    return this.bound.get(name);
  }

  private onReceived(worker: number, r: ReceiveReport): void {
    for (const [x, packets, bytes] of r.exporters) this.stats.countReceived(x, bytes, packets);
    this.stats.refused += r.refused;
    this.stats.queueDropped += r.dropped;
    for (const s of r.sockets) {
      const stat = this.socketStats.find((x) => x.listener === s.name && x.socket === String(worker));
      if (!stat) continue;
      stat.datagrams += s.datagrams;
      stat.bytes += s.bytes;
    }
  }

  private onDatagram(kind: number, msg: Buffer, from: string): void {
    this.lastDatagramAt = performance.now();
    if (this.closing) return;
    const e = this.exporters.lookup(from);
    if (!e) return;
    if (!e.allowed) {
      this.stats.refused++;
      return;
    }
    this.stats.countReceived(e.text, msg.length);
    if (!this.pool.push(kind, e.words, Date.now(), msg)) this.stats.queueDropped++;
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

  async metrics(): Promise<string> {
    this.stats.queueDepthBytes = this.pool.inFlightBytes + this.pendingRows * 64;
    return (await renderMetrics(this.stats, this.listeners)) + (await renderSocketMetrics(this.socketStats));
  }

  /** Stops receiving, decodes and stores every datagram already received, then flushes. */
  async close(): Promise<void> {
    if (this.perWorker) await this.pool.stopReceiving();
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
