/** @module Families: hosts linked by the signatures they share, largest first. */

import type { Paged } from '../api';
import { IpLink, SigLink } from '../components/Links';
import { Pager, Status } from '../components/Table';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { href, navigate, useLocation } from '../router';

interface Family {
  id: number;
  signatures: string[];
  members: string[];
  size: number;
}

export function Families() {
  const { t } = useI18n();
  const { query } = useLocation();
  const offset = Number(query.get('offset') ?? 0);
  const r = useApi<Paged<Family>>('/families', { offset, limit: 20 });
  if (!r.data) return <Status loading={r.loading} error={r.error} />;
  return (
    <section>
      <h1>{t.families.title}</h1>
      {r.data.items.length === 0 && <p className="muted">{t.none}</p>}
      {r.data.items.map((f) => (
        <div className="panel" key={f.id} data-testid="family">
          <h2>
            {t.families.family(f.id)} · {f.size} {t.col.members}
          </h2>
          <p>
            {t.col.signature}:{' '}
            {f.signatures.map((s) => (
              <span key={s}>
                <SigLink signature={s} protocol={6} />{' '}
              </span>
            ))}
          </p>
          <p className="members">
            {f.members.slice(0, 200).map((ip) => (
              <span key={ip}>
                <IpLink ip={ip} />{' '}
              </span>
            ))}
            {f.members.length > 200 ? `… (+${f.members.length - 200})` : ''}
          </p>
        </div>
      ))}
      <Pager
        total={r.data.total}
        offset={offset}
        limit={20}
        onPage={(o) => navigate(href(['families'], { offset: o }))}
      />
    </section>
  );
}
