/**
 * @module The human-readable alert: what the NOC operator and the campus
 * administrator read in their mail, in English or Traditional Chinese.
 *
 * It carries what the paper's alerts carry: the host and its organisation,
 * the anomaly type, which metric crossed which threshold and by how much,
 * the main features as shares (`TCP 99.98%`, `SSH-22 99.94%`,
 * `98.54% of flows 1 packet / 40 bytes`, `SYN share > 95%`), the summaries
 * (number of distinct protocols, ports, packet and octet values with their
 * top 10) and how long it has lasted; for victims also where the attack
 * enters and what to filter there, and the reflectors (abused, not hostile).
 */

import { type Distribution, type Profile, parsePpo } from '../detect/profile.js';
import type { Report } from '../detect/report.js';
import type { Lang } from '../enrich/directory.js';
import type { Enrichment } from '../enrich/index.js';
import { flagsText, portLabel, protocolName } from '../flow/names.js';
import { clockTime, dec, int, pct } from './format.js';
import { type AlertEvent, MESSAGES, type Messages } from './i18n.js';

export type { AlertEvent } from './i18n.js';

export interface RenderOptions {
  /** Which alert of the thread this is; `start` by default. */
  event?: AlertEvent;
  /** IANA zone for the times shown; UTC by default. */
  timeZone?: string;
  /** The score of the thread's last alert, shown on an escalation. */
  previousScore?: number;
}

export interface AlertText {
  subject: string;
  text: string;
}

const DIMS = [
  'protocols',
  'tcpFlags',
  'dstPorts',
  'srcPorts',
  'packetsPerFlow',
  'octetsPerFlow',
  'ppo',
  'ingress',
  'peers',
] as const;

function valueLabel(dim: (typeof DIMS)[number], v: string): string {
  switch (dim) {
    case 'protocols':
      return protocolName(Number(v));
    case 'tcpFlags':
      return flagsText(Number(v));
    case 'dstPorts':
    case 'srcPorts':
      return portLabel(Number(v));
    default:
      return v;
  }
}

/**
 * The share of flows with the signature's packets and octets (the top
 * port-packets-octets entry), over all ports. Exact when the top-10 list
 * holds every combination; otherwise the larger of what the list shows and
 * what the separate packet and octet distributions imply, marked `≥` when
 * that still leaves room above.
 */
export function packetsOctetsShare(
  p: Profile,
): { packets: number; bytes: number; share: number; exact: boolean } | undefined {
  const top = p.ppo.top[0];
  if (!top) return undefined;
  const main = parsePpo(top.value);
  if (!main) return undefined;
  const { packets: pk, octets: by } = main;
  const same = p.ppo.top.filter((x) => {
    const v = parsePpo(x.value);
    return v?.packets === pk && v.octets === by;
  });
  const listed = same.reduce((s, x) => s + x.share, 0);
  if (p.ppo.distinct <= p.ppo.top.length) return { packets: pk, bytes: by, share: listed, exact: true };
  const ps = p.packetsPerFlow.top.find((x) => Number(x.value) === pk)?.share;
  const os = p.octetsPerFlow.top.find((x) => Number(x.value) === by)?.share;
  const lower = Math.max(listed, (ps ?? 0) + (os ?? 0) - 1);
  const upper = Math.min(ps ?? 1, os ?? 1);
  return { packets: pk, bytes: by, share: lower, exact: upper - lower < 1e-9 };
}

