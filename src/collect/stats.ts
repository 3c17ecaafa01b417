/**
 * @module Collector counters and their Prometheus text exposition.
 *
 * Receive-side counters (datagrams, bytes, refused, dropped) are kept on the
 * main thread; decode-side counters (records, errors by code, sequence gaps =
 * exports lost upstream, templates held, records dropped) come from the
 * workers.
 *
 * Series per exporter are bounded the way the decoders' state is
 * (`src/decode/state.ts`): at most `maxExporters` source addresses have their
 * own series; a new one takes the place of an idle one only (no datagram for
 * `idleMs`), so an active exporter's series stay under a flood of datagrams
 * from other addresses, which are counted together as exporter="other".
 */

import { type DomainStats, OVERFLOW_EXPORTER } from '../decode/index.js';
import { kernelUdpSockets } from './procnet.js';

export interface ExporterDecodeStats {
  exporter: string;
  records: number;
  errors: Record<string, number>;
  /** Flow records dropped by reason (junk templates, over the rate limit). */
  dropped?: Record<string, number>;
  sequenceGaps: number;
  templates: number;
  /** Its domains (v9 source ids, IPFIX observation domains…): datagrams, records, lost, sampling, templates. */
  domains?: DomainStats[];
}

export interface ReceiveStats {
  packets: number;
  bytes: number;
  lastMs: number;
}

export class CollectorStats {
  /** Per source address, least recently seen first; bounded (see the module comment). */
  readonly received = new Map<string, ReceiveStats>();
  /** Latest decode snapshot per worker, merged at exposition time. */
  readonly decoded = new Map<number, ExporterDecodeStats[]>();
  refused = 0;
  queueDropped = 0;
  queueDepthBytes = 0;
  flowsStored = 0;
  flushCount = 0;
  flushSecondsSum = 0;
  flushLastSeconds = 0;
  storeErrors = 0;

  constructor(
    readonly maxExporters = 4096,
    readonly idleMs = 10 * 60_000,
  ) {}

  countReceived(exporter: string, bytes: number, packets = 1, nowMs = Date.now()): void {
    let s = this.received.get(exporter);
    if (s) {
      this.received.delete(exporter);
      this.received.set(exporter, s);
    } else {
      // The overflow series is not one of the maxExporters places.
      const own = this.received.size - (this.received.has(OVERFLOW_EXPORTER) ? 1 : 0);
      if (own >= this.maxExporters) {
        let oldest: [string, ReceiveStats] | undefined;
        for (const x of this.received) {
          if (x[0] === OVERFLOW_EXPORTER) continue;
          oldest = x;
          break;
        }
        if (oldest && nowMs - oldest[1].lastMs >= this.idleMs) this.received.delete(oldest[0]);
        else exporter = OVERFLOW_EXPORTER;
      }
      s = this.received.get(exporter);
      if (!s) {
        s = { packets: 0, bytes: 0, lastMs: nowMs };
        this.received.set(exporter, s);
      }
    }
    s.packets += packets;
    s.bytes += bytes;
    if (nowMs > s.lastMs) s.lastMs = nowMs;
  }

