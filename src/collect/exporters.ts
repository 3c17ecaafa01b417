/**
 * @module Who sent a datagram: the sender's address parsed once per exporter
 * (a handful of exporters send everything) and checked against the
 * allow-list. Used by whichever thread reads the socket.
 */

import { type AddrWords, formatAddress, parseAddress } from '../flow/address.js';

export interface Exporter {
  words: AddrWords;
  text: string;
  allowed: boolean;
}

/** Parses and normalises an allow-list; throws one line naming a bad entry. */
export function parseAllowList(list: readonly string[]): string[] {
  return list.map((a) => {
    const w = parseAddress(a);
    if (!w) throw new Error(`allowExporters: ${JSON.stringify(a)} is not an IP address`);
    return formatAddress(w);
  });
}

export class ExporterIndex {
  private readonly known = new Map<string, Exporter>();
  private readonly allow: Set<string> | null;

  /** `allow`: normalised addresses (see {@link parseAllowList}); empty accepts all. */
  constructor(allow: readonly string[]) {
    this.allow = allow.length ? new Set(allow) : null;
  }

  /** The sender of a datagram, or undefined if its address cannot be parsed. */
  lookup(from: string): Exporter | undefined {
    let e = this.known.get(from);
    if (e) return e;
    const w = parseAddress(from);
    if (!w) return undefined;
    const text = formatAddress(w);
    e = { words: w, text, allowed: !this.allow || this.allow.has(text) };
    // Bounded: a flood of spoofed senders cannot grow the cache without end.
    if (this.known.size >= 10_000) this.known.clear();
    this.known.set(from, e);
    return e;
  }
}
