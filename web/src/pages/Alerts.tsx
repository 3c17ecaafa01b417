/**
 * @module The alert list: episodes (one row per host, role and anomaly, with
 * its windows) or every report; filters by type, port, country, address or
 * network and organisation over the global time range; sorted and paged on
 * the server, refreshed every 15 seconds. Its CSV export is what it lists:
 * episodes (or every report).
 */

import { useState } from 'react';
import { download, type Episode, type Me, type Paged, type ReportRow } from '../api';
import { FilteredBy, IpLink } from '../components/Links';
import { type Column, DataTable, Pager, Status } from '../components/Table';
import { StateBadge } from '../components/Workflow';
import { dec, int, when } from '../format';
import { useApi } from '../hooks';
import { useI18n, type Words } from '../i18n';
import { useRange } from '../range';
import { href, navigate, reportHref, useLocation } from '../router';

export function reportColumns(t: Words, type: (x: string) => string, lang: string): Column<ReportRow>[] {
  return [
    { title: t.col.time, render: (r) => when(r.windowStart), sort: 'time' },
    { title: t.col.ip, render: (r) => <IpLink ip={r.ip} /> },
    {
      title: t.col.type,
      render: (r) => (
        <span className={`badge t-${r.type}`}>
          {type(r.type)} · {t.role[r.role]}
        </span>
      ),
    },
    { title: t.col.org, render: (r) => r.org ?? '—' },
    { title: t.col.score, render: (r) => dec(r.score), sort: 'score', numeric: true },
    { title: t.col.flows, render: (r) => int(r.metrics.flows, lang), sort: 'flows', numeric: true },
    { title: t.col.peers, render: (r) => int(r.metrics.peers, lang), sort: 'peers', numeric: true },
    {
      title: t.col.duration,
      render: (r) => t.alert.span(r.duration.minutes),
      sort: 'duration',
      numeric: true,
    },
    { title: t.flow.state, render: (r) => <StateBadge state={r} /> },
  ];
}

function episodeColumns(t: Words, type: (x: string) => string): Column<Episode>[] {
  return [
    { title: t.flow.lastWindow, render: (e) => when(e.lastWindow) },
    { title: t.col.ip, render: (e) => <IpLink ip={e.ip} /> },
    {
      title: t.col.type,
      render: (e) => (
        <span className={`badge t-${e.type}`}>
          {type(e.type)} · {t.role[e.role]}
        </span>
      ),
    },
    { title: t.col.org, render: (e) => e.org ?? '—' },
    { title: t.flow.country, render: (e) => e.country ?? '—' },
    {
      title: t.flow.windows,
      render: (e) => (
        <span title={e.windows.map((w) => when(w)).join('\n')}>
          {e.windows.length} · {t.alert.since} {when(e.firstWindow).slice(5)}
        </span>
      ),
      numeric: true,
    },
    { title: t.col.score, render: (e) => dec(e.maxScore), numeric: true },
    {
      title: t.flow.state,
      render: (e) => (
        <>
          <StateBadge state={e.state} />
          {e.suppressed > 0 && !e.state.suppressed ? ` ${t.flow.suppressedCount(e.suppressed)}` : ''}
        </>
      ),
    },
  ];
}

const PAGE = 50;
const REFRESH_MS = 15_000;
const FILTERS = ['type', 'port', 'country', 'ip', 'org'] as const;