function features(r: Report, m: Messages): string[] {
  const p = r.profile;
  const out: string[] = [];
  const proto = p.protocols.top[0];
  if (proto) out.push(`${protocolName(Number(proto.value))} ${pct(proto.share)}`);
  const reflection = r.type === 'reflection-victim';
  const ports = reflection ? p.srcPorts : p.dstPorts;
  const port = ports.top[0];
  // A sweep over many ports has no main port: its number of ports is the feature.
  if (port && (port.share >= 0.5 || ports.distinct <= ports.top.length))
    out.push(`${portLabel(Number(port.value))} ${pct(port.share)}${reflection ? m.paren(m.sourcePort) : ''}`);
  else if (port)
    out.push(`${m.dim[reflection ? 'srcPorts' : 'dstPorts']}${m.paren(m.distinct(int(ports.distinct)))}`);
  const po = packetsOctetsShare(p);
  if (po) out.push(m.flowsOf(`${po.exact ? '' : '≥ '}${pct(po.share)}`, po.packets, po.bytes));
  const tcp = p.protocols.top.some((x) => x.value === '6');
  const syn = r.metrics.synOnlyShare;
  if (tcp && syn >= 0.95) out.push(m.synOver);
  else if (tcp && syn > 0) out.push(m.synShare(pct(syn)));
  return out;
}

function summary(m: Messages, dim: (typeof DIMS)[number], d: Distribution): string | undefined {
  if (d.distinct === 0 || d.top.length === 0) return undefined;
  const values = d.top.map((x) => `${valueLabel(dim, x.value)} ${pct(x.share)}`).join(', ');
  return `  ${m.dim[dim]}${m.paren(m.distinct(int(d.distinct)))}${m.colon}${values}`;
}

/** The few ingress points that carry most (80%) of a victim's packets, as the detector picks them. */
function mitigation(r: Report, m: Messages): string {
  const sorted = [...(r.ingress ?? [])].sort((a, b) => b.packetShare - a.packetShare);
  const pick = [];
  let share = 0;
  for (const x of sorted) {
    if (share >= 0.8 || pick.length >= 3) break;
    pick.push(x);
    share += x.packetShare;
  }
  if (pick.length === 0) return m.noIngress(r.ip);
  const where = pick
    .map((x) => `${x.name ?? m.iface(x.exporter, x.interface)}${m.paren(pct(x.packetShare))}`)
    .join(m.sep);
  return m.mitigate(r.type === 'reflection-victim' ? 'reflection' : 'attack', r.ip, where, pct(share));
}

function location(e: Enrichment, lang: Lang, m: Messages): string | undefined {
  const parts: string[] = [];
  if (e.country) {
    let name: string | undefined;
    try {
      name = new Intl.DisplayNames([lang], { type: 'region' }).of(e.country);
    } catch {
      name = undefined;
    }
    parts.push(name && name !== e.country ? `${name}${m.paren(e.country)}` : e.country);
  }
  if (e.city) parts.push(e.city);
  if (e.asn !== undefined) parts.push(`AS${e.asn}${e.asOrg ? ` ${e.asOrg}` : ''}`);
  return parts.length ? parts.join(m.sep) : undefined;
}

/** A victim report's mitigation sentence in `lang` (the detector's own text in English), as the alert says it. */
export function mitigationText(r: Report, lang: Lang): string | undefined {
  if (!r.mitigation) return undefined;
  return lang === 'en' ? r.mitigation : mitigation(r, MESSAGES[lang]);
}

