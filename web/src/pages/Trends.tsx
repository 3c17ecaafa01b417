/** @module Anomaly events by type per month (or day) as a stacked bar chart, like the paper's Figure 1. */

import type { Counts } from '../api';
import { BarChart, PALETTE } from '../components/Chart';
import { DataTable, Status } from '../components/Table';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { href, useLocation } from '../router';

export function Trends({ types }: { types: string[] }) {
  const { t, type } = useI18n();
  const { query } = useLocation();
  const by = query.get('by') === 'day' ? 'day' : 'month';
  const r = useApi<Counts>('/counts', { by });
  return (
    <section>
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