export function Alerts({ me, types }: { me: Me; types: string[] }) {
  const { t, type, lang } = useI18n();
  const { query } = useLocation();
  const filters = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Record<
    (typeof FILTERS)[number],
    string
  >;
  const [draft, setDraft] = useState(filters);
  const view = query.get('view') === 'reports' ? 'reports' : 'episodes';
  const sort = query.get('sort') ?? 'time';
  const order = (query.get('order') as 'asc' | 'desc' | null) ?? 'desc';
  const offset = Number(query.get('offset') ?? 0);
  const range = useRange();
  const r = useApi<Paged<ReportRow>>(
    view === 'reports' ? '/reports' : null,
    { ...filters, ...range.api, sort, order, offset, limit: PAGE },
    REFRESH_MS,
  );
  const eps = useApi<Paged<Episode>>(
    view === 'episodes' ? '/episodes' : null,
    { ...filters, ...range.api, offset, limit: PAGE },
    REFRESH_MS,
  );
  const go = (q: Record<string, string | number | undefined>) =>
    navigate(
      href(['alerts'], { ...filters, view: view === 'reports' ? 'reports' : undefined, sort, order, ...q }),
    );
  const text = (k: 'port' | 'country' | 'ip', placeholder: string) => (
    <label>
      {
        {
          port: t.filter.port,
          country: t.filter.country,
          ip: t.filter.ip,
        }[k]
      }
      <input
        name={k}
        value={draft[k]}
        onChange={(e) => setDraft({ ...draft, [k]: e.target.value })}
        placeholder={placeholder}
        size={k === 'port' || k === 'country' ? 6 : undefined}
      />
    </label>
  );
  return (
    <section>
      <h1>{t.nav.alerts}</h1>
      <p className="tabs">
        <a className={view === 'episodes' ? 'active' : ''} href={href(['alerts'], { ...filters })}>
          {t.flow.episodes}
        </a>
        <a
          className={view === 'reports' ? 'active' : ''}
          href={href(['alerts'], { ...filters, view: 'reports' })}
          data-testid="view-reports"
        >
          {t.flow.allReports}
        </a>
        <a href={href(['suppressions'])}>{t.flow.rules}</a>
        <span className="muted">{t.flow.autoRefresh(REFRESH_MS / 1000)}</span>
      </p>
      <FilteredBy
        label={t.filter.by}
        filters={FILTERS.filter((k) => filters[k] !== '').map((k) => [
          t.filter.names[k] ?? k,
          k === 'type' ? type(filters[k]) : filters[k],
        ])}
        clear={href(['alerts'], { view: view === 'reports' ? 'reports' : undefined })}
        clearLabel={t.filter.clear}
      />
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ ...draft, offset: 0 });
        }}
      >
        <label>
          {t.filter.type}
          <select
            value={draft.type}
            onChange={(e) => setDraft({ ...draft, type: e.target.value })}
            name="type"
          >
            <option value="">{t.filter.all}</option>
            {types.map((x) => (
              <option key={x} value={x}>
                {type(x)}
              </option>
            ))}
          </select>
        </label>
        {text('port', '22')}
        {text('country', 'TW')}
        {text('ip', '140.112.0.0/16')}
        <label>
          {t.filter.org}
          <select value={draft.org} onChange={(e) => setDraft({ ...draft, org: e.target.value })} name="org">
            <option value="">{t.filter.all}</option>
            {me.organisations.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t.filter.apply}</button>
        <button
          type="button"
          className="secondary"
          onClick={() =>
            void download(view === 'reports' ? '/exports/reports' : '/exports/episodes', {
              ...filters,
              ...range.api,
              format: 'csv',
            })
          }
        >
          {t.findings.export} CSV
        </button>
      </form>
      {view === 'episodes' && <Status loading={eps.loading && !eps.data} error={eps.error} />}
      {view === 'episodes' && eps.data && (
        <>
          <DataTable
            testId="episodes-table"
            columns={episodeColumns(t, type)}
            rows={eps.data.items}
            rowKey={(x) => x.key}
            onRow={(x) => navigate(reportHref(x.latest))}
          />
          <Pager total={eps.data.total} offset={offset} limit={PAGE} onPage={(o) => go({ offset: o })} />
        </>
      )}
      {view === 'reports' && <Status loading={r.loading && !r.data} error={r.error} />}
      {view === 'reports' && r.data && (
        <>
          <DataTable
            testId="alerts-table"
            columns={reportColumns(t, type, lang)}
            rows={r.data.items}
            rowKey={(x) => x.id}
            sort={{ sort, order }}
            onSort={(s) => go({ ...s, offset: 0 })}
            onRow={(x) => navigate(reportHref(x.id))}
          />
          <Pager total={r.data.total} offset={offset} limit={PAGE} onPage={(o) => go({ offset: o })} />
        </>
      )}
    </section>
  );
}
