/** @module Links used on every page: to an IP, a report, a signature. */

import type { ReactNode } from 'react';

import { readableSignature } from '../format';
import { href, reportHref } from '../router';

export function IpLink({ ip }: { ip: string }) {
  return (
    <a href={href(['ip', ip])} className="mono" onClick={(e) => e.stopPropagation()}>
      {ip}
    </a>
  );
}

/**
 * A link to a signature's page; a profile reads as its exchanges with their
 * shares (`1433: 5-420 60% · 4-320 40%`), its written form in the tooltip.
 * A written form with a protocol suffix (`53-1-70/udp`) sets the protocol.
 */
export function SigLink({ signature, protocol }: { signature: string; protocol: number }) {
  const [text = signature, suffix] = signature.split('/');
  const p = suffix ?? (protocol === 17 ? 'udp' : protocol === 1 ? 'icmp' : undefined);
  return (
    <a
      href={href(['signatures', text], { protocol: p })}
      className="mono"
      title={`${text}${p ? `/${p}` : ''}`}
      onClick={(e) => e.stopPropagation()}
    >
      {readableSignature(text)}
      {p ? `/${p}` : ''}
    </a>
  );
}

export function ReportLink({ id, children }: { id: string; children: ReactNode }) {
  return (
    <a href={reportHref(id)} onClick={(e) => e.stopPropagation()}>
      {children}
    </a>
  );
}

/** The link up the mission path (a host's family to the host, a signature's members to the signature…). */
export function Back({ to, label }: { to: string; label: ReactNode }) {
  return (
    <a className="back" data-testid="back" href={to}>
      ← {label}
    </a>
  );
}

/** What a filtered list is filtered by, each filter a chip, with the way to the unfiltered list. */
export function FilteredBy({
  label,
  filters,
  clear,
  clearLabel,
}: {
  label: string;
  filters: [name: string, value: ReactNode][];
  clear: string;
  clearLabel: string;
}) {
  if (filters.length === 0) return null;
  return (
    <p className="filtered" data-testid="filtered-by">
      {label}{' '}
      {filters.map(([k, v]) => (
        <span className="chip" key={k}>
          {k}: {v}
        </span>
      ))}{' '}
      <a href={clear}>{clearLabel}</a>
    </p>
  );
}
