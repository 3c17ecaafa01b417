/**
 * @module Families: hosts linked by the signatures they share (or alike
 * profiles of one port), largest first, with each family's signatures
 * (profiles as their exchanges and shares), members and days: the members
 * found on the days of the global time range.
 */

import type { Paged } from '../api';
import { ExportButtons } from '../components/Exports';
import { Back, FilteredBy, IpLink, SigLink } from '../components/Links';
import { Pager, Status } from '../components/Table';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { rangeDays, useRange } from '../range';
import { href, navigate, useLocation } from '../router';

interface Family {
  id: number;
  signatures: string[];
  /** The signature most of its members were found with. */
  profile: string;
  members: string[];
  size: number;
  days: string[];
}

export function Families() {
  const { t } = useI18n();
  const { query } = useLocation();
  const offset = Number(query.get('offset') ?? 0);
  const ip = query.get('ip') ?? '';
  // The members found on the days the global range touches (findings are per day).
  const days = rangeDays(useRange());
  const r = useApi<Paged<Family>>('/families', { offset, limit: 20, ip, ...days });
  if (!r.data) return <Status loading={r.loading} error={r.error} />;
  return (
    <section>
      {ip && <Back to={href(['ip', ip])} label={`${t.ip.title} ${ip}`} />}
      <h1>{t.families.title}</h1>
      <FilteredBy
        label={t.filter.by}
        filters={ip ? [[t.filter.names.member, ip]] : []}
        clear={href(['families'])}
        clearLabel={t.filter.clear}
      />
      {r.data.items.length === 0 && <p className="muted">{t.none}</p>}
      {r.data.items.map((f) => (
        <div className="panel" key={f.id} data-testid="family">
          <h2>
            {t.families.family(f.id)} · <SigLink signature={f.profile} protocol={6} /> · {f.size}{' '}
            {t.col.members} · {f.days.length} {t.col.days}{' '}
            <ExportButtons
              path="/exports/findings"
              stix="/exports/suspects"
              query={{ family: f.id, ...days }}
            />
          </h2>
          <p className="muted">
            {t.col.days}:{' '}
            {f.days.length > 7 ? `${f.days[0]} … ${f.days[f.days.length - 1]}` : f.days.join(', ')}
          </p>
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
        onPage={(o) => navigate(href(['families'], { ip, offset: o }))}
      />
    </section>
  );
}
