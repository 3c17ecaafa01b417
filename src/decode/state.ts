/**
 * @module What a decoder remembers between datagrams, per exporter and all of
 * it bounded: templates (`template-cache.ts`), per domain sampling tables,
 * system init time and export sequence, counters, the queue of data sets
 * waiting for their template, a records-per-second budget, and error and
 * drop counts.
 *
 * Isolation: every limit is per exporter (source address), so one exporter's
 * flood (templates, source ids, held data, junk records) evicts or drops only
 * its own state. The table of exporters is bounded too, but a new exporter
 * takes the place of an *idle* one only (no datagram for `idleMs`), the least
 * recently seen first; while every place is held by an active exporter,
 * newcomers share one overflow entry ("other") with the limits of a single
 * exporter. So datagrams from thousands of other addresses cannot make an
 * active exporter forget its templates or its sampling rate. Sampling state
 * (options records) stays until the exporter sends another: when an idle
 * exporter is evicted, its sampling rates (and system init times) are kept in
 * a bounded table and given back if it returns, so its first data after a
 * long silence is scaled right before its next options record comes.
 *
 * All exporters together hold at most about 2 × `maxStateBytes` of templates
 * and held data: past `maxStateBytes`, an exporter holding more than its fair
 * share (`maxStateBytes / maxExporters`) can add only by evicting its own.
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
import { DEFAULT_TEMPLATE_LIMITS, TemplateCache, type TemplateCacheLimits } from './template-cache.js';

export interface DecoderLimits extends TemplateCacheLimits {
  /** Exporters with their own state (default 4096). */
  maxExporters: number;
  /** An exporter silent this long (ms, default 10 min) may lose its place to a new one. */
  idleMs: number;
  /** Data sets held per exporter while their template is missing (default 64). */
  maxPendingSets: number;
  /** Bytes of such data sets per exporter (default 256 KiB). */
  maxPendingBytes: number;
  /** Templates and held data over all exporters before the fair-share rule applies (default 256 MiB). */
  maxStateBytes: number;
  /** Flow records accepted per exporter per second (default 2 M; a burst of one second's worth). */
  maxRecordsPerSecond: number;
}

const DEFAULT_LIMITS: Omit<DecoderLimits, keyof TemplateCacheLimits> = {
  maxExporters: 4096,
  idleMs: 10 * 60_000,
  maxPendingSets: 64,
  maxPendingBytes: 256 * 1024,
  maxStateBytes: 256 * 1024 * 1024,
  maxRecordsPerSecond: 2_000_000,
};

/** Why flow records were dropped rather than stored. */
export const DROP_REASONS = {
  'not-flows':
    'the template has no address and no counter field, or its records are shorter than 4 bytes: not flows',
  'rate-limit': 'the exporter sent more records per second than maxRecordsPerSecond',
  'not-ip': 'a sampled packet (sFlow raw header, IPFIX frame section) that is not IP, such as ARP or LLDP',
} as const;

/**
 * The largest sampling rate taken (1 in 2^24): real exporters sample 1 in a
 * few thousand at most; anything past this is a bogus value, counted as a
 * `bad-sampling` error rather than multiplied into the counters.
 */
export const MAX_SAMPLING = 16_777_216;

export type DropReason = keyof typeof DROP_REASONS;

/** The exporter name of the overflow entry shared by exporters that found no free place. */
export const OVERFLOW_EXPORTER = 'other';

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
  /** Datagrams and flow records decoded for this domain. */
  packets: number;
  records: number;
}

/** One domain of an exporter as the exporters page shows it. */
export interface DomainStats {
  /** NetFlow/IPFIX version, or `sflow5`. */
  version: string;
  /** v9 source id, IPFIX observation domain, sFlow agent sub-id. */
  domain: number;
  packets: number;
  records: number;
  lost: number;
  /** Sampling intervals known from options data: the domain's own, then per sampler id. */
  sampling: number[];
  templates: number;
}

export interface ExporterStats {
  exporter: string;
  packets: number;
  records: number;
  /** Decode errors by code. */
  errors: Record<DecodeErrorCode, number>;
  /** Flow records dropped by reason. */
  dropped: Record<DropReason, number>;
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

export interface ExporterEntry {
  stats: ExporterStats;
  pending: PendingSet[];
  pendingBytes: number;
  domains: Map<string, DomainInfo>;
  templates: TemplateCache;
  /** receivedMs of the latest datagram. */
  lastSeenMs: number;
  /** Records-per-second budget: tokens left, refilled from `tokensAt`. */
  tokens: number;
  tokensAt: number;
}

function emptyDrops(): Record<DropReason, number> {
  return { 'not-flows': 0, 'rate-limit': 0, 'not-ip': 0 };
}

export class DecoderState {
  readonly limits: DecoderLimits;
  readonly errorCounts = emptyErrorCounts();
  readonly dropCounts = emptyDrops();
  private readonly exporters = new Map<string, ExporterEntry>();
  /** Shared by exporters that came while every place was held by an active one. */
  readonly overflow: ExporterEntry;
  packets = 0;
  records = 0;
  lost = 0;
  /** Idle exporters whose state was dropped to make room for a new one. */
  evictedExporters = 0;
  /** Datagrams decoded with the overflow entry. */
  overflowPackets = 0;
  /** Bytes of templates of every exporter (kept up to date by {@link putTemplate} and eviction). */
  private templateBytes = 0;
  private pendingBytes = 0;
  /** Sampling state of evicted exporters, least recently evicted first; at most maxExporters. */
  private readonly remembered = new Map<string, Map<string, DomainInfo>>();

