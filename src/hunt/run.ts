/**
 * @module Learn, then hunt: the signatures learned from a set of reports,
 * hunted over a range of days, with the reports' large-scale sources marked
 * in the findings. The daily hunter, `flowhunt hunt`, the demo's backfill
 * and the test fixtures all run this one sequence.
 */

import type { Report } from '../detect/report.js';
import type { FlowStore } from '../store/types.js';
import { learnSignatures, type Signature } from './catalog.js';
import { DEFAULT_HUNT, type Finding, type HuntOptions, huntRange } from './hunt.js';
import type { SignatureKey } from './signature.js';

export interface LearnAndHuntOptions {
  /** Share of an attacker's flows a signature must cover (the config's `hunt.minShare`). */
  minShare?: number;
  hunt?: HuntOptions;
  /** Hunt these instead of the learned ones (`flowhunt hunt --signature`). */
  signatures?: readonly SignatureKey[];
  onDay?: (day: string, findings: Finding[]) => void;
}

export interface LearnAndHunt {
  /** The catalog learned from the reports (also when `signatures` was given). */
  catalog: Signature[];
  /** What was hunted: `signatures` when given, else the catalog. */
  hunted: readonly SignatureKey[];
  findings: Finding[];
}

/** The addresses reported as large-scale sources: the hunt marks them in its findings. */
export function largeScaleSources(reports: readonly Report[]): Set<string> {
  return new Set(reports.filter((r) => r.role === 'source').map((r) => r.ip));
}

/** Learns the catalog from `reports` and hunts the stored days of [from, to) with it, storing the findings. */
export async function learnAndHunt(
  store: FlowStore,
  reports: readonly Report[],
  from: number,
  to: number,
  o: LearnAndHuntOptions = {},
): Promise<LearnAndHunt> {
  const catalog = learnSignatures(reports, { minShare: o.minShare ?? 0.5 });
  const hunted = o.signatures ?? catalog;
  const findings = hunted.length
    ? await huntRange(store, from, to, hunted, o.hunt ?? DEFAULT_HUNT, largeScaleSources(reports), o.onDay)
    : [];
  return { catalog, hunted, findings };
}
