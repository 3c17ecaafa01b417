/** @module Links used on every page: to an IP, a report, a signature. */

import type { ReactNode } from 'react';

import { href, reportHref } from '../router';

export function IpLink({ ip }: { ip: string }) {
  return (
    <a href={href(['ip', ip])} className="mono" onClick={(e) => e.stopPropagation()}>
      {ip}
    </a>
  );
}

export function SigLink({ signature, protocol }: { signature: string; protocol: number }) {
  const p = protocol === 17 ? 'udp' : protocol === 1 ? 'icmp' : undefined;
  return (
    <a
      href={href(['signatures', signature], { protocol: p })}
      className="mono"
      onClick={(e) => e.stopPropagation()}
    >
      {signature}
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
