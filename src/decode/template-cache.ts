/**
 * @module The templates of one exporter, per observation domain, bounded.
 *
 * Each exporter has its own cache (see `state.ts`), keyed by `domainKey`
 * (exporter address + version + source id / observation domain). Each domain
 * holds at most `maxTemplates` templates and `maxBytes` of them; the exporter
 * holds at most `maxDomains` domains and `maxTotalBytes` over all of them.
 * Past a limit the least recently used template (or domain) of this exporter
 * goes, so a flood of bogus templates or source ids from one exporter evicts
 * only its own state, never another exporter's.
 */

import type { Template } from './fields.js';

export interface TemplateCacheLimits {
  /** Templates per exporter/domain (default 512). */
  maxTemplates: number;
  /** Template bytes per exporter/domain, as {@link Template.cost} counts them (default 256 KiB). */
  maxBytes: number;
  /** Observation domains (v9 source ids) per exporter (default 64). */
  maxDomains: number;
  /** Template bytes per exporter, over all its domains (default 512 KiB). */
  maxTotalBytes: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateCacheLimits = {
  maxTemplates: 512,
  maxBytes: 256 * 1024,
  maxDomains: 64,
  maxTotalBytes: 512 * 1024,
};

interface Domain {
  /** Insertion order is use order: the first entry is the least recently used. */
  templates: Map<number, Template>;
  bytes: number;
}

export type PutOutcome = 'added' | 'refreshed' | 'replaced' | 'too-large';

export class TemplateCache {
  readonly limits: TemplateCacheLimits;
  private readonly domains = new Map<string, Domain>();
  /** Templates dropped to stay within the limits (not withdrawals). */
  evicted = 0;
  /** Template bytes held over all domains. */
  bytes = 0;

  constructor(limits: Partial<TemplateCacheLimits> = {}) {
    this.limits = { ...DEFAULT_TEMPLATE_LIMITS, ...limits };
  }

  get(domainKey: string, id: number): Template | undefined {
    const d = this.domains.get(domainKey);
    const t = d?.templates.get(id);
    if (d && t) {
      d.templates.delete(id);
      d.templates.set(id, t);
      this.domains.delete(domainKey);
      this.domains.set(domainKey, d);
    }
    return t;
  }

  /**
   * Adds or replaces a template; returns what happened and how many templates
   * it evicted. `totalLimit` lowers the cache's byte limit for this put (the
   * decoder state does when all exporters together hold too much).
   */
  put(
    domainKey: string,
    t: Template,
    totalLimit = this.limits.maxTotalBytes,
  ): { outcome: PutOutcome; evicted: number } {
    const limit = Math.min(totalLimit, this.limits.maxTotalBytes);
    if (t.cost > this.limits.maxBytes || t.cost > limit) return { outcome: 'too-large', evicted: 0 };
    let evicted = 0;
    let d = this.domains.get(domainKey);
    if (!d) {
      d = { templates: new Map(), bytes: 0 };
      this.domains.set(domainKey, d);
      while (this.domains.size > this.limits.maxDomains) {
        const [oldKey, old] = this.domains.entries().next().value as [string, Domain];
        this.domains.delete(oldKey);
        this.bytes -= old.bytes;
        evicted += old.templates.size;
      }
    } else {
      this.domains.delete(domainKey);
      this.domains.set(domainKey, d);
    }
    const prev = d.templates.get(t.id);
    let outcome: PutOutcome = 'added';
    if (prev) {
      d.templates.delete(t.id);
      d.bytes -= prev.cost;
      this.bytes -= prev.cost;
      outcome = prev.signature === t.signature ? 'refreshed' : 'replaced';
    }
    while (d.templates.size >= this.limits.maxTemplates || d.bytes + t.cost > this.limits.maxBytes) {
      this.evictFirst(d);
      evicted++;
    }
    // Over the exporter's total: its least recently used domains give up their oldest templates.
    while (this.bytes + t.cost > limit) {
      let victim: Domain | undefined;
      for (const x of this.domains.values())
        if (x.templates.size > 0) {
          victim = x;
          break;
        }
      if (!victim) break;
      this.evictFirst(victim);
      evicted++;
    }
    d.templates.set(t.id, t);
    d.bytes += t.cost;
    this.bytes += t.cost;
    this.evicted += evicted;
    return { outcome, evicted };
  }

  private evictFirst(d: Domain): void {
    const [oldId, old] = d.templates.entries().next().value as [number, Template];
    d.templates.delete(oldId);
    d.bytes -= old.cost;
    this.bytes -= old.cost;
  }

  /** RFC 7011 §8.1: a template record with no fields withdraws that template. */
  withdraw(domainKey: string, id: number): boolean {
    const d = this.domains.get(domainKey);
    const t = d?.templates.get(id);
    if (!d || !t) return false;
    d.templates.delete(id);
    d.bytes -= t.cost;
    this.bytes -= t.cost;
    return true;
  }

  /** Withdraws every template (or every options template) of a domain; returns how many. */
  withdrawAll(domainKey: string, options: boolean): number {
    const d = this.domains.get(domainKey);
    if (!d) return 0;
    let n = 0;
    for (const [id, t] of d.templates) {
      if (t.options !== options) continue;
      d.templates.delete(id);
      d.bytes -= t.cost;
      this.bytes -= t.cost;
      n++;
    }
    return n;
  }

  /** The template ids a domain holds, least recently used first. */
  ids(domainKey: string): number[] {
    return [...(this.domains.get(domainKey)?.templates.keys() ?? [])];
  }

  domainBytes(domainKey: string): number {
    return this.domains.get(domainKey)?.bytes ?? 0;
  }

  stats(): { domains: number; templates: number; bytes: number; evicted: number } {
    let templates = 0;
    for (const d of this.domains.values()) templates += d.templates.size;
    return { domains: this.domains.size, templates, bytes: this.bytes, evicted: this.evicted };
  }
}
