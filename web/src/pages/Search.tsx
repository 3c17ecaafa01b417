/** @module Search results: addresses (of an address or network), a signature, or organisations. */

import { IpLink, SigLink } from '../components/Links';
import { DataTable, Status } from '../components/Table';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { href } from '../router';

interface SearchData {
  kind: string;
  ips: { ip: string; org: string | null; reports: number; findings: number }[];
  signatures: { signature: string; protocol: number; strength: number | null; hosts: number }[];
  organisations: string[];
}

export function Search({ q }: { q: string }) {
  const { t } = useI18n();
  const r = useApi<SearchData>('/search', { q });
  if (!r.data) return <Status loading={r.loading} error={r.error} />;
  const d = r.data;
  const empty = d.ips.length + d.signatures.length + d.organisations.length === 0;
  return (
    <section data-testid="search-results">
      <h1>
        {t.search.title}: <span className="mono">{q}</span>
      </h1>
      {empty && <p className="muted">{t.search.nothing}</p>}
      {d.ips.length > 0 && (
        <DataTable
          columns={[
            { title: t.col.ip, render: (x) => <IpLink ip={x.ip} /> },
            { title: t.col.org, render: (x) => x.org ?? '—' },
            { title: t.ip.reports, render: (x) => x.reports, numeric: true },
            { title: t.ip.findings, render: (x) => x.findings, numeric: true },
          ]}
          rows={d.ips}
          rowKey={(x) => x.ip}
        />
      )}
      {d.signatures.map((s) => (
        <p key={s.signature}>
          <SigLink signature={s.signature} protocol={s.protocol} /> · {t.col.strength} {s.strength ?? '—'} ·{' '}
          {s.hosts} {t.col.hosts}
        </p>
      ))}
      {d.organisations.map((o) => (
        <p key={o}>
          <a href={href(['alerts'], { org: o })}>{o}</a> ·{' '}
          <a href={href(['findings'], { view: 'all', org: o })}>{t.nav.findings}</a>
        </p>
      ))}
    </section>
  );
}
