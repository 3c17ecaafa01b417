/**
 * @module Botnet families: hosts that share signatures, as connected
 * components of the bipartite IP–signature graph. Two signatures on the same
 * port and protocol are one node of the graph when their mixes of exchanges
 * are alike ({@link similarity} ≥ {@link FAMILY_SIMILARITY}), so members found
 * with a profile learned in one week and those found with a slightly
 * different one learned later fall into one family. Bare-probe signatures
 * (strength 0: any scanner of the port sends them) do not link hosts, or
 * every scanner of a popular port would fall into one family.
 */

import type { Finding } from './hunt.js';
import { isBareProbe, keyOf, type SignatureKey, signatureLabel, signatureOf } from './signature.js';

export interface Family {
  id: number;
  /**
   * The written forms of the family's signatures (exact and profiles, with
   * the protocol when it is not TCP: `53-1-70/udp`), in order.
   */
  signatures: string[];
  /**
   * The written form most of its members were found with (its profile, or
   * its exact signature for a family of one exchange): what the family
   * looks like in one line.
   */
  profile: string;
  members: string[];
  size: number;
  /** The days on which the hunt found any member. */
  days: string[];
}

/** Signatures whose mixes overlap at least this much describe one family. */
export const FAMILY_SIMILARITY = 0.5;

/**
 * How much two signatures' mixes overlap: the sum over exchanges of the
 * smaller weight (1 − total variation distance); 0 on another port or
 * protocol.
 */
export function similarity(a: SignatureKey, b: SignatureKey): number {
  if (a.protocol !== b.protocol || a.port !== b.port) return 0;
  let s = 0;
  for (const x of a.combos) {
    const y = b.combos.find((c) => c.packets === x.packets && c.octets === x.octets);
    if (y) s += Math.min(x.weight, y.weight);
  }
  return s;
}

export function families(findings: readonly Finding[]): Family[] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    let c = x;
    while (parent.get(c) !== r) {
      const n = parent.get(c)!;
      parent.set(c, r);
      c = n;
    }
    return r;
  };
  const add = (x: string) => {
    if (!parent.has(x)) parent.set(x, x);
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    // The smaller name becomes the root, so the grouping is the same in any order.
    const [lo, hi] = ra < rb ? [ra, rb] : [rb, ra];
    parent.set(hi, lo);
  };
  // One node per signature identity, with the written forms it was found under.
  const sigs = new Map<string, { key: SignatureKey; texts: Set<string> }>();
  const days = new Map<string, Set<string>>();
  const hostsOf = new Map<string, Set<string>>();
  for (const f of findings) {
    const key = signatureOf(f);
    if (!key || isBareProbe(key)) continue;
    const sigNode = `sig:${keyOf(f)}`;
    const s = sigs.get(sigNode) ?? { key, texts: new Set<string>() };
    const label = signatureLabel(key);
    s.texts.add(label);
    const h = hostsOf.get(label) ?? new Set<string>();
    h.add(f.ip);
    hostsOf.set(label, h);
    sigs.set(sigNode, s);
    const ipNode = `ip:${f.ip}`;
    add(ipNode);
    add(sigNode);
    union(ipNode, sigNode);
    const d = days.get(ipNode) ?? new Set<string>();
    d.add(f.day);
    days.set(ipNode, d);
  }
  // Alike signatures of one port are one family (few signatures share a port: pairwise per port).
  const byPort = new Map<string, string[]>();
  for (const [node, s] of sigs) {
    const k = `${s.key.protocol}/${s.key.port}`;
    byPort.set(k, [...(byPort.get(k) ?? []), node]);
  }
  for (const nodes of byPort.values())
    for (let i = 0; i < nodes.length; i++)
      for (let j = i + 1; j < nodes.length; j++)
        if (similarity(sigs.get(nodes[i]!)!.key, sigs.get(nodes[j]!)!.key) >= FAMILY_SIMILARITY)
          union(nodes[i]!, nodes[j]!);
  const groups = new Map<string, { sigs: Set<string>; ips: Set<string>; days: Set<string> }>();
  for (const node of parent.keys()) {
    const r = find(node);
    let g = groups.get(r);
    if (!g) {
      g = { sigs: new Set(), ips: new Set(), days: new Set() };
      groups.set(r, g);
    }
    if (node.startsWith('ip:')) {
      g.ips.add(node.slice(3));
      for (const d of days.get(node) ?? []) g.days.add(d);
    } else for (const t of sigs.get(node)!.texts) g.sigs.add(t);
  }
  const num = { numeric: true } as const;
  return [...groups.values()]
    .map((g) => ({
      signatures: [...g.sigs].sort((a, b) => a.localeCompare(b, 'en', num)),
      profile: [...g.sigs].sort(
        (a, b) => (hostsOf.get(b)?.size ?? 0) - (hostsOf.get(a)?.size ?? 0) || a.localeCompare(b, 'en', num),
      )[0]!,
      members: [...g.ips].sort((a, b) => a.localeCompare(b, 'en', num)),
      days: [...g.days].sort(),
    }))
    .sort(
      (a, b) =>
        b.members.length - a.members.length || a.signatures[0]!.localeCompare(b.signatures[0]!, 'en', num),
    )
    .map((g, i) => ({
      id: i + 1,
      signatures: g.signatures,
      profile: g.profile,
      members: g.members,
      size: g.members.length,
      days: g.days,
    }));
}
