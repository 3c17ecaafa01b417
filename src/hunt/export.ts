/**
 * @module Exports of findings and suspicious IPs for the people who clean
 * hosts up: CSV, JSON, a plain blocklist (one address a line) and a STIX 2.1
 * bundle (an `indicator` per address, with the signatures and days in its
 * description). Times in CSV are ISO 8601 (UTC). Callers pass the rows
 * already filtered (e.g. by organisation).
 */

import { createHash } from 'node:crypto';
import type { Finding } from './hunt.js';
import type { SuspiciousIp } from './master.js';
import { isProfile, parseSignature } from './signature.js';

export const EXPORT_FORMATS = ['csv', 'json', 'blocklist', 'stix'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

function csvCell(v: unknown): string {
  const s = Array.isArray(v) ? v.join(' ') : v === undefined || v === null ? '' : String(v);
  // Quote when needed; a leading = + - @ could be read as a formula by a spreadsheet: prefix a quote.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Columns that hold epoch milliseconds; CSV writes them as ISO 8601 (UTC), what a spreadsheet or a person reads. */
export const TIME_COLUMNS: ReadonlySet<string> = new Set([
  'firstSeen',
  'lastSeen',
  'windowStart',
  'windowEnd',
]);

export function toCsv<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  const lines = [columns.join(',')];
  const cell = (c: string, v: unknown) =>
    csvCell(
      TIME_COLUMNS.has(c) && typeof v === 'number' && Number.isFinite(v) ? new Date(v).toISOString() : v,
    );
  for (const r of rows) lines.push(columns.map((c) => cell(c, r[c])).join(','));
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

/** A signature for a reader of the indicator: its written form and what the form means. */
function described(text: string): string {
  const s = parseSignature(text);
  return s && isProfile(s)
    ? `${text} (a profile: port, then packets-octets=percent of its flows for each exchange)`
    : `${text} (port-packets-octets)`;
}

/** One address to put in a STIX bundle as an indicator. */
export interface StixAddress {
  ip: string;
  name: string;
  description: string;
  labels: string[];
  validFrom: number;
  types: string[];
}

export function stixBundle(suspects: readonly SuspiciousIp[], now = Date.now()): object {
  return stixAddresses(
    suspects.map((s) => ({
      ip: s.ip,
      name: `Botnet member ${s.ip}`,
      description: `Seen on ${s.daysSeen} day(s) using signature(s) ${s.signatures.map(described).join('; ')}; up to ${s.maxDestinations} targets a day.${s.largeScale ? ' Also a large-scale attacker.' : ''}`,
      labels: s.signatures.map((x) => `signature:${x}`),
      validFrom: s.firstSeen,
      types: ['malicious-activity', 'compromised'],
    })),
    now,
  );
}

/** A STIX 2.1 bundle: the flowhunt identity and one `indicator` per address. */
export function stixAddresses(items: readonly StixAddress[], now = Date.now()): object {
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
  const indicators = items.map((s) => {
    const v6 = s.ip.includes(':');
    return {
      type: 'indicator',
      spec_version: '2.1',
      id: stableId('indicator', s.ip),
      created_by_ref: identity.id,
      created: ts,
      modified: ts,
      name: s.name,
      description: s.description,
      indicator_types: s.types,
      pattern: `[${v6 ? 'ipv6-addr' : 'ipv4-addr'}:value = '${s.ip}']`,
      pattern_type: 'stix',
      valid_from: new Date(s.validFrom).toISOString(),
      labels: s.labels,
    };
  });
  return {
    type: 'bundle',
    id: stableId('bundle', `${ts}:${items.map((s) => s.ip).join(',')}`),
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
