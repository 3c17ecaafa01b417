/**
 * @module The flow explorer: nfdump's filter language over the global time
 * range, as a top-N statistic by any key or the first flows, asked of the
 * API's /flows (the path `flowhunt query` takes). A filter that does not
 * parse is shown with a caret under the offending word; every address is a
 * link to its IP page. The question lives in the URL, so a link asks it again.
 */

import { useEffect, useState } from 'react';
import type { FlowRow, Me } from '../api';
import { IpLink } from '../components/Links';
import { DataTable, Status } from '../components/Table';
import { int, when } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { useRange } from '../range';
import { href, navigate, useLocation } from '../router';

const KEYS = ['srcip', 'dstip', 'ip', 'srcport', 'dstport', 'port', 'proto', 'exporter'] as const;
const ADDRESS_KEYS = new Set(['srcip', 'dstip', 'ip', 'exporter']);
const ORDERS = ['flows', 'packets', 'bytes'] as const;

interface Totals {
  flows: number;
  packets: number;
  bytes: number;
}
interface StatRow extends Totals {
  key: string;
  peers: number;
  firstSeen: number;
  lastSeen: number;
}
interface Answer {
  total: Totals;
  rows?: StatRow[];
  flows?: FlowRow[];
}

function protoName(key: string): string {
  return key === '6' ? 'TCP' : key === '17' ? 'UDP' : key === '1' ? 'ICMP' : key;
}

/** The filter line with carets under the word the parser stopped at. */
function FilterError({
  text,
  position,
  length,
  reason,
}: {
  text: string;
  position: number;
  length: number;
  reason: string;
}) {
  const lineStart = text.lastIndexOf('\n', position - 1) + 1;
  const nl = text.indexOf('\n', position);
  const line = text.slice(lineStart, nl < 0 ? text.length : nl);
  const col = position - lineStart;
  const carets = '^'.repeat(Math.max(1, Math.min(length, line.length - col)));
  return (
    <div className="error" role="alert" data-testid="filter-error">
      <p>
        {reason} (column {col + 1})
      </p>
      <pre className="mono" data-testid="filter-caret">
        {line}
        {'\n'}
        {' '.repeat(col)}
        {carets}
      </pre>
    </div>
  );
}

export function Flows({ me }: { me: Me }) {
  const { t, lang } = useI18n();
  const { query } = useLocation();
  const range = useRange();
  const filter = query.get('filter') ?? '';
  const stat = (KEYS as readonly string[]).includes(query.get('stat') ?? '') ? query.get('stat')! : '';
  const order = (ORDERS as readonly string[]).includes(query.get('order') ?? '')
    ? query.get('order')!
    : 'flows';
  const top = query.get('top') ?? '10';
  const [draft, setDraft] = useState({ filter, stat, order, top });
  useEffect(() => setDraft({ filter, stat, order, top }), [filter, stat, order, top]);
  const r = useApi<Answer>('/flows', {
    filter,
    ...range.api,
    ...(stat ? { stat, order, top } : { limit: 100 }),
  });
  const e = r.error;
  const filterError =
    e?.body?.['error'] === 'bad_filter' && typeof e.body['position'] === 'number'
      ? {
          position: e.body['position'] as number,
          length: Number(e.body['length'] ?? 1),
          reason: String(e.body['reason'] ?? e.message),
        }
      : null;
  const d = e ? null : r.data;
  return (
    <section data-testid="flows-page">
      <h1>{t.explorer.title}</h1>
      {!me.admin && <p className="muted">{t.explorer.scoped}</p>}
      <form
        className="filters explorer"
        onSubmit={(ev) => {
          ev.preventDefault();
          navigate(
            href(['flows'], {
              filter: draft.filter.trim() || undefined,
              stat: draft.stat || undefined,
              order: draft.stat && draft.order !== 'flows' ? draft.order : undefined,
              top: draft.stat && draft.top !== '10' ? draft.top : undefined,
            }),
          );
        }}
      >
        <label className="wide">
          {t.explorer.filter}
          <input
            name="filter"
            className="mono"
            value={draft.filter}
            placeholder={t.explorer.filterHint}
            onChange={(ev) => setDraft({ ...draft, filter: ev.target.value })}
          />
        </label>
        <label>
          {t.explorer.stat}
          <select
            name="stat"
            value={draft.stat}
            onChange={(ev) => setDraft({ ...draft, stat: ev.target.value })}
          >
            <option value="">{t.explorer.list}</option>
            {KEYS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.explorer.order}
          <select
            name="order"
            value={draft.order}
            disabled={!draft.stat}
            onChange={(ev) => setDraft({ ...draft, order: ev.target.value })}
          >
            {ORDERS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.explorer.top}
          <input
            name="top"
            size={4}
            value={draft.top}
            disabled={!draft.stat}
            onChange={(ev) => setDraft({ ...draft, top: ev.target.value })}
          />
        </label>
        <button type="submit">{t.explorer.run}</button>
      </form>
      {filterError ? (
        <FilterError text={filter} {...filterError} />
      ) : (
        <Status loading={r.loading && !r.data} error={e} />
      )}
      {d && (
        <>
          <p data-testid="flows-total">
            {t.explorer.matched(
              int(d.total.flows, lang),
              int(d.total.packets, lang),
              int(d.total.bytes, lang),
            )}
          </p>
          {d.rows && (
            <DataTable
              testId="stat-table"
              columns={[
                {
                  title: `${t.explorer.key} (${stat})`,
                  render: (x: StatRow) =>
                    ADDRESS_KEYS.has(stat) ? (
                      <IpLink ip={x.key} />
                    ) : stat === 'proto' ? (
                      protoName(x.key)
                    ) : (
                      x.key
                    ),
                },
                { title: t.col.flows, render: (x) => int(x.flows, lang), numeric: true },
                { title: t.explorer.packets, render: (x) => int(x.packets, lang), numeric: true },
                { title: t.explorer.bytes, render: (x) => int(x.bytes, lang), numeric: true },
                { title: t.explorer.peers, render: (x) => int(x.peers, lang), numeric: true },
                { title: t.explorer.firstSeen, render: (x) => when(x.firstSeen) },
                { title: t.explorer.lastSeen, render: (x) => when(x.lastSeen) },
              ]}
              rows={d.rows}
              rowKey={(x) => x.key}
            />
          )}
          {d.flows && (
            <DataTable
              testId="flows-table"
              columns={[
                { title: t.explorer.end, render: (f: FlowRow) => when(f.end) },
                { title: t.explorer.src, render: (f) => <IpLink ip={f.src} /> },
                { title: t.explorer.sport, render: (f) => f.sport, numeric: true },
                { title: t.explorer.dst, render: (f) => <IpLink ip={f.dst} /> },
                { title: t.explorer.dport, render: (f) => f.dport, numeric: true },
                { title: t.explorer.proto, render: (f) => f.proto },
                { title: t.explorer.flags, render: (f) => f.flags },
                { title: t.explorer.packets, render: (f) => int(f.packets, lang), numeric: true },
                { title: t.explorer.bytes, render: (f) => int(f.bytes, lang), numeric: true },
                { title: t.explorer.exporter, render: (f) => <IpLink ip={f.exporter} /> },
              ]}
              rows={d.flows}
              rowKey={(f) => `${f.end}|${f.start}|${f.src}|${f.sport}|${f.dst}|${f.dport}|${f.proto}`}
            />
          )}
        </>
      )}
    </section>
  );
}
