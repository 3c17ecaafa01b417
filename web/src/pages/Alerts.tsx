/** @module The alert list: filters by type, address or network, organisation and time; sorted and paged on the server. */

import { useState } from 'react';
import { download, type Me, type Paged, type ReportRow } from '../api';
import { IpLink } from '../components/Links';
import { type Column, DataTable, Pager, Status } from '../components/Table';
import { dec, int, when } from '../format';
import { useApi } from '../hooks';
import { useI18n, type Words } from '../i18n';
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
  ];
}

const PAGE = 50;

export function Alerts({ me, types }: { me: Me; types: string[] }) {
  const { t, type, lang } = useI18n();
  const { query } = useLocation();
  const filters = {
    type: query.get('type') ?? '',
    ip: query.get('ip') ?? '',
    org: query.get('org') ?? '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
  };
  const [draft, setDraft] = useState(filters);
  const sort = query.get('sort') ?? 'time';
  const order = (query.get('order') as 'asc' | 'desc' | null) ?? 'desc';
  const offset = Number(query.get('offset') ?? 0);
  const r = useApi<Paged<ReportRow>>('/reports', { ...filters, sort, order, offset, limit: PAGE });
  const go = (q: Record<string, string | number | undefined>) =>
    navigate(href(['alerts'], { ...filters, sort, order, ...q }));
  return (
    <section>
      <h1>{t.nav.alerts}</h1>
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
        <label>
          {t.filter.ip}
          <input
            name="ip"
            value={draft.ip}
            onChange={(e) => setDraft({ ...draft, ip: e.target.value })}
            placeholder="140.112.0.0/16"
          />
        </label>
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
        <label>
          {t.filter.from}
          <input
            name="from"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
            placeholder="2026-11-01"
          />
        </label>
        <label>
          {t.filter.to}
          <input
            name="to"
            value={draft.to}
            onChange={(e) => setDraft({ ...draft, to: e.target.value })}
            placeholder="2026-12-01"
          />
        </label>
        <button type="submit">{t.filter.apply}</button>
        <button
          type="button"
          className="secondary"
          onClick={() => void download('/exports/reports', { ...filters, format: 'csv' })}
        >
          {t.findings.export} CSV
        </button>
      </form>
      <Status loading={r.loading && !r.data} error={r.error} />
      {r.data && (
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
