/**
 * @module The dashboard's API client: the same tokens as the API, kept in
 * the tab's session storage (gone when the tab closes) and sent as a bearer
 * header — never in a URL, so exports download through `fetch` too.
 */

/** The flow explorer's row, from the server's own type (erased in the build; derived from the column list). */
export type { FlowRow } from '../../src/api/flow-row.js';

const KEY = 'flowhunt.token';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The JSON answer of the error, when it was JSON (a filter error's position). */
    readonly body?: Record<string, unknown>,
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

async function request(
  path: string,
  q?: Query,
  token = getToken(),
  write?: { method: 'POST' | 'DELETE'; body?: object },
): Promise<Response> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (write?.body) headers['content-type'] = 'application/json';
  const res = await fetch(`/api${path}${queryString(q)}`, {
    headers,
    ...(write ? { method: write.method } : {}),
    ...(write?.body ? { body: JSON.stringify(write.body) } : {}),
  });
  if (!res.ok) {
    let message = res.statusText;
    let body: Record<string, unknown> | undefined;
    try {
      body = (await res.json()) as Record<string, unknown>;
      message = typeof body['message'] === 'string' ? body['message'] : message;
    } catch {
      // not JSON: keep the status text
    }
    if (res.status === 401) window.dispatchEvent(new Event('flowhunt:unauthorized'));
    throw new HttpError(res.status, message, body);
  }
  return res;
}

export async function api<T>(path: string, q?: Query, token?: string): Promise<T> {
  return (await request(path, q, token)).json() as Promise<T>;
}

/** A text answer (mitigation lines). */
export async function apiText(path: string, q?: Query): Promise<string> {
  return (await request(path, q)).text();
}

/** A write (POST with a JSON body, or DELETE); the answer's JSON. */
export async function send<T>(method: 'POST' | 'DELETE', path: string, body?: object): Promise<T> {
  return (
    await request(path, undefined, undefined, { method, ...(body ? { body } : {}) })
  ).json() as Promise<T>;
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

export interface AlertMark {
  reportId: string;
  state: 'acknowledged' | 'false-positive';
  by: string;
  at: number;
  note?: string;
}

export interface Suppressed {
  reportId: string;
  rule: string;
  by: string;
  why: string;
}

/** The workflow's word on a report: an operator's mark, a rule that kept it from the alerter. */
export interface ReportState {
  mark?: AlertMark;
  suppressed?: Suppressed;
}

export interface SuppressionRule {
  id: string;
  cidr: string;
  type?: string;
  org?: string;
  expires?: number;
  by: string;
  why: string;
  created: number;
  active: boolean;
}

export interface Episode {
  key: string;
  ip: string;
  org?: string;
  country?: string;
  role: 'source' | 'destination';
  type: string;
  firstWindow: number;
  lastWindow: number;
  windows: number[];
  maxScore: number;
  latest: string;
  state: ReportState;
  suppressed: number;
}

export interface ReportRow extends ReportState {
  id: string;
  ip: string;
  org?: string;
  role: 'source' | 'destination';
  type: string;
  hostKind: 'client' | 'server';
  country?: string;
  ports?: number[];
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

export interface ReportDetail extends ReportState {
  report: ReportRow & {
    rule: string;
    exceeded: {
      metric: string;
      value: number;
      threshold: number;
      op: string;
      /** What a learned threshold was judged against (absent: pinned or fixed). */
      basis?: {
        learned?: number;
        quantile: number;
        margin: number;
        n: number;
        from: string;
        minimum: number;
      };
    }[];
    /** `day …`, `days …`, `this window` or `pinned`. */
    baseline?: string;
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
  /** The report's mitigation sentence in the language asked for. */
  mitigation: string | null;
  /** The signatures learned from this attacker (none for a victim). */
  signatures: { signature: string; protocol: number; strength: number }[];
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
  /** One exchange for an exact signature, several for a profile (docs/hunt.md), heaviest first. */
  combos: { packets: number; octets: number; weight: number }[];
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
  /** Profiles: share of the host's flows to the port on the profile's exchanges, and how alike its mix is. */
  coverage?: number;
  similarity?: number;
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
  from: number;
  to: number;
  inRange: { reports: number; events: number; topTypes: { type: string; reports: number; events: number }[] };
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
  metricNames: Record<string, Record<string, string>>;
}
