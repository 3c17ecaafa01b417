/** @module Parses `--out`: `udp://HOST:PORT[?format=v9|ipfix&rate=N]`, `ipfix:FILE` or `store`. */

export type OutTarget =
  | { kind: 'udp'; host: string; port: number; format: 'v9' | 'ipfix'; rate: number }
  | { kind: 'ipfix'; path: string }
  | { kind: 'store' };

/** Flows per second sent when `rate` is not given: what one nfcapd takes without loss. */
export const DEFAULT_UDP_RATE = 100_000;

/** Returns the target, or a message saying what is wrong. */
export function parseOutTarget(text: string): OutTarget | string {
  const t = text.trim();
  if (t === 'store') return { kind: 'store' };
  if (t.startsWith('ipfix:')) {
    const path = t.slice('ipfix:'.length);
    return path ? { kind: 'ipfix', path } : 'ipfix: needs a file name, e.g. ipfix:flows.ipfix';
  }
  if (t.startsWith('udp://')) {
    let u: URL;
    try {
      u = new URL(t);
    } catch {
      return `--out ${JSON.stringify(text)} is not a valid udp://HOST:PORT URL`;
    }
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(u.port);
    if (!host || !Number.isInteger(port) || port < 1 || port > 65535)
      return `--out ${text}: needs a host and a port 1-65535`;
    for (const k of u.searchParams.keys()) {
      if (k !== 'format' && k !== 'rate') return `--out ${text}: unknown parameter ${k} (format, rate)`;
    }
    const format = u.searchParams.get('format') ?? 'v9';
    if (format !== 'v9' && format !== 'ipfix')
      return `--out ${text}: format must be v9 or ipfix, not ${format}`;
    const rateText = u.searchParams.get('rate');
    const rate = rateText === null ? DEFAULT_UDP_RATE : Number(rateText);
    if (!Number.isFinite(rate) || rate < 0 || !/^\d+(\.\d+)?$/.test(rateText ?? '0'))
      return `--out ${text}: rate must be a number of flows per second (0 = unlimited)`;
    return { kind: 'udp', host, port, format, rate };
  }
  return `--out ${JSON.stringify(text)}: use udp://HOST:PORT[?format=v9|ipfix&rate=N], ipfix:FILE or store`;
}
