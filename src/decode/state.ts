/**
 * @module What a decoder remembers between datagrams, all of it bounded:
 * templates (`template-cache.ts`), per exporter/domain sampling tables, system
 * init time and export sequence, per exporter counters, the queue of data sets
 * waiting for their template, and error counts by code.
 */

import { type AddrWords, formatAddress } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';
import {
  type DecodeError,
  type DecodeErrorCode,
  type DecodeResult,
  emptyErrorCounts,
  MAX_ERRORS_PER_PACKET,
} from './errors.js';
import { TemplateCache, type TemplateCacheLimits } from './template-cache.js';

export interface DecoderLimits extends TemplateCacheLimits {
  /** Exporters with counters and queues (default 4096); the least recently seen goes first. */
  maxExporters: number;
  /** Data sets held per exporter while their template is missing (default 64). */
  maxPendingSets: number;
  /** Bytes of such data sets per exporter (default 256 KiB). */
  maxPendingBytes: number;
  /** Sampler ids remembered per exporter/domain (default 256). */
  maxSamplers: number;
}

const DEFAULT_LIMITS: Omit<DecoderLimits, keyof TemplateCacheLimits> = {
  maxExporters: 4096,
  maxPendingSets: 64,
  maxPendingBytes: 256 * 1024,
  maxSamplers: 256,
};

/** What one exporter/domain (v9 source id, IPFIX observation domain) has told us. */
export interface DomainInfo {
  /** Sampling interval per sampler/selector id, from options data. */
  samplers: Map<number, number>;
  /** Interval from options data that names no sampler (0 = none known). */
  sampling: number;
  /** systemInitTimeMilliseconds from options data (NaN = unknown). */
  sysInitMs: number;
  /** Next expected sequence number (-1 before the first datagram). */
  nextSeq: number;
  /** Exports lost, from sequence gaps. */
  lost: number;
}

export interface ExporterStats {
  exporter: string;
  packets: number;
  records: number;
  /** Decode errors by code. */
  errors: Record<DecodeErrorCode, number>;
  /** Lost exports from sequence gaps: flows (v5), packets (v9), data records (IPFIX), datagrams (sFlow). */
  sequenceGaps: number;
  /** Templates held for this exporter (all its domains). */
  templates: number;
}

/** A data set that came before its template. */
export interface PendingSet {
  domainKey: string;
  version: 9 | 10;
  domain: number;
  setId: number;
  body: Uint8Array;
  exportMs: number;
  sysUptimeMs: number;
}

interface ExporterEntry {
  stats: ExporterStats;
  pending: PendingSet[];
  pendingBytes: number;
  domains: Map<string, DomainInfo>;
}

export class DecoderState {
  readonly limits: DecoderLimits;
  readonly templates: TemplateCache;
  readonly errorCounts = emptyErrorCounts();
  private readonly exporters = new Map<string, ExporterEntry>();
  packets = 0;
  records = 0;
  lost = 0;

  constructor(limits: Partial<DecoderLimits> = {}) {
    this.templates = new TemplateCache(limits);
    this.limits = { ...this.templates.limits, ...DEFAULT_LIMITS, ...limits };
  }

  /** The entry of an exporter, created on first sight; the least recently seen is dropped past the limit. */
  exporter(key: string, words: AddrWords): ExporterEntry {
    let e = this.exporters.get(key);
    if (e) {
      this.exporters.delete(key);
      this.exporters.set(key, e);
      return e;
    }
    e = {
      stats: {
        exporter: formatAddress(words),
        packets: 0,
        records: 0,
        errors: emptyErrorCounts(),
        sequenceGaps: 0,
        templates: 0,
      },
      pending: [],
      pendingBytes: 0,
      domains: new Map(),
    };
    this.exporters.set(key, e);
    while (this.exporters.size > this.limits.maxExporters) {
      const first = this.exporters.keys().next().value as string;
      this.exporters.delete(first);
    }
    return e;
  }

