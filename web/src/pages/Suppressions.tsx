/** @module Suppression rules: what is kept from the alerter, by whom, why and until when; remove one, or add one. */

import { useState } from 'react';
import { type Paged, type SuppressionRule, send } from '../api';
import { Back } from '../components/Links';
import { DataTable, Pager, Status } from '../components/Table';
import { SuppressForm } from '../components/Workflow';
import { when } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { href, navigate, useLocation } from '../router';

const PAGE = 100;

export function Suppressions() {
  const { t, type } = useI18n();
  const { query } = useLocation();
  const offset = Number(query.get('offset') ?? 0);
  const r = useApi<Paged<SuppressionRule>>('/suppressions', { offset, limit: PAGE });
  const [error, setError] = useState('');
  return (
    <section data-testid="suppressions">
      <Back to={href(['alerts'])} label={t.nav.alerts} />
      <h1>{t.flow.rules}</h1>
      <p className="muted" data-testid="rules-no-range">
        {t.flow.rulesNoRange}
      </p>
      <div className="panel">
        <h2>{t.flow.suppressTitle}</h2>
        <SuppressForm ip="" done={() => r.reload?.()} />
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <Status loading={r.loading && !r.data} error={r.error} />
      {r.data && (
        <>
          <DataTable
            testId="rules-table"
            columns={[
              {
                title: t.flow.network,
                render: (x: SuppressionRule) => <span className="mono">{x.cidr}</span>,
              },
              { title: t.col.type, render: (x) => (x.type ? type(x.type) : t.flow.anyType) },
              { title: t.col.org, render: (x) => x.org ?? '—' },
              { title: t.flow.why, render: (x) => x.why },
              { title: t.flow.by, render: (x) => x.by },
              { title: t.flow.created, render: (x) => when(x.created) },
              { title: t.flow.expires, render: (x) => (x.expires ? when(x.expires) : t.flow.never) },
              { title: t.flow.state, render: (x) => (x.active ? t.flow.active : t.flow.expired) },
              {
                title: '',
                render: (x) => (
                  <button
                    type="button"
                    className="secondary"
                    onClick={() =>
                      void send('DELETE', `/suppressions/${encodeURIComponent(x.id)}`)
                        .then(() => r.reload?.())
                        .catch((e: Error) => setError(e.message))
                    }
                  >
                    {t.flow.remove}
                  </button>
                ),
              },
            ]}
            rows={r.data.items}
            rowKey={(x) => x.id}
          />
          <Pager
            total={r.data.total}
            offset={offset}
            limit={PAGE}
            onPage={(o) => navigate(href(['suppressions'], { offset: o }))}
          />
        </>
      )}
    </section>
  );
}
