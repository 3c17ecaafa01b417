/**
 * @module How V8 collects garbage in a flowhunt process, set before any
 * work starts (`main.ts` imports this first).
 *
 * Flows live in typed arrays: memory outside V8's heap. By default V8 starts
 * a full collection of every heap each time such memory grows by a fixed
 * step (64 MB), however small the heap itself is; an import allocates that
 * every few hundred thousand flows, so a 2 M-flow import ran some 22 full
 * collections, whose marking threads took a fifth of its CPU.
 * `--external-memory-accounted-in-global-limit` counts that memory in V8's
 * one global limit instead, which grows with what is live: about 6 full
 * collections for the same import, and memory still bounded by what is live
 * (bench/import-big.ts measures the peak of a 2 GB file). The flag exists
 * from V8 13.6 (Node 24); older V8 keeps its default, without a warning.
 */

import { setFlagsFromString } from 'node:v8';

/** The V8 flags set for a V8 version (`process.versions.v8`): none where V8 does not know them. */
export function heapFlags(v8Version: string): string[] {
  const [major = 0, minor = 0] = v8Version.split('.').map(Number);
  return major > 13 || (major === 13 && minor >= 6) ? ['--external-memory-accounted-in-global-limit'] : [];
}

for (const flag of heapFlags(process.versions.v8)) setFlagsFromString(flag);
