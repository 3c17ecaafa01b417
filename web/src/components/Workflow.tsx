/**
 * @module The alert workflow's pieces shared by the alert list and one
 * alert: the state badge (acknowledged, false positive, suppressed), the
 * mark buttons, and the form that makes a suppression rule.
 */

import { useState } from 'react';
import { type ReportState, send } from '../api';
import { when } from '../format';
import { useI18n } from '../i18n';

export function StateBadge({ state, testId }: { state: ReportState; testId?: string }) {
  const { t } = useI18n();
  const parts: { cls: string; text: string; title?: string }[] = [];
  if (state.suppressed)
    parts.push({
      cls: 'st-suppressed',
      text: t.flow.suppressed,
      title: `${state.suppressed.by}: ${state.suppressed.why}`,
    });
  if (state.mark)
    parts.push({
      cls: `st-${state.mark.state}`,
      text: state.mark.state === 'acknowledged' ? t.flow.acknowledged : t.flow.falsePositive,
      title: `${state.mark.by} · ${when(state.mark.at)}${state.mark.note ? ` · ${state.mark.note}` : ''}`,
    });
  if (parts.length === 0) return null;
  return (
    <span data-testid={testId}>
      {parts.map((p) => (
        <span key={p.cls} className={`badge state ${p.cls}`} title={p.title}>
          {p.text}
        </span>
      ))}
    </span>
  );
}

/** Acknowledge, false positive, open again: each a POST, then `done` reloads. */
export function MarkButtons({ id, state, done }: { id: string; state: ReportState; done: () => void }) {
  const { t } = useI18n();
  const [error, setError] = useState('');
  const mark = (s: 'acknowledged' | 'false-positive' | 'open') =>
    send('POST', `/reports/${id.split('/').map(encodeURIComponent).join('/')}/mark`, { state: s })
      .then(() => {
        setError('');
        done();
      })
      .catch((e: Error) => setError(e.message));
  const current = state.mark?.state;
  return (
    <div className="actions" data-testid="mark-buttons">
      <button type="button" disabled={current === 'acknowledged'} onClick={() => void mark('acknowledged')}>
        {t.flow.acknowledge}
      </button>
      <button
        type="button"
        className="secondary"
        disabled={current === 'false-positive'}
        onClick={() => void mark('false-positive')}
      >
        {t.flow.markFalsePositive}
      </button>
      {current && (
        <button type="button" className="secondary" onClick={() => void mark('open')}>
          {t.flow.reopen}
        </button>
      )}
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

const EXPIRY_DAYS = [1, 7, 30, 0] as const;

/** A suppression rule for an address (or a prefix), this type or any, with an expiry and a reason. */
export function SuppressForm({
  ip,
  type,
  done,
}: {
  ip: string;
  type?: string;
  done: (ruleId: string) => void;
}) {
  const { t, type: typeName } = useI18n();
  const [net, setNet] = useState(ip);
  const [onlyType, setOnlyType] = useState(type !== undefined);
  const [days, setDays] = useState<number>(7);
  const [why, setWhy] = useState('');
  const [error, setError] = useState('');
  return (
    <form
      className="filters"
      data-testid="suppress-form"
      onSubmit={(e) => {
        e.preventDefault();
        const body = {
          ip: net,
          why,
          ...(onlyType && type ? { type } : {}),
          ...(days ? { expires: new Date(Date.now() + days * 86_400_000).toISOString() } : {}),
        };
        send<{ id: string }>('POST', '/suppressions', body)
          .then((r) => {
            setError('');
            setWhy('');
            done(r.id);
          })
          .catch((err: Error) => setError(err.message));
      }}
    >
      <label>
        {t.flow.network}
        <input name="net" value={net} onChange={(e) => setNet(e.target.value)} />
      </label>
      {type && (
        <label className="check">
          <input type="checkbox" checked={onlyType} onChange={(e) => setOnlyType(e.target.checked)} />
          {t.flow.onlyType(typeName(type))}
        </label>
      )}
      <label>
        {t.flow.expires}
        <select name="expires" value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {EXPIRY_DAYS.map((d) => (
            <option key={d} value={d}>
              {d ? t.flow.days(d) : t.flow.never}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.flow.why}
        <input name="why" value={why} onChange={(e) => setWhy(e.target.value)} required />
      </label>
      <button type="submit">{t.flow.suppress}</button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
