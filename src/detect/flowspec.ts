/**
 * @module Mitigation lines for a victim report, for the operator to paste
 * into ExaBGP (or read as a recipe for any router): BGP Flowspec rules
 * (RFC 8955) that match the attack — the victim as destination, the attack's
 * protocol, its main destination ports, or for reflection the amplifying
 * service's source ports — and discard it, and the RTBH alternative (the
 * victim's host route with the BLACKHOLE community, RFC 7999), which drops
 * everything to the victim, the attack's work done for it, so last.
 * Suggestions only: nothing here talks to a router.
 */

import type { Report } from './report.js';

const PROTO_NAMES: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'ipv6-icmp' };

/** A value is worth a match term when it carries at least this share of the attack. */
const MIN_SHARE = 0.2;

export interface MitigationOptions {
  /** The next hop of RTBH routes (a discard route on the edge routers). */
  blackholeNextHop?: string;
}

function host(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

/** The main values of a profile dimension, heaviest first. */
function main(r: Report, dim: 'protocols' | 'dstPorts' | 'srcPorts'): string[] {
  const d = r.profile[dim];
  return (d?.top ?? []).filter((v) => v.share >= MIN_SHARE).map((v) => v.value);
}

/**
 * ExaBGP API lines (`announce flow route …`, `announce route …`) for a
 * victim report, each preceded by a `#` comment that says what it does.
 */
export function mitigationLines(r: Report, o: MitigationOptions = {}): string {
  if (r.role !== 'destination') throw new Error(`${r.id} is not a victim report`);
  const out: string[] = [
    `# flowhunt: mitigation suggestions for ${r.type} against ${r.ip}, window ${new Date(r.windowStart).toISOString()}`,
    '# Check before use: a rule that matches legitimate traffic drops it too.',
  ];
  const dst = `destination ${host(r.ip)};`;
  const protos = main(r, 'protocols');
  for (const p of protos.length ? protos : ['']) {
    const name = PROTO_NAMES[p] ?? p;
    const proto = p ? ` protocol ${name};` : '';
    if (r.type === 'reflection-victim' && (p === '17' || p === '')) {
      const ports = main(r, 'srcPorts');
      if (ports.length) {
        out.push(`# Amplified replies from source port(s) ${ports.join(', ')}`);
        out.push(
          `announce flow route { match { ${dst}${proto} source-port ${ports.map((x) => `=${x}`).join(' ')}; } then { discard; } }`,
        );
        continue;
      }
    }
    const ports = p === '6' || p === '17' ? main(r, 'dstPorts') : [];
    out.push(
      `# ${name ? name.toUpperCase() : 'All'} traffic to ${r.ip}${ports.length ? ` on port(s) ${ports.join(', ')}` : ''}`,
    );
    const portTerm = ports.length ? ` destination-port ${ports.map((x) => `=${x}`).join(' ')};` : '';
    out.push(`announce flow route { match { ${dst}${proto}${portTerm} } then { discard; } }`);
  }
  out.push('# Last resort, remotely triggered black hole: drops all traffic to the victim');
  out.push(
    `announce route ${host(r.ip)} next-hop ${o.blackholeNextHop ?? '192.0.2.1'} community [65535:666]`,
  );
  return `${out.join('\n')}\n`;
}
