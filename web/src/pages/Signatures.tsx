/** @module Signatures by port, strongest first, with their attackers and what the hunt found; and one signature. */

import type { Attacker, Paged, SignatureRow } from '../api';
import { ExportButtons } from '../components/Exports';
import { Back, IpLink, SigLink } from '../components/Links';
import { DataTable, Pager, Status } from '../components/Table';
import { dec, exchangesOf, int, readableSignature, when } from '../format';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { useRange } from '../range';
import { href, navigate, useLocation } from '../router';

const PAGE = 200;

export function Signatures() {
  const { t, type } = useI18n();
  const { query } = useLocation();
  const offset = Number(query.get('offset') ?? 0);
  const range = useRange();
  const r = useApi<Paged<SignatureRow>>('/signatures', { ...range.api, offset, limit: PAGE });
  if (!r.data) return <Status loading={r.loading} error={r.error} />;
  const ports: { port: number; sigs: SignatureRow[] }[] = [];
  for (const s of r.data.items) {
    let g = ports.find((p) => p.port === s.port);
    if (!g) {
      g = { port: s.port, sigs: [] };
      ports.push(g);
    }
    g.sigs.push(s);
  }
  return (
    <section>
      <h1>{t.nav.signatures}</h1>
      {ports.length === 0 && <p className="muted">{t.none}</p>}
      {ports.map((g) => (
        <div className="panel" key={g.port} data-testid={`port-${g.port}`}>
          <h2>{t.sig.port(String(g.port), g.sigs.length)}</h2>
          <DataTable
            columns={[
              {
                title: t.col.signature,
                render: (s) => <SigLink signature={s.signature} protocol={s.protocol} />,
              },
              { title: t.col.strength, render: (s) => dec(s.strength), numeric: true },
              {
                title: t.col.attackers,
                render: (s) => (
                  <span>
                    {s.attackers.length}:{' '}
                    {s.attackers.slice(0, 5).map((a) => (
                      <span key={a.ip}>
                        <IpLink ip={a.ip} />{' '}
                      </span>
                    ))}
                    {s.attackers.length > 5 ? `… (+${s.attackers.length - 5})` : ''}
                  </span>
                ),
              },
              {
                title: t.col.type,
                render: (s) => [...new Set(s.attackers.flatMap((a) => a.types))].map(type).join(', '),
              },
              {
                title: t.sig.hunt,
                render: (s) => (s.hunt ? t.sig.huntCell(s.hunt.hosts, s.hunt.days) : '—'),
              },
            ]}
            rows={g.sigs}
            rowKey={(s) => `${s.protocol}/${s.signature}`}
            onRow={(s) =>
              navigate(href(['signatures', s.signature], { protocol: s.protocol === 17 ? 'udp' : undefined }))
            }
          />
        </div>
      ))}
      <Pager
        total={r.data.total}
        offset={offset}
        limit={PAGE}
        onPage={(o) => navigate(href(['signatures'], { offset: o }))}
      />
    </section>
  );
}

/** A profile's exchanges as a small table: packets, octets and share of its flows, heaviest first. */
function Exchanges({ signature }: { signature: string }) {
  const { t } = useI18n();
  const x = exchangesOf(signature);
  if (!x || x.combos.length < 2) return null;
  return (
    <div className="panel">
      <h2>{t.sig.exchanges}</h2>
      <DataTable
        testId="sig-exchanges"
        columns={[
          { title: t.col.packets, render: (c) => c.packets, numeric: true },
          { title: t.col.octets, render: (c) => c.octets, numeric: true },
          { title: t.col.share, render: (c) => (c.percent === null ? '—' : `${c.percent}%`), numeric: true },
        ]}
        rows={x.combos}
        rowKey={(c) => `${c.packets}-${c.octets}`}
      />
    </div>
  );
}

interface SignatureDetailData {
  signature: string;
  protocol: number;
  catalog: (SignatureRow & { attackers: Attacker[] }) | null;
  hunt: {
    hosts: number;
    days: number;
    flows: number;
    byDay: { day: string; hosts: number; flows: number; destinations: number }[];
  };
}

export function SignatureDetail({ signature }: { signature: string }) {
  const { t, type, lang } = useI18n();
  const { query } = useLocation();
  const protocol = query.get('protocol') ?? undefined;
  const r = useApi<SignatureDetailData>(`/signatures/${encodeURIComponent(signature)}`, { protocol });
  if (!r.data) return <Status loading={r.loading} error={r.error} />;
  const d = r.data;
  const sigParam = `${d.signature}${d.protocol === 17 ? '/udp' : ''}`;
  return (
    <section data-testid="signature-detail">
      <Back to={href(['signatures'])} label={t.nav.signatures} />
      <h1>
        {t.col.signature} <span className="mono">{readableSignature(sigParam)}</span>
      </h1>
      <div className="cards">
        <div className="card">
          <div className="card-value">{d.catalog ? dec(d.catalog.strength) : '—'}</div>
          <div className="card-label">{t.col.strength}</div>
        </div>
        <div className="card">
          <div className="card-value">{d.catalog?.attackers.length ?? 0}</div>
          <div className="card-label">{t.col.attackers}</div>
        </div>
        <a className="card" data-testid="sig-hunt-hosts" href={href(['findings'], { signature: sigParam })}>
          <div className="card-value">{int(d.hunt.hosts, lang)}</div>
          <div className="card-label">
            {t.sig.hunt} · {t.sig.listHosts}
          </div>
        </a>
        <div className="card">
          <div className="card-value">{d.hunt.days}</div>
          <div className="card-label">{t.col.days}</div>
        </div>
      </div>
      <Exchanges signature={d.signature} />
      <div className="panel">
        <h2>{t.sig.catalog}</h2>
        <DataTable
          testId="sig-attackers"
          columns={[
            { title: t.col.ip, render: (a: Attacker) => <IpLink ip={a.ip} /> },
            { title: t.col.type, render: (a) => a.types.map(type).join(', ') },
            { title: t.col.reports, render: (a) => a.reports, numeric: true },
            { title: t.col.share, render: (a) => `${(a.share * 100).toFixed(1)}%`, numeric: true },
            { title: t.col.firstSeen, render: (a) => when(a.firstSeen) },
            { title: t.col.lastSeen, render: (a) => when(a.lastSeen) },
          ]}
          rows={d.catalog?.attackers ?? []}
          rowKey={(a) => a.ip}
        />
      </div>
      <div className="panel">
        <h2>
          {t.sig.byDay}{' '}
          <ExportButtons
            path="/exports/findings"
            stix="/exports/suspects"
            query={{ signature: sigParam }}
            testId="sig-export"
          />
        </h2>
        <DataTable
          testId="sig-days"
          columns={[
            { title: t.col.day, render: (x) => x.day },
            {
              title: t.col.hosts,
              render: (x) => (
                <a
                  href={href(['findings'], { signature: sigParam, day: x.day })}
                  onClick={(e) => e.stopPropagation()}
                >
                  {x.hosts}
                </a>
              ),
              numeric: true,
            },
            { title: t.col.flows, render: (x) => int(x.flows, lang), numeric: true },
            { title: t.col.destinations, render: (x) => x.destinations, numeric: true },
          ]}
          rows={d.hunt.byDay}
          rowKey={(x) => x.day}
          onRow={(x) => navigate(href(['findings'], { signature: sigParam, day: x.day }))}
        />
      </div>
    </section>
  );
}
