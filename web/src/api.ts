/**
 * @module The dashboard's API client: the same tokens as the API, kept in
 * the tab's session storage (gone when the tab closes) and sent as a bearer
 * header — never in a URL, so exports download through `fetch` too.
 */

const KEY = 'flowhunt.token';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

type Query = Record<string, string | number | undefined | null>;

export function queryString(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function request(path: string, q?: Query, token = getToken()): Promise<Response> {
  const res = await fetch(`/api${path}${queryString(q)}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) {
    let message = res.statusText;
    try {
      message = ((await res.json()) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the status text
    }
    if (res.status === 401) window.dispatchEvent(new Event('flowhunt:unauthorized'));
    throw new HttpError(res.status, message);
  }
  return res;
}

export async function api<T>(path: string, q?: Query, token?: string): Promise<T> {
  return (await request(path, q, token)).json() as Promise<T>;
}

/** Downloads an export as a file (a fetch with the token, then a blob link). */
export async function download(path: string, q: Query): Promise<void> {
  const res = await request(path, q);
  const name =
    /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'flowhunt-export';
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface Me {
  name: string;
  admin: boolean;
  organisations: string[];
}

export interface Paged<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

export interface ReportRow {
  id: string;
  ip: string;
  org?: string;
  role: 'source' | 'destination';
  type: string;
  hostKind: 'client' | 'server';
  windowStart: number;
  windowEnd: number;
  score: number;
  rank: number;
  metrics: { flows: number; packets: number; bytes: number; peers: number; ports: number };
  duration: {
    firstWindow: number;
    minutes: number;
    streak: number;
    anomalousWindows: number;
    windowsSinceFirst: number;
    share: number;
  };
}

export interface ValueShare {
  value: string;
  flows: number;
  packets: number;
  bytes: number;
  share: number;
}

export interface Distribution {
  distinct: number;
  top: ValueShare[];
}

export interface ReportDetail {
  report: ReportRow & {
    rule: string;
    exceeded: { metric: string; value: number; threshold: number; op: string }[];
    profile: Record<string, Distribution> & { ephemeralSrcShare: number };
    mitigation?: string;
    reflectors?: string[];
    ingress?: {
      exporter: string;
      interface: number;
      name?: string;
      packetShare: number;
      byteShare: number;
    }[];
    enrichment?: { org?: string; country?: string; city?: string; asn?: number; asOrg?: string };
  };
  alert: { subject: string; text: string };
}

export interface Attacker {
  ip: string;
  reports: number;
  firstSeen: number;
  lastSeen: number;
  share: number;
  types: string[];
}

export interface SignatureRow {
  signature: string;
  protocol: number;
  port: number;
  packets: number;
  octets: number;
  strength: number;
  attackers: Attacker[];
  reports: number;
  firstSeen: number;
  lastSeen: number;
  hunt: { hosts: number; days: number; flows: number } | null;
}

export interface Finding {
  day: string;
  signature: string;
  protocol: number;
  ip: string;
  org?: string;
  destinations: number;
  flows: number;
  sourcePorts: number;
  firstSeen: number;
  lastSeen: number;
  largeScale: boolean;
}

export interface FindingGroup {
  day: string;
  signature: string;
  protocol: number;
  hosts: number;
  flows: number;
  maxDestinations: number;
  largeScale: number;
}

export interface Overview {
  now: number;
  ingest: { flowsPerSecond: number; exporters: number; flowsStored: number | null };
  last24h: { reports: number; events: number; topTypes: { type: string; reports: number; events: number }[] };
  totals: {
    reports: number;
    findings: number;
    suspects: number;
    lastReport: number | null;
    lastHuntedDay: string | null;
  };
  latest: ReportRow[];
}

export interface Counts {
  by: 'month' | 'day';
  periods: string[];
  types: string[];
  events: Record<string, number[]>;
  reports: Record<string, number[]>;
}

export interface Meta {
  anomalyTypes: string[];
  typeNames: Record<string, Record<string, string>>;
  dimensionNames: Record<string, Record<string, string>>;
}
