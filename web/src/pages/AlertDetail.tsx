/** @module One alert: what crossed which threshold, how long it has lasted, the profile histograms and the alert text. */

import { useState } from 'react';
import { apiText, type ReportDetail } from '../api';
import { BarChart } from '../components/Chart';
import { ExportButtons } from '../components/Exports';
import { Back, IpLink, SigLink } from '../components/Links';
import { DataTable, Status } from '../components/Table';
import { MarkButtons, StateBadge, SuppressForm } from '../components/Workflow';
import { dec, int, pct, when } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { href, navigate } from '../router';

const DIMS = [
  'protocols',
  'tcpFlags',
  'dstPorts',
  'srcPorts',
  'packetsPerFlow',
  'octetsPerFlow',
  'ppo',
  'ingress',
  'peers',
];
const PROTOCOLS: Record<string, string> = {
  '1': 'ICMP',
  '6': 'TCP',
  '17': 'UDP',
  '47': 'GRE',
  '50': 'ESP',
  '58': 'ICMPv6',
};

function label(dim: string, v: string): string {
  if (dim === 'protocols') return PROTOCOLS[v] ?? v;
  if (dim === 'tcpFlags') {
    const f = Number(v);
    return ['C', 'E', 'U', 'A', 'P', 'R', 'S', 'F'].map((c, i) => (f & (0x80 >> i) ? c : '.')).join('');
  }
  return v;
}

export function AlertDetail({ id }: { id: string[] }) {
  const { t, type, dim, metric, lang } = useI18n();
  const [window, role, ip] = id;
  const path = `/reports/${id.map(encodeURIComponent).join('/')}`;
  const r = useApi<ReportDetail>(path, { lang });
  const [lines, setLines] = useState('');
  if (!r.data) return <Status loading={r.loading} error={r.error} />;
  const rep = r.data.report;
  const d = rep.duration;
  return (
    <section data-testid="alert-detail">
      <Back to={href(['alerts'])} label={t.nav.alerts} />
      <h1>
        {t.alert.title}: {type(rep.type)} <IpLink ip={rep.ip} />{' '}
        <StateBadge state={r.data} testId="alert-state" />
      </h1>
      <p className="muted">
        {t.role[rep.role]} · {rep.org ?? rep.enrichment?.org ?? '—'} · {when(rep.windowStart)}–
        {when(rep.windowEnd).slice(11)} UTC ·{' '}
        <span className="mono">
          {window}/{role}/{ip}
        </span>
      </p>
      <div className="cards">
        <div className="card">
          <div className="card-value">{dec(rep.score)}</div>
          <div className="card-label">{t.col.score}</div>
        </div>
        <div className="card">
          <div className="card-value">{int(rep.metrics.flows, lang)}</div>
          <div className="card-label">{t.col.flows}</div>
        </div>
        <div className="card">
          <div className="card-value">{int(rep.metrics.peers, lang)}</div>
          <div className="card-label">{t.col.peers}</div>
        </div>
        <div className="card" data-testid="alert-duration">
          <div className="card-value">{t.alert.minutes(d.minutes)}</div>
          <div className="card-label">{t.alert.duration}</div>
        </div>
      </div>
      <div className="panel" data-testid="workflow">
        <h2>{t.flow.workflow}</h2>
        {r.data.suppressed && (
          <p data-testid="suppressed-note">
            {t.flow.suppressedBy(r.data.suppressed.by, r.data.suppressed.why)}
          </p>
        )}
        <MarkButtons id={id.join('/')} state={r.data} done={() => r.reload?.()} />
        <h3>{t.flow.suppressTitle}</h3>
        <SuppressForm ip={rep.ip} type={rep.type} done={() => navigate(href(['suppressions']))} />
      </div>
      {r.data.signatures.length > 0 && (
        <div className="panel" data-testid="alert-signatures">
          <h2>{t.alert.signatures}</h2>
          {r.data.signatures.map((x) => (
            <span key={`${x.protocol}/${x.signature}`}>
              <SigLink signature={x.signature} protocol={x.protocol} />{' '}
            </span>
          ))}
        </div>
      )}
      <div className="panel">
        <h2>{t.alert.duration}</h2>
        <p>
          {t.alert.since} {when(d.firstWindow)} UTC ·{' '}
          {t.alert.windows(d.anomalousWindows, d.windowsSinceFirst)} ({pct(d.share)}) · {t.alert.streak}:{' '}
          {d.streak}
        </p>
      </div>
      <div className="panel">
        <h2>{t.alert.exceeded}</h2>
        <DataTable
          columns={[
            { title: t.col.metric, render: (e) => metric(e.metric) },
            { title: t.col.value, render: (e) => dec(e.value), numeric: true },
            {
              title: t.col.threshold,
              render: (e) => `${e.op === '>=' ? '≥' : e.op === '<=' ? '≤' : e.op} ${dec(e.threshold)}`,
              numeric: true,
            },
            {
              title: t.col.basis,
              render: (e) =>
                !e.basis
                  ? t.basis.fixed
                  : e.basis.learned === undefined
                    ? t.basis.minimum(dec(e.basis.minimum), dec(e.basis.n))
                    : t.basis.learned(
                        dec(e.basis.margin),
                        String(Math.round(e.basis.quantile * 1000) / 10),
                        dec(e.basis.learned),
                        dec(e.basis.n),
                        t.basis.from(e.basis.from),
                      ),
            },
          ]}
          rows={rep.exceeded}
          rowKey={(e) => e.metric}
        />
        {r.data.mitigation && (
          <p data-testid="alert-mitigation">
            <strong>{t.alert.mitigation}:</strong> {r.data.mitigation}
          </p>
        )}
      </div>
      {rep.role === 'destination' && (
        <div className="panel" data-testid="victim-actions">
          <h2>
            {t.flow.attackers}{' '}
            <ExportButtons path={`${path}/attackers`} query={{}} testId="attackers-export" />
          </h2>
          <button
            type="button"
            className="secondary"
            onClick={() =>
              void apiText(`${path}/mitigation`)
                .then(setLines)
                .catch((e: Error) => setLines(e.message))
            }
          >
            {t.flow.showMitigation}
          </button>
          {lines && (
            <pre className="alert-text" data-testid="mitigation-lines">
              {lines}
            </pre>
          )}
        </div>
      )}
      <h2>{t.alert.profile}</h2>
      <div className="histograms" data-testid="histograms">
        {DIMS.filter((k) => rep.profile[k]?.top.length).map((k) => {
          const p = rep.profile[k]!;
          return (
            <div className="panel" key={k}>
              <h3>
                {dim(k)} <span className="muted">({t.alert.distinct(p.distinct)})</span>
              </h3>
              <BarChart
                testId={`hist-${k}`}
                horizontal
                percent
                labels={p.top.map((v) => label(k, v.value))}
                series={[{ label: t.col.share, values: p.top.map((v) => v.share), color: '#00798c' }]}
                height={Math.max(110, 24 * p.top.length + 40)}
              />
            </div>
          );
        })}
      </div>
      <div className="panel">
        <h2>{t.alert.text}</h2>
        <pre className="alert-text" data-testid="alert-text">
          {r.data.alert.text}
        </pre>
      </div>
    </section>
  );
}
