/**
 * @module Exports of findings and suspicious IPs for the people who clean
 * hosts up: CSV, JSON, a plain blocklist (one address a line) and a STIX 2.1
 * bundle (an `indicator` per address, with the signatures and days in its
 * description). Callers pass the rows already filtered (e.g. by organisation).
 */

import { createHash } from 'node:crypto';
import type { Finding } from './hunt.js';
import type { SuspiciousIp } from './master.js';

export const EXPORT_FORMATS = ['csv', 'json', 'blocklist', 'stix'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

function csvCell(v: unknown): string {
  const s = Array.isArray(v) ? v.join(' ') : v === undefined || v === null ? '' : String(v);
  // Quote when needed; a leading = + - @ could be read as a formula by a spreadsheet: prefix a quote.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

export const FINDING_COLUMNS = [
  'day',
  'signature',
  'protocol',
  'ip',
  'destinations',
  'flows',
  'sourcePorts',
  'firstSeen',
  'lastSeen',
  'role',
  'largeScale',
] as const;
export const SUSPECT_COLUMNS = [
  'ip',
  'daysSeen',
  'signatures',
  'firstSeen',
  'lastSeen',
  'maxDestinations',
  'flows',
  'largeScale',
] as const;

export function blocklist(ips: readonly { ip: string }[]): string {
  // IPv4 first, then IPv6, each in numeric order.
  const uniq = [...new Set(ips.map((x) => x.ip))].sort(
    (a, b) =>
      Number(a.includes(':')) - Number(b.includes(':')) || a.localeCompare(b, 'en', { numeric: true }),
  );
  return uniq.length ? `${uniq.join('\n')}\n` : '';
}

/** A UUIDv5-style id derived from the content, so exporting twice gives the same ids. */
function stableId(type: string, key: string): string {
  const h = createHash('sha1').update(`flowhunt:${type}:${key}`).digest('hex');
  return `${type}--${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export function stixBundle(suspects: readonly SuspiciousIp[], now = Date.now()): object {
  const ts = new Date(now).toISOString();
  const identity = {
    type: 'identity',
    spec_version: '2.1',
    id: stableId('identity', 'flowhunt'),
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-01T00:00:00.000Z',
    name: 'flowhunt',
    identity_class: 'system',
  };
  const indicators = suspects.map((s) => {
    const v6 = s.ip.includes(':');
    return {
      type: 'indicator',
      spec_version: '2.1',
      id: stableId('indicator', s.ip),
      created_by_ref: identity.id,
      created: ts,
      modified: ts,
      name: `Botnet member ${s.ip}`,
      description: `Seen on ${s.daysSeen} day(s) using signature(s) ${s.signatures.join(', ')} (port-packets-octets); up to ${s.maxDestinations} targets a day.${s.largeScale ? ' Also a large-scale attacker.' : ''}`,
      indicator_types: ['malicious-activity', 'compromised'],
      pattern: `[${v6 ? 'ipv6-addr' : 'ipv4-addr'}:value = '${s.ip}']`,
      pattern_type: 'stix',
      valid_from: new Date(s.firstSeen).toISOString(),
      labels: s.signatures.map((x) => `signature:${x}`),
    };
  });
  return {
    type: 'bundle',
    id: stableId('bundle', `${ts}:${suspects.map((s) => s.ip).join(',')}`),
    objects: [identity, ...indicators],
  };
}

export function exportFindings(format: ExportFormat, findings: readonly Finding[]): string {
  switch (format) {
    case 'csv':
      return toCsv(findings, FINDING_COLUMNS);
    case 'json':
      return `${JSON.stringify(findings)}\n`;
    case 'blocklist':
      return blocklist(findings);
    case 'stix':
      throw new Error('STIX exports suspicious IPs; use the suspects export');
  }
}

export function exportSuspects(
  format: ExportFormat,
  suspects: readonly SuspiciousIp[],
  now?: number,
): string {
  switch (format) {
    case 'csv':
      return toCsv(suspects, SUSPECT_COLUMNS);
    case 'json':
      return `${JSON.stringify(suspects)}\n`;
    case 'blocklist':
      return blocklist(suspects);
    case 'stix':
      return `${JSON.stringify(stixBundle(suspects, now))}\n`;
  }
}