  domain(e: ExporterEntry, domainKey: string): DomainInfo {
    let d = e.domains.get(domainKey);
    if (!d) {
      // An exporter has a handful of domains; a flood of them is bounded like templates are.
      if (e.domains.size >= this.limits.maxSamplers)
        e.domains.delete(e.domains.keys().next().value as string);
      d = { samplers: new Map(), sampling: 0, sysInitMs: Number.NaN, nextSeq: -1, lost: 0 };
      e.domains.set(domainKey, d);
    }
    return d;
  }

  /** Per exporter counters, for `/metrics`. */
  exporterStats(): ExporterStats[] {
    return [...this.exporters.entries()].map(([key, e]) => ({
      ...e.stats,
      errors: { ...e.stats.errors },
      templates: this.templates.countFor(key),
    }));
  }

  /** Held data sets and their bytes, over all exporters. */
  pendingStats(): { sets: number; bytes: number } {
    let sets = 0;
    let bytes = 0;
    for (const e of this.exporters.values()) {
      sets += e.pending.length;
      bytes += e.pendingBytes;
    }
    return { sets, bytes };
  }
}

/** Everything a decoder needs while it works through one datagram. */
export interface PacketContext {
  readonly state: DecoderState;
  readonly entry: ExporterEntry;
  readonly exporter: AddrWords;
  /** 1, 5, 9, 10 (IPFIX), 'sflow5'; 0 when the version word was not one of them. */
  readonly version: number | 'sflow5';
  domain: number;
  domainKey: string;
  info: DomainInfo | undefined;
  exportMs: number;
  /** NetFlow v9 header sysUptime in ms; -1 for IPFIX. */
  sysUptimeMs: number;
  readonly receivedMs: number;
  readonly out: FlowBatch;
  readonly result: DecodeResult;
}

export function exporterKey(w: AddrWords): string {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff ? String(w[3]) : `${w[0]}:${w[1]}:${w[2]}:${w[3]}`;
}

export function newContext(
  state: DecoderState,
  exporter: AddrWords,
  version: PacketContext['version'],
  receivedMs: number,
  out: FlowBatch,
): PacketContext {
  const entry = state.exporter(exporterKey(exporter), exporter);
  entry.stats.packets++;
  state.packets++;
  return {
    state,
    entry,
    exporter,
    version,
    domain: 0,
    domainKey: '',
    info: undefined,
    exportMs: receivedMs,
    sysUptimeMs: -1,
    receivedMs,
    out,
    result: { records: 0, errors: [] },
  };
}

/** Enters an exporter/domain: its key and what we know about it. */
export function enterDomain(ctx: PacketContext, domain: number): DomainInfo {
  ctx.domain = domain;
  ctx.domainKey = `${exporterKey(ctx.exporter)}|${ctx.version}|${domain}`;
  ctx.info = ctx.state.domain(ctx.entry, ctx.domainKey);
  return ctx.info;
}

/** Counts an error and lists it in the datagram's result. */
export function fail(ctx: PacketContext, code: DecodeErrorCode, message: string, templateId?: number): void {
  ctx.state.errorCounts[code]++;
  ctx.entry.stats.errors[code]++;
  if (ctx.result.errors.length >= MAX_ERRORS_PER_PACKET) return;
  const err: DecodeError = { code, message, exporter: ctx.entry.stats.exporter, version: ctx.version };
  if (ctx.domainKey) err.domain = ctx.domain;
  if (templateId !== undefined) err.templateId = templateId;
  ctx.result.errors.push(err);
}

/** Tracks a sequence number: a forward jump is lost exports; a step back (restart, reordering) is not. */
export function trackSequence(ctx: PacketContext, info: DomainInfo, seq: number, advance: number): void {
  if (info.nextSeq >= 0) {
    const gap = (seq - info.nextSeq) >>> 0;
    if (gap !== 0 && gap < 0x80000000) {
      info.lost += gap;
      ctx.entry.stats.sequenceGaps += gap;
      ctx.state.lost += gap;
    }
  }
  info.nextSeq = (seq + advance) >>> 0;
}

/** Counts the records a datagram produced. */
export function finish(ctx: PacketContext): DecodeResult {
  ctx.entry.stats.records += ctx.result.records;
  ctx.state.records += ctx.result.records;
  return ctx.result;
}
