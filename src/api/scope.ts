/**
 * @module Organisation scoping: what a principal may see.
 *
 * An address belongs to the organisation with the longest directory prefix
 * containing it (the same rule that addresses alerts), so every address has
 * at most one owner, and a scoped principal sees an address exactly when its
 * owner is one of the principal's organisations. Everything the API returns
 * about an address (a report's subject, a finding's source, a signature's
 * attacker, a family member, a search hit, a count) passes through
 * {@link Scope.sees} first.
 */

import type { Directory } from '../enrich/directory.js';
import type { Principal } from './auth.js';

/** What scoping needs from the organisation directory. */
export interface OrgDirectory {
  /** The owner of `ip` (longest matching prefix), if any. */
  orgOf(ip: string): string | undefined;
  /** The prefixes of an organisation; undefined when there is no such organisation. */
  cidrsOf(org: string): readonly string[] | undefined;
  names(): string[];
}

export function orgDirectory(d: Directory | undefined): OrgDirectory {
  const byName = new Map((d?.organisations ?? []).map((o) => [o.name, o]));
  return {
    orgOf: (ip) => d?.lookup(ip)?.name,
    cidrsOf: (org) => byName.get(org)?.cidrs,
    names: () => [...byName.keys()].sort((a, b) => a.localeCompare(b)),
  };
}

export class Scope {
  private readonly orgs: ReadonlySet<string> | null;

  constructor(
    readonly principal: Principal,
    readonly directory: OrgDirectory,
  ) {
    this.orgs = principal.admin ? null : new Set(principal.organisations);
  }

  get admin(): boolean {
    return this.orgs === null;
  }

  /** Whether the principal may see something whose address is owned by `org`. */
  seesOrg(org: string | undefined): boolean {
    return this.orgs === null || (org !== undefined && this.orgs.has(org));
  }

  sees(ip: string): boolean {
    return this.orgs === null || this.seesOrg(this.directory.orgOf(ip));
  }

  /** The organisations listed for this principal: all of them for an admin. */
  organisations(): string[] {
    return this.orgs === null ? this.directory.names() : [...this.orgs].sort((a, b) => a.localeCompare(b));
  }
}

/** Checks that every scoped token names organisations the directory knows. */
export function checkTokenOrganisations(principals: readonly Principal[], dir: OrgDirectory): void {
  const known = new Set(dir.names());
  for (const p of principals) {
    for (const o of p.organisations) {
      if (known.size === 0)
        throw new Error(
          `api.tokens: "${p.name}" is scoped to organisation "${o}" but no organisation directory is configured (enrich.directory)`,
        );
      if (!known.has(o))
        throw new Error(
          `api.tokens: "${p.name}" names organisation "${o}", which the directory does not list`,
        );
    }
  }
}
