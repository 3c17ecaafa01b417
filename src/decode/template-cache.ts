/**
 * @module Templates per exporter and observation domain, bounded.
 *
 * Keyed by `domainKey` (exporter address + version + source id / observation
 * domain, see `state.ts`). Each domain holds at most `maxTemplates` templates
 * and `maxBytes` of them; past that its least recently used template goes, so
 * a flood of bogus templates from one exporter evicts only its own. The
 * number of domains is bounded too: the least recently seen domain goes
 * first, which is an exporter that has gone quiet, not a busy one.
 */

import type { Template } from './fields.js';

export interface TemplateCacheLimits {
  /** Templates per exporter/domain (default 512). */
  maxTemplates: number;
  /** Template bytes per exporter/domain, as {@link Template.cost} counts them (default 256 KiB). */
  maxBytes: number;
  /** Exporter/domain pairs (default 512). */
  maxDomains: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateCacheLimits = {
  maxTemplates: 512,
  maxBytes: 256 * 1024,
  maxDomains: 512,
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

  /** Adds or replaces a template; returns what happened and how many templates it evicted. */
  put(domainKey: string, t: Template): { outcome: PutOutcome; evicted: number } {
    if (t.cost > this.limits.maxBytes) return { outcome: 'too-large', evicted: 0 };
    let evicted = 0;
    let d = this.domains.get(domainKey);
    if (!d) {
      d = { templates: new Map(), bytes: 0 };
      this.domains.set(domainKey, d);
      while (this.domains.size > this.limits.maxDomains) {
        const [oldKey, old] = this.domains.entries().next().value as [string, Domain];
        this.domains.delete(oldKey);
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
      outcome = prev.signature === t.signature ? 'refreshed' : 'replaced';
    }
    while (d.templates.size >= this.limits.maxTemplates || d.bytes + t.cost > this.limits.maxBytes) {
      const [oldId, old] = d.templates.entries().next().value as [number, Template];
      d.templates.delete(oldId);
      d.bytes -= old.cost;
      evicted++;
    }
    d.templates.set(t.id, t);
    d.bytes += t.cost;
    this.evicted += evicted;
    return { outcome, evicted };
  }

  /** RFC 7011 §8.1: a template record with no fields withdraws that template. */
  withdraw(domainKey: string, id: number): boolean {
    const d = this.domains.get(domainKey);
    const t = d?.templates.get(id);
    if (!d || !t) return false;
    d.templates.delete(id);
    d.bytes -= t.cost;
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
      n++;
    }
    return n;
  }

  /** The template ids a domain holds, least recently used first. */
  ids(domainKey: string): number[] {
    return [...(this.domains.get(domainKey)?.templates.keys() ?? [])];
  }

  /** Templates held under every domain of one exporter (domain keys start with `exporterKey|`). */
  countFor(exporterKey: string): number {
    let n = 0;
    const prefix = `${exporterKey}|`;
    for (const [k, d] of this.domains) if (k.startsWith(prefix)) n += d.templates.size;
    return n;
  }

  domainBytes(domainKey: string): number {
    return this.domains.get(domainKey)?.bytes ?? 0;
  }

  stats(): { domains: number; templates: number; bytes: number; evicted: number } {
    let templates = 0;
    let bytes = 0;
    for (const d of this.domains.values()) {
      templates += d.templates.size;
      bytes += d.bytes;
    }
    return { domains: this.domains.size, templates, bytes, evicted: this.evicted };
  }
}
