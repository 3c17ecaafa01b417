/**
 * @module What the engines' {@link Dialect.fanOut} and
 * {@link Dialect.fanGroup} renderings share: the checks on a lookup's
 * numbers, which are written into the SQL text (they are the keys of hash
 * tables the engine builds once per query, not values compared row by
 * row), and on a fan-group declaration.
 */

import type { Dialect, FanAggregate, FanGroup, KeyLookup } from './types.js';

/** A lookup's keys and entries as SQL number literals, after checking each is a whole number. */
export function lookupNumbers(
  l: KeyLookup,
  names: readonly string[],
): { key: string[]; entries: string[][] }[] {
  const n = (v: number): string => {
    if (!Number.isSafeInteger(v)) throw new Error(`fanOut: ${v} is not a whole number`);
    return String(v);
  };
  return l.keys.map((k) => {
    if (k.key.length !== l.cols.length) throw new Error('fanOut: a key has the wrong number of values');
    return {
      key: k.key.map(n),
      entries: k.entries.map((e) => {
        if (e.length !== names.length) throw new Error('fanOut: an entry has the wrong number of values');
        return e.map(n);
      }),
    };
  });
}

/** Each branch's value expressions in the order of `spec.names`, after checking the declaration. */
export function branchValues(spec: FanGroup): string[][] {
  const taken = new Set([...spec.columns, ...(spec.marks ?? []).map(([m]) => m)]);
  for (const n of spec.names)
    if (taken.has(n)) throw new Error(`fanGroup: the name ${n} is also a flow column or a mark`);
  for (const g of spec.group)
    if (!spec.names.includes(g)) throw new Error(`fanGroup: the group name ${g} is not a name`);
  const marks = new Set((spec.marks ?? []).map(([m]) => m));
  return spec.branches.map((b) => {
    if (b.when !== undefined && !marks.has(b.when)) throw new Error(`fanGroup: no mark ${b.when}`);
    return spec.names.map((n) => {
      const v = b.values[n];
      if (v === undefined) throw new Error(`fanGroup: a branch gives no value for ${n}`);
      return v;
    });
  });
}

/** One aggregate in the dialect's spelling. */
export function aggregateSql(
  d: Pick<Dialect, 'approxDistinct' | 'countDistinct' | 'windowSum'>,
  a: FanAggregate,
): string {
  if (a.fn !== 'count' && !a.of) throw new Error(`fanGroup: ${a.as} aggregates nothing`);
  switch (a.fn) {
    case 'count':
      return `count(*) AS ${a.as}`;
    case 'sum':
      return `${d.windowSum(a.of!)} AS ${a.as}`;
    case 'approxDistinct':
      return `${d.approxDistinct(a.of!)} AS ${a.as}`;
    case 'countDistinct':
      return `${d.countDistinct([a.of!])} AS ${a.as}`;
  }
}
