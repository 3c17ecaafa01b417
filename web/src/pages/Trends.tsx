/**
 * @module Anomaly events by type per month (or day) as a stacked bar chart,
 * like the paper's Figure 1; and the traffic (flows per window, hour or day),
 * summed in the store's engine — both over the global time range.
 */

import type { Counts } from '../api';
import { BarChart, PALETTE } from '../components/Chart';
import { DataTable, Status } from '../components/Table';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { useRange } from '../range';
import { href, useLocation } from '../router';

export function Trends({ types }: { types: string[] }) {
  const { t, type } = useI18n();
  const { query } = useLocation();
  const by = query.get('by') === 'day' ? 'day' : 'month';
  const range = useRange();
  const r = useApi<Counts>('/counts', { by, ...range.api });
  const traffic = useApi<{ bucketMs: number; points: { t: number; flows: number; bytes: number }[] }>(
    '/traffic',
    range.api,
    60_000,
  );
  return (
    <section>
      <h1>{t.trends.traffic}</h1>
      <Status loading={traffic.loading && !traffic.data} error={traffic.error} />
      {traffic.data && (
        <div className="panel" data-testid="traffic">
          <BarChart
            testId="chart-traffic"
            height={220}
            labels={traffic.data.points.map((p) =>
              new Date(p.t).toISOString().slice(5, 16).replace('T', ' '),
            )}
            series={[
              { label: t.col.flows, values: traffic.data.points.map((p) => p.flows), color: '#30638e' },
            ]}
          />
        </div>
      )}
      <h1>{t.trends.title}</h1>
      <p className="tabs">
        <a className={by === 'month' ? 'active' : ''} href={href(['trends'])}>
          {t.trends.monthly}
        </a>
        <a className={by === 'day' ? 'active' : ''} href={href(['trends'], { by: 'day' })}>
          {t.trends.daily}
        </a>
      </p>
      <Status loading={r.loading && !r.data} error={r.error} />
      {r.data && (
        <>
          <div className="panel">
            <BarChart
              testId="chart-trend"
              stacked
              height={360}
              labels={r.data.periods}
              series={r.data.types.map((x) => ({
                label: type(x),
                values: r.data!.events[x]!,
                color: PALETTE[types.indexOf(x) % PALETTE.length]!,
              }))}
            />
          </div>
          <DataTable
            testId="trend-table"
            columns={[
              {
                title: by === 'month' ? t.trends.monthly : t.trends.daily,
                render: (i: number) => r.data!.periods[i],
              },
              ...r.data.types.map((x) => ({
                title: type(x),
                render: (i: number) => r.data!.events[x]![i],
                numeric: true,
              })),
            ]}
            rows={r.data.periods.map((_, i) => i)}
            rowKey={(i) => String(i)}
          />
        </>
      )}
    </section>
  );
}