  constructor(limits: Partial<DecoderLimits> = {}) {
    this.limits = { ...DEFAULT_TEMPLATE_LIMITS, ...DEFAULT_LIMITS, ...limits };
    this.overflow = this.newEntry(OVERFLOW_EXPORTER, Number.NEGATIVE_INFINITY);
  }

  private newEntry(name: string, nowMs: number): ExporterEntry {
    return {
      stats: {
        exporter: name,
        packets: 0,
        records: 0,
        errors: emptyErrorCounts(),
        dropped: emptyDrops(),
        sequenceGaps: 0,
        templates: 0,
      },
      pending: [],
      pendingBytes: 0,
      domains: new Map(),
      templates: new TemplateCache(this.limits),
      lastSeenMs: nowMs,
      tokens: this.limits.maxRecordsPerSecond,
      tokensAt: nowMs,
    };
  }

  /**
   * The entry of an exporter, created on first sight. Past `maxExporters`, a
   * new exporter takes the place of the least recently seen one only if that
   * one is idle; otherwise it gets the shared overflow entry.
   */
  exporter(key: string, words: AddrWords, nowMs: number): ExporterEntry {
    let e = this.exporters.get(key);
    if (e) {
      this.exporters.delete(key);
      this.exporters.set(key, e);
      if (nowMs > e.lastSeenMs) e.lastSeenMs = nowMs;
      return e;
    }
    if (this.exporters.size >= this.limits.maxExporters) {
      const [oldKey, old] = this.exporters.entries().next().value as [string, ExporterEntry];
      if (!(nowMs - old.lastSeenMs >= this.limits.idleMs)) {
        this.overflowPackets++;
        if (nowMs > this.overflow.lastSeenMs) this.overflow.lastSeenMs = nowMs;
        return this.overflow;
      }
      this.exporters.delete(oldKey);
      this.templateBytes -= old.templates.bytes;
      this.pendingBytes -= old.pendingBytes;
      this.evictedExporters++;
      this.remember(oldKey, old);
    }
    e = this.newEntry(formatAddress(words), nowMs);
    const kept = this.remembered.get(key);
    if (kept) {
      this.remembered.delete(key);
      for (const [k, d] of kept) e.domains.set(k, d);
    }
    this.exporters.set(key, e);
    return e;
  }

  /** Keeps what options data said about an evicted exporter's domains (sampling, init time). */
  private remember(key: string, e: ExporterEntry): void {
    const kept = new Map<string, DomainInfo>();
    for (const [k, d] of e.domains) {
      if (d.sampling === 0 && d.samplers.size === 0 && Number.isNaN(d.sysInitMs)) continue;
      // The sequence starts again: a gap over the silence is not lost exports we can count.
      kept.set(k, { ...d, nextSeq: -1, lost: 0, packets: 0, records: 0 });
    }
    if (kept.size === 0) return;
    if (this.remembered.size >= this.limits.maxExporters)
      this.remembered.delete(this.remembered.keys().next().value as string);
    this.remembered.set(key, kept);
  }

  domain(e: ExporterEntry, domainKey: string): DomainInfo {
    let d = e.domains.get(domainKey);
    if (d) {
      if (e.domains.size > 1) {
        e.domains.delete(domainKey);
        e.domains.set(domainKey, d);
      }
      return d;
    }
    // An exporter has a handful of domains; a flood of them evicts only its own, least recently seen first.
    if (e.domains.size >= this.limits.maxDomains) e.domains.delete(e.domains.keys().next().value as string);
    d = {
      samplers: new Map(),
      sampling: 0,
      sysInitMs: Number.NaN,
      nextSeq: -1,
      lost: 0,
      packets: 0,
      records: 0,
    };
    e.domains.set(domainKey, d);
    return d;
  }

  /** The bytes an exporter may hold now: its own limit, or what it holds when all together hold too much. */
  private fairLimit(held: number, own: number): number {
    if (this.templateBytes + this.pendingBytes <= this.limits.maxStateBytes) return own;
    const share = this.limits.maxStateBytes / this.limits.maxExporters;
    return held > share ? held : own;
  }

  /** Stores a template for an exporter within its limits (see {@link TemplateCache.put}). */
  putTemplate(e: ExporterEntry, domainKey: string, t: Parameters<TemplateCache['put']>[1]) {
    const before = e.templates.bytes;
    const r = e.templates.put(domainKey, t, this.fairLimit(before, this.limits.maxTotalBytes));
    this.templateBytes += e.templates.bytes - before;
    return r;
  }

