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
import { type Cidr, cidrContains, parseCidr } from '../flow/address.js';
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

  /**
   * Whether every address of `net` is one this principal sees: the network
   * lies inside a prefix of one of its organisations and holds no
   * more-specific prefix of another organisation. (What a scoped token may
   * write rules about.)
   */
  ownsNetwork(net: Cidr): boolean {
    if (this.orgs === null) return true;
    const inside = (outer: Cidr, inner: Cidr) =>
      inner.bits >= outer.bits && cidrContains(outer, inner.first) && cidrContains(outer, inner.last);
    let owner: { org: string; bits: number } | undefined;
    for (const org of this.directory.names())
      for (const text of this.directory.cidrsOf(org) ?? []) {
        const c = parseCidr(text);
        if (!c) continue;
        if (inside(c, net) && (!owner || c.bits > owner.bits)) owner = { org, bits: c.bits };
        else if (inside(net, c) && c.bits > net.bits && !this.orgs.has(org)) return false;
      }
    return owner !== undefined && this.orgs.has(owner.org);
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
