/**
 * @module Collector counters and their Prometheus text exposition.
 *
 * Receive-side counters (datagrams, bytes, refused, dropped) are kept on the
 * main thread; decode-side counters (records, errors by code, sequence gaps =
 * exports lost upstream, templates held) come from the workers.
 */

import { readFile } from 'node:fs/promises';

export interface ExporterDecodeStats {
  exporter: string;
  records: number;
  errors: Record<string, number>;
  sequenceGaps: number;
  templates: number;
}

export interface ReceiveStats {
  packets: number;
  bytes: number;
}

export class CollectorStats {
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

  countReceived(exporter: string, bytes: number): void {
    let s = this.received.get(exporter);
    if (!s) {
      s = { packets: 0, bytes: 0 };
      this.received.set(exporter, s);
    }
    s.packets++;
    s.bytes += bytes;
  }

  decodedByExporter(): Map<string, ExporterDecodeStats> {
    const out = new Map<string, ExporterDecodeStats>();
    for (const list of this.decoded.values()) {
      for (const d of list) {
        const cur = out.get(d.exporter);
        if (!cur) {
          out.set(d.exporter, { ...d, errors: { ...d.errors } });
          continue;
        }
        cur.records += d.records;
        cur.sequenceGaps += d.sequenceGaps;
        cur.templates += d.templates;
        for (const [k, v] of Object.entries(d.errors)) cur.errors[k] = (cur.errors[k] ?? 0) + v;
      }
    }
    return out;
  }
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

class Exposition {
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
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 13) continue;
      const port = Number.parseInt(f[1]!.split(':')[1] ?? '', 16);
      if (!ports.includes(port)) continue;
      out.set(port, (out.get(port) ?? 0) + Number(f[f.length - 1]));
    }
  }
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