export function renderAlert(r: Report, e: Enrichment, lang: Lang, o: RenderOptions = {}): AlertText {
  const m = MESSAGES[lang];
  const event = o.event ?? 'start';
  const tz = o.timeZone ?? 'UTC';
  const zone = tz === 'UTC' ? 'UTC' : tz;
  const typeName = m.type[r.type] ?? r.type;
  const colon = m.colon;
  const line = (label: string, value: string) => `${label}${colon}${value}`;
  const who = `${r.ip}${e.org ? m.paren(e.org) : ''}`;
  const subject = `[flowhunt] ${m.event[event]}${colon}${typeName} ${who}`;

  const out: string[] = [];
  out.push(`${m.label.title} — ${m.event[event]}${colon}${typeName}`, '');
  const rule = m.rule[`${r.type}/${r.hostKind}`] ?? m.rule[r.type] ?? r.rule;
  out.push(line(m.label.type, `${typeName}${lang === 'en' ? '' : m.paren(r.type)} — ${rule}`));
  const role = r.role === 'source' ? m.label.attacker : m.label.victim;
  out.push(line(role, `${r.ip}${r.role === 'source' ? m.paren(m.label[r.hostKind]) : ''}`));
  out.push(line(m.label.org, e.org ?? m.label.noOrg));
  if (e.contacts?.length) out.push(line(m.label.contacts, e.contacts.join(', ')));
  const loc = location(e, lang, m);
  if (loc) out.push(line(m.label.location, loc));
  const end = clockTime(r.windowEnd, tz);
  const start = clockTime(r.windowStart, tz);
  const sameDay = start.slice(0, 10) === end.slice(0, 10);
  out.push(line(m.label.window, `${start}–${sameDay ? end.slice(11) : end} ${zone}`));
  let score = m.scoreLine(dec(r.score), r.rank);
  if (event === 'escalation' && o.previousScore !== undefined)
    score += `${lang === 'en' ? '; ' : '；'}${m.escalated(dec(o.previousScore), dec(r.score))}`;
  out.push(line(m.label.score, score), '');

  out.push(`${m.label.exceeded}${colon.trimEnd()}`);
  for (const ev of r.exceeded) {
    const share = /share/.test(ev.metric);
    const f = (x: number) => (share ? pct(x) : dec(x));
    const ratio = ev.op === '>=' && ev.threshold > 0 ? m.times((ev.value / ev.threshold).toFixed(2)) : '';
    out.push(
      `  - ${m.metric[ev.metric] ?? ev.metric}${colon}${f(ev.value)} ${ev.op === '>=' ? '≥' : '≤'} ${f(ev.threshold)}${ratio}`,
    );
    const b = ev.basis;
    if (b)
      out.push(
        `      ${m.basis({
          ...(b.learned !== undefined ? { learned: dec(b.learned) } : {}),
          quantile: `${Math.round(b.quantile * 1000) / 10}`,
          margin: dec(b.margin),
          n: dec(b.n),
          from: b.from,
          minimum: dec(b.minimum),
        })}`,
      );
  }
  out.push('', `${m.label.features}${colon.trimEnd()}`, ...features(r, m).map((x) => `  - ${x}`), '');
  const t = r.metrics;
  out.push(
    line(
      m.label.traffic,
      m.traffic({
        flows: t.flows,
        packets: t.packets,
        bytes: t.bytes,
        peers: t.peers,
        ports: t.ports,
        ppf: t.packetsPerFlow,
        bpp: t.bytesPerPacket,
      }),
    ),
    '',
  );
  out.push(`${m.label.summaries}${colon.trimEnd()}`);
  const tcp = r.profile.protocols.top.some((x) => x.value === '6');
  for (const dim of DIMS) {
    if (dim === 'tcpFlags' && !tcp) continue; // all zero without TCP
    const s = summary(m, dim, r.profile[dim]);
    if (s) out.push(s);
  }
  const d = r.duration;
  out.push(
    '',
    line(
      m.label.duration,
      m.duration({
        since: `${clockTime(d.firstWindow, tz)} ${zone}`,
        minutes: d.minutes,
        windows: d.windowsSinceFirst,
        anomalous: d.anomalousWindows,
        share: pct(d.share),
        streak: d.streak,
      }),
    ),
  );
  if (r.role === 'destination') {
    out.push('', `${m.label.ingress}${colon.trimEnd()}`);
    for (const [i, x] of (r.ingress ?? []).entries()) {
      const where = x.name ?? m.iface(x.exporter, x.interface);
      out.push(`  ${i + 1}. ${m.ingressLine(where, pct(x.packetShare), pct(x.byteShare))}`);
    }
    out.push(line(m.label.mitigation, lang === 'en' && r.mitigation ? r.mitigation : mitigation(r, m)));
  }
  if (r.reflectors?.length)
    out.push(
      line(m.label.reflectors, `${m.abused(r.profile.peers.distinct)}${colon}${r.reflectors.join(', ')}`),
    );
  out.push('', line(m.label.report, r.id), '');
  return { subject, text: out.join('\n') };
}
