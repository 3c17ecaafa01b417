/**
 * @module Hunt findings in the paper's table form: per signature and day,
 * source IP, distinct destinations, flows, source ports. First the groups
 * (one row per day and signature), then a group's hosts — sorted and paged
 * on the server, so 100,000 findings cost the browser one page.
 */

import { useState } from 'react';
import { download, type Finding, type FindingGroup, type Paged } from '../api';
import { Back, FilteredBy, IpLink, SigLink } from '../components/Links';
import { DataTable, Pager, Status } from '../components/Table';
import { int, readableSignature, when } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { rangeDays, useRange } from '../range';
import { href, navigate, useLocation } from '../router';

const PAGE = 50;

const pctOrDash = (x: number | undefined) => (x === undefined ? '—' : `${Math.round(x * 100)}%`);
const FILTERS = ['signature', 'day', 'ip', 'org'] as const;

export function Findings() {
  const { t, lang } = useI18n();
  const { query } = useLocation();
  const f = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Record<
    (typeof FILTERS)[number],
    string
  >;
  const hostsView = query.get('view') === 'all' || f.signature !== '' || f.day !== '' || f.ip !== '';
  const sort = query.get('sort') ?? (hostsView ? 'destinations' : undefined);
  const order = (query.get('order') as 'asc' | 'desc' | null) ?? 'desc';
  const offset = Number(query.get('offset') ?? 0);
  const [ipDraft, setIpDraft] = useState(f.ip);
  const go = (q: Record<string, string | number | undefined>) =>
    navigate(href(['findings'], { ...f, view: query.get('view') ?? undefined, sort, order, ...q }));
  // The days the global range touches (findings are per day), unless one day is asked for.
  const range = useRange();
  const days = f.day ? {} : rangeDays(range);
  const groups = useApi<Paged<FindingGroup>>(hostsView ? null : '/findings/groups', {
    ...f,
    ...days,
    offset,
    limit: 100,
  });
  const rows = useApi<Paged<Finding>>(hostsView ? '/findings' : null, {
    ...f,
    ...days,
    sort,
    order,
    offset,
    limit: PAGE,
  });
  const exportQ = { ...f, ...days };
  const [sigText = '', sigProto] = f.signature.split('/');
  return (
    <section>
      {f.signature && (
        <Back
          to={href(['signatures', sigText], { protocol: sigProto })}
          label={`${t.col.signature} ${f.signature}`}
        />
      )}
      <h1>
        {t.nav.findings}
        {f.signature && f.day ? ` — ${t.findings.table(readableSignature(f.signature), f.day)}` : ''}
      </h1>
      <FilteredBy
        label={t.filter.by}
        filters={FILTERS.filter((k) => f[k] !== '').map((k) => [t.filter.names[k], f[k]])}
        clear={href(['findings'])}
        clearLabel={t.filter.clear}
      />
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ ip: ipDraft, offset: 0 });
        }}
      >
        <label>
          {t.filter.ip}
          <input
            name="ip"
            value={ipDraft}
            onChange={(e) => setIpDraft(e.target.value)}
            placeholder="140.112.0.0/16"
          />
        </label>
        <button type="submit">{t.filter.apply}</button>
        <a className="button secondary" href={href(['findings'])}>
          {t.findings.groups}
        </a>
        <a className="button secondary" href={href(['findings'], { view: 'all' })}>
          {t.findings.all}
        </a>
        <span className="spacer" />
        {(['csv', 'json', 'blocklist'] as const).map((fmt) => (
          <button
            key={fmt}
            type="button"
            className="secondary"
            onClick={() => void download('/exports/findings', { ...exportQ, format: fmt })}
          >
            {t.findings.export} {fmt.toUpperCase()}
          </button>
        ))}
        <button
          type="button"
          className="secondary"
          onClick={() => void download('/exports/suspects', { ...exportQ, format: 'stix' })}
        >
          STIX 2.1
        </button>
      </form>
      {!hostsView && (
        <>
          <Status loading={groups.loading && !groups.data} error={groups.error} />
          {groups.data && (
            <>
              <h2>{t.findings.groups}</h2>
              <DataTable
                testId="finding-groups"
                columns={[
                  { title: t.col.day, render: (g: FindingGroup) => g.day },
                  {
                    title: t.col.signature,
                    render: (g) => <SigLink signature={g.signature} protocol={g.protocol} />,
                  },
                  { title: t.col.hosts, render: (g) => int(g.hosts, lang), numeric: true },
                  { title: t.col.flows, render: (g) => int(g.flows, lang), numeric: true },
                  { title: t.col.destinations, render: (g) => int(g.maxDestinations, lang), numeric: true },
                  { title: t.col.largeScale, render: (g) => g.largeScale || '', numeric: true },
                ]}
                rows={groups.data.items}
                rowKey={(g) => `${g.day}|${g.protocol}|${g.signature}`}
                onRow={(g) =>
                  navigate(
                    href(['findings'], {
                      signature: `${g.signature}${g.protocol === 17 ? '/udp' : ''}`,
                      day: g.day,
                    }),
                  )
                }
              />
              <Pager
                total={groups.data.total}
                offset={offset}
                limit={100}
                onPage={(o) => go({ offset: o })}
              />
            </>
          )}
        </>
      )}
      {hostsView && (
        <>
          <Status loading={rows.loading && !rows.data} error={rows.error} />
          {rows.data && (
            <>
              <DataTable
                testId="findings-table"
                columns={[
                  ...(f.day ? [] : [{ title: t.col.day, render: (x: Finding) => x.day, sort: 'day' }]),
                  ...(f.signature
                    ? []
                    : [
                        {
                          title: t.col.signature,
                          render: (x: Finding) => <SigLink signature={x.signature} protocol={x.protocol} />,
                          sort: 'signature',
                        },
                      ]),
                  { title: t.col.sourceIp, render: (x: Finding) => <IpLink ip={x.ip} />, sort: 'ip' },
                  {
                    title: t.col.destinations,
                    render: (x) => int(x.destinations, lang),
                    sort: 'destinations',
                    numeric: true,
                  },
                  { title: t.col.flows, render: (x) => int(x.flows, lang), sort: 'flows', numeric: true },
                  {
                    title: t.col.sourcePorts,
                    render: (x) => int(x.sourcePorts, lang),
                    sort: 'sourcePorts',
                    numeric: true,
                  },
                  // A profile's hosts: how much of their port traffic is on its exchanges, and how alike their mix is.
                  ...(rows.data.items.some((x) => x.coverage !== undefined)
                    ? [
                        {
                          title: t.col.coverage,
                          render: (x: Finding) => pctOrDash(x.coverage),
                          numeric: true,
                        },
                        {
                          title: t.col.similarity,
                          render: (x: Finding) => pctOrDash(x.similarity),
                          numeric: true,
                        },
                      ]
                    : []),
                  { title: t.col.org, render: (x) => x.org ?? '—' },
                  { title: t.col.lastSeen, render: (x) => when(x.lastSeen), sort: 'lastSeen' },
                  { title: t.col.largeScale, render: (x) => (x.largeScale ? '★' : '') },
                ]}
                rows={rows.data.items}
                rowKey={(x) => `${x.day}|${x.protocol}|${x.signature}|${x.ip}`}
                sort={{ sort, order }}
                onSort={(s) => go({ ...s, offset: 0 })}
              />
              <Pager total={rows.data.total} offset={offset} limit={PAGE} onPage={(o) => go({ offset: o })} />
            </>
          )}
        </>
      )}
    </section>
  );
}
