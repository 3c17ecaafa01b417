/**
 * @module Everything known about one address: organisation, location and AS
 * (what the enricher has configured), its timeline over the global range
 * (flows out and in and peers per bucket, its anomalous windows marked), top
 * peers and ports, alerts, signatures, hunt findings.
 */

import type { Finding, ReportRow } from '../api';
import { BarChart } from '../components/Chart';
import { Back, IpLink, ReportLink, SigLink } from '../components/Links';
import { DataTable, Status } from '../components/Table';
import { int, readableSignature, when } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { useRange } from '../range';
import { href, navigate, reportHref } from '../router';
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
  family: { id: number; signatures: string[]; size: number } | null;
  flows: { asSource: Totals; asDestination: Totals };
}

interface StatRow {
  key: string;
  flows: number;
  packets: number;
  bytes: number;
  peers: number;
}

interface Timeline {
  bucketMs: number;
  points: {
    t: number;
    flowsOut: number;
    flowsIn: number;
    bytesOut: number;
    bytesIn: number;
    peers: number;
  }[];
  anomalous: { id: string; t: number; type: string; role: 'source' | 'destination'; score: number }[];
  total: Totals;
  topPeers: StatRow[];
  topPorts: StatRow[];
}

function label(t: number, bucketMs: number): string {
  const iso = new Date(t).toISOString();
  return bucketMs >= 86_400_000 ? iso.slice(0, 10) : iso.slice(5, 16).replace('T', ' ');
}

function TimelinePanel({ ip }: { ip: string }) {
  const { t, type, lang } = useI18n();
  const range = useRange();
  const r = useApi<Timeline>(`/ip/${encodeURIComponent(ip)}/timeline`, range.api);
  if (!r.data) return <Status loading={r.loading} error={r.error} />;
  const d = r.data;
  // A bucket holding an anomalous window is marked with a bar as tall as its flows.
  const marked = new Set(d.anomalous.map((a) => a.t - (a.t % d.bucketMs)));
  const labels = d.points.map((p) => label(p.t, d.bucketMs));
  const statColumns = (key: string, link: boolean) => [
    { title: key, render: (x: StatRow) => (link ? <IpLink ip={x.key} /> : x.key) },
    { title: t.col.flows, render: (x: StatRow) => int(x.flows, lang), numeric: true },
    { title: t.explorer.bytes, render: (x: StatRow) => int(x.bytes, lang), numeric: true },
  ];
  return (
    <>
      <div className="panel" data-testid="ip-timeline">
        <h2>{t.ip.timeline}</h2>
        <BarChart
          testId="chart-ip-flows"
          height={220}
          labels={labels}
          series={[
            { label: t.ip.flowsOut, values: d.points.map((p) => p.flowsOut), color: '#30638e' },
            { label: t.ip.flowsIn, values: d.points.map((p) => p.flowsIn), color: '#66a182' },
            {
              label: t.ip.anomalous,
              values: d.points.map((p) => (marked.has(p.t) ? p.flowsOut + p.flowsIn : 0)),
              color: '#d1495b',
            },
          ]}
        />
        <BarChart
          testId="chart-ip-peers"
          height={140}
          labels={labels}
          series={[{ label: t.ip.peers, values: d.points.map((p) => p.peers), color: '#edae49' }]}
        />
      </div>
      <div className="grid2">
        <div className="panel">
          <h2>{t.ip.topPeers}</h2>
          <DataTable
            testId="ip-top-peers"
            columns={statColumns(t.col.ip, true)}
            rows={d.topPeers}
            rowKey={(x) => x.key}
          />
        </div>
        <div className="panel">
          <h2>{t.ip.topPorts}</h2>
          <DataTable
            testId="ip-top-ports"
            columns={statColumns(t.explorer.dport, false)}
            rows={d.topPorts}
            rowKey={(x) => x.key}
          />
        </div>
      </div>
      <div className="panel">
        <h2>
          {t.ip.anomalous} ({d.anomalous.length})
        </h2>
        <DataTable
          testId="ip-anomalous"
          columns={[
            {
              title: t.col.time,
              render: (a: Timeline['anomalous'][number]) => <ReportLink id={a.id}>{when(a.t)}</ReportLink>,
            },
            { title: t.col.type, render: (a) => `${type(a.type)} · ${t.role[a.role]}` },
            { title: t.col.score, render: (a) => a.score.toFixed(2), numeric: true },
          ]}
          rows={d.anomalous}
          rowKey={(a) => a.id}
        />
      </div>
    </>
  );
}

export function IpPage({ ip }: { ip: string }) {
  const { t, type, lang } = useI18n();
  const range = useRange();
  const r = useApi<IpData>(`/ip/${encodeURIComponent(ip)}`, range.api);
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
      <Back to={href(['alerts'], { ip: d.ip })} label={`${t.nav.alerts} · ${d.ip}`} />
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
          {t.ip.suspect}: {t.ip.seenDays(d.suspect.daysSeen)} ·{' '}
          {d.suspect.signatures.map(readableSignature).join(', ')}
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
      <p>
        <a href={href(['flows'], { filter: `host ${d.ip}` })} data-testid="ip-explore">
          {t.ip.explore}
        </a>
      </p>
      <TimelinePanel ip={d.ip} />
      {d.family && (
        <p data-testid="ip-family">
          <a href={href(['families'], { ip: d.ip })}>
            {t.families.family(d.family.id)} · {d.family.size} {t.col.members}
          </a>{' '}
          <span className="muted">({d.family.signatures.join(', ')})</span>
        </p>
      )}
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