  decodedByExporter(): Map<string, ExporterDecodeStats> {
    const out = new Map<string, ExporterDecodeStats>();
    for (const list of this.decoded.values()) {
      for (const d of list) {
        const cur = out.get(d.exporter);
        if (!cur) {
          out.set(d.exporter, {
            ...d,
            errors: { ...d.errors },
            dropped: { ...d.dropped },
            domains: [...(d.domains ?? [])],
          });
          continue;
        }
        // An exporter meets one worker (its address and port hash to one socket); if not, list both.
        cur.domains = [...(cur.domains ?? []), ...(d.domains ?? [])];
        cur.records += d.records;
        cur.sequenceGaps += d.sequenceGaps;
        cur.templates += d.templates;
        for (const [k, v] of Object.entries(d.errors)) cur.errors[k] = (cur.errors[k] ?? 0) + v;
        cur.dropped ??= {};
        for (const [k, v] of Object.entries(d.dropped ?? {})) cur.dropped[k] = (cur.dropped[k] ?? 0) + v;
      }
    }
    return out;
  }
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class Exposition {
  private lines: string[] = [];
  metric(
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    samples: [Record<string, string>, number][],
  ): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) {
      const l = Object.entries(labels)
        .map(([k, x]) => `${k}="${esc(x)}"`)
        .join(',');
      this.lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(v) ? v : 0}`);
    }
  }
  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export interface Listener {
  name: string;
  port: number;
}

/** Kernel receive-buffer drops of our UDP sockets, from /proc/net/udp{,6} (Linux only). */
export async function kernelUdpDrops(ports: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const k of await kernelUdpSockets())
    if (ports.includes(k.port)) out.set(k.port, (out.get(k.port) ?? 0) + k.drops);
  return out;
}

export async function renderMetrics(s: CollectorStats, listeners: readonly Listener[]): Promise<string> {
  const e = new Exposition();
  const recv = [...s.received.entries()];
  e.metric(
    'flowhunt_exporter_packets_total',
    'counter',
    'Export datagrams received from the exporter.',
    recv.map(([x, r]) => [{ exporter: x }, r.packets]),
  );
  e.metric(
    'flowhunt_exporter_bytes_total',
    'counter',
    'Bytes of export datagrams received from the exporter.',
    recv.map(([x, r]) => [{ exporter: x }, r.bytes]),
  );
  const dec = [...s.decodedByExporter().values()];
  e.metric(
    'flowhunt_exporter_records_total',
    'counter',
    'Flow records decoded.',
    dec.map((d) => [{ exporter: d.exporter }, d.records]),
  );
  e.metric(
    'flowhunt_exporter_decode_errors_total',
    'counter',
    'Decode errors by kind (a missing template, a truncated set, ...).',
    dec.flatMap((d) =>
      Object.entries(d.errors).map(
        ([code, n]) => [{ exporter: d.exporter, code }, n] as [Record<string, string>, number],
      ),
    ),
  );
  e.metric(
    'flowhunt_exporter_dropped_records_total',
    'counter',
    'Flow records dropped, not stored, by reason: not-flows (a template that cannot carry flows), rate-limit, not-ip (a sampled frame that is not IP).',
    dec.flatMap((d) =>
      Object.entries(d.dropped ?? {}).map(
        ([reason, n]) => [{ exporter: d.exporter, reason }, n] as [Record<string, string>, number],
      ),
    ),
  );
  e.metric(
    'flowhunt_exporter_sequence_gaps_total',
    'counter',
    'Export packets or records lost between the exporter and us, from sequence numbers.',
    dec.map((d) => [{ exporter: d.exporter }, d.sequenceGaps]),
  );
  e.metric(
    'flowhunt_exporter_templates',
    'gauge',
    'Templates held for the exporter.',
    dec.map((d) => [{ exporter: d.exporter }, d.templates]),
  );
  const drops = await kernelUdpDrops(listeners.map((l) => l.port));
  e.metric(
    'flowhunt_udp_kernel_drops_total',
    'counter',
    'Datagrams the kernel dropped because our receive buffer was full.',
    listeners.map((l) => [{ listener: l.name, port: String(l.port) }, drops.get(l.port) ?? 0]),
  );
  e.metric('flowhunt_refused_packets_total', 'counter', 'Datagrams from exporters not on the allow-list.', [
    [{}, s.refused],
  ]);
  e.metric(
    'flowhunt_queue_dropped_total',
    'counter',
    'Datagrams dropped because decoding fell too far behind.',
    [[{}, s.queueDropped]],
  );
  e.metric('flowhunt_queue_depth_bytes', 'gauge', 'Received bytes waiting to be decoded or stored.', [
    [{}, s.queueDepthBytes],
  ]);
  e.metric('flowhunt_flows_stored_total', 'counter', 'Flows handed to the store.', [[{}, s.flowsStored]]);
  e.metric('flowhunt_store_flush_seconds_sum', 'counter', 'Time spent writing flows to the store.', [
    [{}, s.flushSecondsSum],
  ]);
  e.metric('flowhunt_store_flush_seconds_count', 'counter', 'Store flushes.', [[{}, s.flushCount]]);
  e.metric('flowhunt_store_flush_last_seconds', 'gauge', 'Duration of the last store flush.', [
    [{}, s.flushLastSeconds],
  ]);
  e.metric('flowhunt_store_errors_total', 'counter', 'Failed store writes (the flows are retried).', [
    [{}, s.storeErrors],
  ]);
  return e.text();
}