  withdrawTemplates(e: ExporterEntry, f: (c: TemplateCache) => unknown): void {
    const before = e.templates.bytes;
    f(e.templates);
    this.templateBytes += e.templates.bytes - before;
  }

  /** Pending bytes an exporter may hold now. */
  pendingLimit(e: ExporterEntry): number {
    return this.fairLimit(e.pendingBytes, this.limits.maxPendingBytes);
  }

  addPending(e: ExporterEntry, delta: number): void {
    e.pendingBytes += delta;
    this.pendingBytes += delta;
  }

  /** Templates of every exporter, read only (tests, `decode --stats`). */
  get templates(): {
    ids(domainKey: string): number[];
    domainBytes(domainKey: string): number;
    stats(): { domains: number; templates: number; bytes: number; evicted: number };
  } {
    const cacheOf = (domainKey: string) => this.exporters.get(domainKey.split('|')[0]!)?.templates;
    return {
      ids: (k) => cacheOf(k)?.ids(k) ?? this.overflow.templates.ids(k),
      domainBytes: (k) => cacheOf(k)?.domainBytes(k) ?? this.overflow.templates.domainBytes(k),
      stats: () => {
        const sum = { domains: 0, templates: 0, bytes: 0, evicted: 0 };
        for (const e of [...this.exporters.values(), this.overflow]) {
          const s = e.templates.stats();
          sum.domains += s.domains;
          sum.templates += s.templates;
          sum.bytes += s.bytes;
          sum.evicted += s.evicted;
        }
        return sum;
      },
    };
  }

  /** Exporters with their own state (not counting the overflow entry). */
  get exporterCount(): number {
    return this.exporters.size;
  }

  /** Per exporter counters, for `/metrics`; the overflow entry once it has been used. */
  exporterStats(): ExporterStats[] {
    const list = [...this.exporters.values()];
    if (this.overflow.stats.packets > 0) list.push(this.overflow);
    return list.map((e) => ({
      ...e.stats,
      errors: { ...e.stats.errors },
      dropped: { ...e.stats.dropped },
      templates: e.templates.stats().templates,
    }));
  }

  /** Per exporter, its domains (at most `limit`, the most recently seen): datagrams, records, lost exports, sampling, templates. */
  domainStats(limit = 64): Map<string, DomainStats[]> {
    const out = new Map<string, DomainStats[]>();
    for (const e of this.exporters.values()) {
      const list: DomainStats[] = [];
      for (const [key, d] of [...e.domains].slice(-limit)) {
        const [, version = '', domain = '0'] = key.split('|');
        list.push({
          version,
          domain: Number(domain),
          packets: d.packets,
          records: d.records,
          lost: d.lost,
          sampling: [...(d.sampling ? [d.sampling] : []), ...d.samplers.values()],
          templates: e.templates.ids(key).length,
        });
      }
      if (list.length) out.set(e.stats.exporter, list);
    }
    return out;
  }

  /** Held data sets and their bytes, over all exporters. */
  pendingStats(): { sets: number; bytes: number } {
    let sets = this.overflow.pending.length;
    for (const e of this.exporters.values()) sets += e.pending.length;
    return { sets, bytes: this.pendingBytes };
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
  const entry = state.exporter(exporterKey(exporter), exporter, receivedMs);
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
  const exporter = ctx.entry === ctx.state.overflow ? formatAddress(ctx.exporter) : ctx.entry.stats.exporter;
  const err: DecodeError = { code, message, exporter, version: ctx.version };
  if (ctx.domainKey) err.domain = ctx.domain;
  if (templateId !== undefined) err.templateId = templateId;
  ctx.result.errors.push(err);
}

/** Counts `n` flow records dropped for `reason`. */
export function drop(ctx: PacketContext, reason: DropReason, n: number): void {
  ctx.state.dropCounts[reason] += n;
  ctx.entry.stats.dropped[reason] += n;
}

/**
 * How many of `n` flow records the exporter's records-per-second budget
 * admits now (the rest are counted as dropped, `rate-limit`).
 */
export function admit(ctx: PacketContext, n: number): number {
  const e = ctx.entry;
  const rate = ctx.state.limits.maxRecordsPerSecond;
  if (e.tokens < n) {
    const now = ctx.receivedMs;
    if (now > e.tokensAt) {
      e.tokens = Math.min(rate, e.tokens + ((now - e.tokensAt) * rate) / 1000);
      e.tokensAt = now;
    } else if (!(e.tokensAt <= now)) e.tokensAt = now; // a clock step back restarts the refill
  }
  const ok = e.tokens >= n ? n : Math.max(0, Math.floor(e.tokens));
  e.tokens -= ok;
  if (ok < n) {
    drop(ctx, 'rate-limit', n - ok);
    fail(ctx, 'junk-records', `over ${rate} records per second: dropped ${n - ok}`);
  }
  return ok;
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
  if (ctx.info) {
    ctx.info.packets++;
    ctx.info.records += ctx.result.records;
  }
  ctx.state.records += ctx.result.records;
  return ctx.result;
}
