/** @module Everything known about one address: organisation, location, alerts, signatures, hunt findings, flows. */

import type { Finding, ReportRow } from '../api';
import { SigLink } from '../components/Links';
import { DataTable, Status } from '../components/Table';
import { int } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { navigate, reportHref } from '../router';
import { reportColumns } from './Alerts';

interface Totals {
  flows: number;
  packets: number;
  bytes: number;
}

interface IpData {
  ip: string;
  org: string | null;
  enrichment: { country?: string; city?: string; asn?: number; asOrg?: string; contacts?: string[] };
  reports: { total: number; types: string[]; latest: ReportRow[] };
  signatures: { signature: string; protocol: number; strength: number }[];
  findings: { total: number; items: Finding[] };
  suspect: { daysSeen: number; signatures: string[]; largeScale: boolean } | null;
  flows: { asSource: Totals; asDestination: Totals };
}

export function IpPage({ ip }: { ip: string }) {
  const { t, type, lang } = useI18n();
  const r = useApi<IpData>(`/ip/${encodeURIComponent(ip)}`);
  if (r.error?.status === 403) return <p className="error">{t.ip.outside}</p>;
  if (!r.data) return <Status loading={r.loading} error={r.error} />;
  const d = r.data;
  const e = d.enrichment;
  const where = [
    e.city,
    e.country,
    e.asn !== undefined ? `AS${e.asn}${e.asOrg ? ` ${e.asOrg}` : ''}` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <section data-testid="ip-page">
      <h1>
        {t.ip.title} <span className="mono">{d.ip}</span>
      </h1>
      <p>
        {t.col.org}: <strong data-testid="ip-org">{d.org ?? '—'}</strong>
        {where && (
          <>
            {' '}
            · {t.ip.location}: {where}
          </>
        )}
      </p>
      {d.suspect && (
        <p className="badge suspect" data-testid="ip-suspect">
          {t.ip.suspect}: {t.ip.seenDays(d.suspect.daysSeen)} · {d.suspect.signatures.join(', ')}
          {d.suspect.largeScale ? ` · ${t.col.largeScale}` : ''}
        </p>
      )}
      <div className="cards">
        <div className="card">
          <div className="card-value">{int(d.flows.asSource.flows, lang)}</div>
          <div className="card-label">
            {t.ip.flows24h} {t.ip.asSource}
          </div>
        </div>
        <div className="card">
          <div className="card-value">{int(d.flows.asDestination.flows, lang)}</div>
          <div className="card-label">
            {t.ip.flows24h} {t.ip.asDestination}
          </div>
        </div>
        <div className="card">
          <div className="card-value">{d.reports.total}</div>
          <div className="card-label">{t.ip.reports}</div>
        </div>
        <div className="card">
          <div className="card-value">{d.findings.total}</div>
          <div className="card-label">{t.ip.findings}</div>
        </div>
      </div>
      {d.signatures.length > 0 && (
        <div className="panel">
          <h2>{t.ip.signatures}</h2>
          {d.signatures.map((s) => (
            <span key={`${s.protocol}/${s.signature}`}>
              <SigLink signature={s.signature} protocol={s.protocol} />{' '}
            </span>
          ))}
        </div>
      )}
      <div className="panel">
        <h2>{t.ip.findings}</h2>
        <DataTable
          testId="ip-findings"
          columns={[
            { title: t.col.day, render: (f: Finding) => f.day },
            {
              title: t.col.signature,
              render: (f) => <SigLink signature={f.signature} protocol={f.protocol} />,
            },
            { title: t.col.destinations, render: (f) => f.destinations, numeric: true },
            { title: t.col.flows, render: (f) => f.flows, numeric: true },
            { title: t.col.sourcePorts, render: (f) => f.sourcePorts, numeric: true },
          ]}
          rows={d.findings.items}
          rowKey={(f) => `${f.day}|${f.protocol}|${f.signature}`}
        />
      </div>
      <div className="panel">
        <h2>{t.ip.reports}</h2>
        <DataTable
          testId="ip-reports"
          columns={reportColumns(t, type, lang)}
          rows={d.reports.latest}
          rowKey={(x) => x.id}
          onRow={(x) => navigate(reportHref(x.id))}
        />
      </div>
    </section>
  );
}
