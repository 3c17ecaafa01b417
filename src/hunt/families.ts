/**
 * @module Botnet families: hosts that share signatures, as connected
 * components of the bipartite IP–signature graph. Bare-probe signatures
 * (strength 0: any scanner of the port sends them) do not link hosts, or
 * every scanner of a popular port would fall into one family.
 */

import type { Finding } from './hunt.js';
import { isBareProbe, parseSignature } from './signature.js';

export interface Family {
  id: number;
  signatures: string[];
  members: string[];
  size: number;
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
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    // The smaller name becomes the root, so the grouping is the same in any order.
    const [lo, hi] = ra < rb ? [ra, rb] : [rb, ra];
    parent.set(hi, lo);
  };
  for (const f of findings) {
    const key = parseSignature(`${f.signature}/${f.protocol}`);
    if (!key || isBareProbe(key)) continue;
    const ipNode = `ip:${f.ip}`;
    const sigNode = `sig:${f.signature}/${f.protocol}`;
    if (!parent.has(ipNode)) parent.set(ipNode, ipNode);
    if (!parent.has(sigNode)) parent.set(sigNode, sigNode);
    union(ipNode, sigNode);
  }
  const groups = new Map<string, { sigs: Set<string>; ips: Set<string> }>();
  for (const node of parent.keys()) {
    const r = find(node);
    let g = groups.get(r);
    if (!g) {
      g = { sigs: new Set(), ips: new Set() };
      groups.set(r, g);
    }
    if (node.startsWith('ip:')) g.ips.add(node.slice(3));
    else g.sigs.add(node.slice(4).split('/')[0]!);
  }
  const num = { numeric: true } as const;
  return [...groups.values()]
    .map((g) => ({
      signatures: [...g.sigs].sort((a, b) => a.localeCompare(b, 'en', num)),
      members: [...g.ips].sort((a, b) => a.localeCompare(b, 'en', num)),
    }))
    .sort(
      (a, b) =>
        b.members.length - a.members.length || a.signatures[0]!.localeCompare(b.signatures[0]!, 'en', num),
    )
    .map((g, i) => ({ id: i + 1, ...g, size: g.members.length }));
}
