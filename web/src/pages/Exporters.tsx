/**
 * @module Exporters: every router or probe that sends flows, per collecting
 * `serve` instance — packets, bytes, records, sequence gaps (exports lost
 * upstream), decode errors, templates, last seen. Admin tokens only: the
 * addresses are the operator's own routers.
 */

import { DataTable, Status } from '../components/Table';
import { int, when } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';

interface ExporterRow {
  instance: string;
  at: number;
  since: number;
  exporter: string;
  packets: number;
  bytes: number;
  lastSeen: number;
  records: number;
  sequenceGaps: number;
  templates: number;
  decodeErrors: number;
  errors: Record<string, number>;
  current: boolean;
  domains: {
    version: string;
    domain: number;
    packets: number;
    records: number;
    lost: number;
    sampling: number[];
    templates: number;
  }[];
}

export function Exporters() {
  const { t, lang } = useI18n();
  const r = useApi<{ items: ExporterRow[] }>('/exporters', {}, 5_000);
  if (!r.data) return <Status loading={r.loading} error={r.error} />;
  return (
    <section data-testid="exporters">
      <h1>{t.exporters.title}</h1>
      <p className="muted">{t.exporters.hint}</p>
      <DataTable
        testId="exporters-table"
        columns={[
          {
            title: t.exporters.exporter,
            render: (x: ExporterRow) => <span className="mono">{x.exporter}</span>,
          },
          { title: t.exporters.packets, render: (x) => int(x.packets, lang), numeric: true },
          { title: t.exporters.bytes, render: (x) => int(x.bytes, lang), numeric: true },
          { title: t.exporters.records, render: (x) => int(x.records, lang), numeric: true },
          { title: t.exporters.lost, render: (x) => int(x.sequenceGaps, lang), numeric: true },
          {
            title: t.exporters.errors,
            render: (x) => (
              <span
                title={Object.entries(x.errors)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join('\n')}
              >
                {int(x.decodeErrors, lang)}
              </span>
            ),
            numeric: true,
          },
          { title: t.exporters.templates, render: (x) => x.templates, numeric: true },
          {
            title: t.exporters.domains,
            render: (x) => (
              <span className="domains" data-testid="exporter-domains">
                {x.domains.map((d) => (
                  <span key={`${d.version}|${d.domain}`}>
                    {t.exporters.domain(d.version, d.domain)}: {int(d.records, lang)} {t.exporters.records} ·{' '}
                    {t.exporters.sampling}{' '}
                    {d.sampling.length ? d.sampling.map((n) => `1:${n}`).join(', ') : t.exporters.unsampled} ·{' '}
                    {t.exporters.lost} {int(d.lost, lang)}
                    {d.templates ? ` · ${t.exporters.templates} ${d.templates}` : ''}
                  </span>
                ))}
              </span>
            ),
          },
          { title: t.col.lastSeen, render: (x) => (x.lastSeen ? when(x.lastSeen) : '—') },
          {
            title: t.exporters.instance,
            render: (x) => (
              <span
                className={x.current ? 'mono' : 'mono muted'}
                title={`${t.exporters.since} ${when(x.since)}`}
              >
                {x.instance.slice(0, 8)}
                {x.current ? '' : ` (${t.exporters.stale})`}
              </span>
            ),
          },
        ]}
        rows={r.data.items}
        rowKey={(x) => `${x.instance}|${x.exporter}`}
      />
    </section>
  );
}
