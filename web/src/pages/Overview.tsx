/** @module The overview: ingest rate, exporters, the alerts of the global time range by type, its latest alerts. */

import type { Overview as OverviewData } from '../api';
import { BarChart } from '../components/Chart';
import { DataTable, Status } from '../components/Table';
import { int, when } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { useRange } from '../range';
import { navigate, reportHref } from '../router';
import { reportColumns } from './Alerts';

function Card(props: { label: string; value: string; testId: string }) {
  return (
    <div className="card" data-testid={props.testId}>
      <div className="card-value">{props.value}</div>
      <div className="card-label">{props.label}</div>
    </div>
  );
}

export function Overview() {
  const { t, type, lang } = useI18n();
  const range = useRange();
  const o = useApi<OverviewData>('/overview', range.api, 10_000);
  const d = o.data;
  return (
    <section>
      <h1>{t.nav.overview}</h1>
      <Status loading={o.loading && !d} error={o.error} />
      {d && (
        <>
          <div className="cards">
            <Card
              testId="card-fps"
              label={t.overview.flowsPerSecond}
              value={d.ingest.flowsPerSecond.toLocaleString('en-US')}
            />
            <Card testId="card-exporters" label={t.overview.exporters} value={int(d.ingest.exporters)} />
            <Card testId="card-alerts" label={t.overview.alerts24h} value={int(d.inRange.reports)} />
            <Card testId="card-events" label={t.overview.events24h} value={int(d.inRange.events)} />
            <Card testId="card-suspects" label={t.overview.suspects} value={int(d.totals.suspects)} />
          </div>
          {d.totals.lastReport !== null && (
            <p className="muted">
              {t.overview.lastReport}: {when(d.totals.lastReport)} UTC
            </p>
          )}
          <div className="grid2">
            <div className="panel">
              <h2>{t.overview.topTypes}</h2>
              {d.inRange.topTypes.length ? (
                <BarChart
                  testId="chart-top-types"
                  horizontal
                  labels={d.inRange.topTypes.map((x) => type(x.type))}
                  series={[
                    {
                      label: t.trends.events,
                      values: d.inRange.topTypes.map((x) => x.events),
                      color: '#30638e',
                    },
                  ]}
                  height={Math.max(140, 36 * d.inRange.topTypes.length)}
                />
              ) : (
                <p className="muted">{t.none}</p>
              )}
            </div>
            <div className="panel">
              <h2>{t.overview.latest}</h2>
              <DataTable
                testId="latest-alerts"
                columns={[
                  ...reportColumns(t, type, lang).slice(0, 4),
                  { title: t.col.duration, render: (r) => t.alert.span(r.duration.minutes), numeric: true },
                ]}
                rows={d.latest}
                rowKey={(r) => r.id}
                onRow={(r) => navigate(reportHref(r.id))}
              />
            </div>
          </div>
        </>
      )}
    </section>
  );
}
