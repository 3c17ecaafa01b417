/**
 * @module The collector's per-exporter counters written to the store (kind
 * `exporters`, one partition per `serve` instance, replaced every few
 * seconds), so the API of any process on the store — not only the one that
 * receives — can show who exports what: packets, bytes, records, sequence
 * gaps (exports lost upstream), decode errors, templates held, last seen,
 * and the same per observation domain with its sampling intervals.
 * Counters run from the instance's start (`since`), as on `/metrics`.
 */

import type { DomainStats } from '../decode/index.js';
import type { DocKind, FlowStore } from '../store/types.js';
import type { CollectorStats } from './stats.js';

export const EXPORTER_KIND: DocKind = 'exporters';

export interface ExporterSnapshot {
  instance: string;
  /** When the counters were read (epoch ms). */
  at: number;
  /** When the instance started counting. */
  since: number;
  exporter: string;
  packets: number;
  bytes: number;
  /** The last datagram from it (epoch ms); 0 when only decode counters exist. */
  lastSeen: number;
  records: number;
  sequenceGaps: number;
  templates: number;
  decodeErrors: number;
  /** Decode errors by code. */
  errors: Record<string, number>;
  /** Records dropped by reason. */
  dropped: Record<string, number>;
  /** Per observation domain (v9 source id, IPFIX domain, v5 engine, sFlow sub-agent). */
  domains: DomainStats[];
}

/** The counters of every exporter the collector has series for, sorted by address. */
export function exporterSnapshot(
  s: CollectorStats,
  instance: string,
  since: number,
  now = Date.now(),
): ExporterSnapshot[] {
  const decoded = s.decodedByExporter();
  const names = new Set([...s.received.keys(), ...decoded.keys()]);
  return [...names].sort().map((exporter) => {
    const r = s.received.get(exporter);
    const d = decoded.get(exporter);
    return {
      instance,
      at: now,
      since,
      exporter,
      packets: r?.packets ?? 0,
      bytes: r?.bytes ?? 0,
      lastSeen: r?.lastMs ?? 0,
      records: d?.records ?? 0,
      sequenceGaps: d?.sequenceGaps ?? 0,
      templates: d?.templates ?? 0,
      decodeErrors: d ? Object.values(d.errors).reduce((a, b) => a + b, 0) : 0,
      errors: d?.errors ?? {},
      dropped: d?.dropped ?? {},
      domains: d?.domains ?? [],
    };
  });
}

/** Writes {@link exporterSnapshot} every `intervalMs`, and once more on stop. */
export class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly since = Date.now();

  constructor(
    private readonly store: FlowStore,
    private readonly stats: CollectorStats,
    private readonly instance: string,
    private readonly onError: (e: Error) => void = () => undefined,
  ) {}

  write(): Promise<void> {
    this.running = this.running
      .then(() =>
        this.store.putDocs(
          EXPORTER_KIND,
          this.instance,
          exporterSnapshot(this.stats, this.instance, this.since),
        ),
      )
      .catch((e: Error) => this.onError(e));
    return this.running;
  }

  start(intervalMs = 5000): void {
    this.timer = setInterval(() => void this.write(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.write();
  }
}
