/**
 * @module The header's time-range control: presets (last hour, 24 hours, 7
 * days, 30 days) and a custom range (UTC), written into the page's URL, so
 * every page shows that range and a link keeps it.
 */

import { useEffect, useState } from 'react';
import { useI18n } from '../i18n';
import { isoMinute, PRESETS, parseTime, useRange } from '../range';
import { navigate, useLocation } from '../router';

/** The current page with its range parameters replaced. */
function withRange(parts: string[], query: URLSearchParams, set: Record<string, string>): string {
  const q = new URLSearchParams(query);
  for (const k of ['range', 'from', 'to', 'offset']) q.delete(k);
  for (const [k, v] of Object.entries(set)) q.set(k, v);
  const s = q.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${s ? `?${s}` : ''}`;
}

export function RangePicker() {
  const { t } = useI18n();
  const { parts, query } = useLocation();
  const r = useRange();
  const [custom, setCustom] = useState(r.preset === undefined);
  const [from, setFrom] = useState(isoMinute(r.from));
  const [to, setTo] = useState(isoMinute(r.to));
  const [bad, setBad] = useState(false);
  // The range as the URL states it. A preset's times move with the clock (to the minute): keyed on
  // them, the first render after a minute turned (choosing "custom" is one) closed the custom form.
  const stated = ['range', 'from', 'to'].map((k) => query.get(k) ?? '').join('|');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `stated` stands for the range in the URL
  useEffect(() => {
    setFrom(isoMinute(r.from));
    setTo(isoMinute(r.to));
    // A link or the back button may bring a preset or a custom range: the control shows which.
    setCustom(r.preset === undefined);
  }, [stated]);
  return (
    <form
      className="range"
      data-testid="range"
      onSubmit={(e) => {
        e.preventDefault();
        const f = parseTime(from);
        const u = parseTime(to);
        if (f === undefined || u === undefined || f >= u) return setBad(true);
        setBad(false);
        navigate(withRange(parts, query, { from: isoMinute(f), to: isoMinute(u) }));
      }}
    >
      <select
        aria-label={t.range.label}
        data-testid="range-preset"
        value={custom ? 'custom' : (r.preset ?? 'custom')}
        onChange={(e) => {
          if (e.target.value === 'custom') return setCustom(true);
          setCustom(false);
          navigate(withRange(parts, query, { range: e.target.value }));
        }}
      >
        {PRESETS.map((p) => (
          <option key={p} value={p}>
            {t.range.preset(p)}
          </option>
        ))}
        <option value="custom">{t.range.custom}</option>
      </select>
      {custom && (
        <>
          <input
            aria-label={t.range.from}
            name="range-from"
            value={from}
            size={16}
            onChange={(e) => setFrom(e.target.value)}
            aria-invalid={bad}
          />
          <span aria-hidden="true">–</span>
          <input
            aria-label={t.range.to}
            name="range-to"
            value={to}
            size={16}
            onChange={(e) => setTo(e.target.value)}
            aria-invalid={bad}
          />
          <span className="muted">UTC</span>
          <button type="submit" className="secondary">
            {t.range.apply}
          </button>
          {bad && (
            <span role="alert" className="error">
              {t.range.bad}
            </span>
          )}
        </>
      )}
    </form>
  );
}
