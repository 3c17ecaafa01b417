/**
 * @module How fast flows come in: the collector's stored-flow counter sampled
 * every few seconds, the rate taken over the last minute. Without a collector
 * (an API-only process in a scale-out) the rate is read from the store: the
 * flows that ended in the five minutes before the last one (the last minute
 * may not be flushed yet), divided by 300.
 */

import type { Collector } from '../collect/collector.js';
import { type ExporterSnapshot, exporterSnapshot } from '../collect/snapshot.js';
import type { FlowStore } from '../store/types.js';

const SAMPLE_MS = 5_000;
const SPAN_MS = 60_000;

/** What the ingest view shows of an exporter's counters (the rest of its snapshot is on the exporters page). */
export type ExporterStats = Pick<
  ExporterSnapshot,
  'exporter' | 'packets' | 'bytes' | 'records' | 'sequenceGaps' | 'decodeErrors'
>;

export class IngestRate {
  private samples: { t: number; flows: number }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: FlowStore,
    readonly collector?: Collector,
  ) {}

  start(): void {
    if (!this.collector || this.timer) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private sample(): void {
    const now = Date.now();
    this.samples.push({ t: now, flows: this.collector!.stats.flowsStored });
    while (this.samples.length > 2 && now - this.samples[1]!.t >= SPAN_MS) this.samples.shift();
  }

  /** Flows per second over the last minute. */
  async flowsPerSecond(): Promise<number> {
    if (this.collector?.listeners.length) {
      this.sample();
      const a = this.samples[0]!;
      const b = this.samples.at(-1)!;
      return b.t > a.t ? Math.round(((b.flows - a.flows) / (b.t - a.t)) * 1000 * 10) / 10 : 0;
    }
    const to = Date.now() - 60_000;
    const t = await this.store.totals({ from: to - 300_000, to });
    return Math.round((t.flows / 300) * 10) / 10;
  }

  exporters(): ExporterStats[] {
    if (!this.collector) return [];
    return exporterSnapshot(this.collector.stats, '', 0).map((x) => ({
      exporter: x.exporter,
      packets: x.packets,
      bytes: x.bytes,
      records: x.records,
      sequenceGaps: x.sequenceGaps,
      decodeErrors: x.decodeErrors,
    }));
  }
}
