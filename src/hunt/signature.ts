/**
 * @module Port-packets-octets signatures and their strength.
 *
 * A signature is the exact (protocol, destination port, packets per flow,
 * octets per flow) of the flows an attacker sends again and again, written
 * `port-packets-octets` as in the paper (`22-4-240`, `1433-3-152`). Its
 * strength orders the catalog: more packets, more payload beyond the bare
 * headers, and more distinct attackers make a signature more specific, so a
 * host matching it is more surely one of the same kind. Bare SYN probes
 * (`x-1-40`, `x-1-44`, `x-1-48`, `x-1-52`: one packet, headers and options
 * only) match any scanner of that port and rank last.
 */

export interface SignatureKey {
  protocol: number;
  port: number;
  packets: number;
  octets: number;
}

export function signatureText(s: Pick<SignatureKey, 'port' | 'packets' | 'octets'>): string {
  return `${s.port}-${s.packets}-${s.octets}`;
}

/** `22-4-240`, optionally with a protocol suffix `/tcp` or `/17`. */
export function parseSignature(text: string): SignatureKey | undefined {
  const m = /^(\d{1,5})-(\d{1,9})-(\d{1,12})(?:\/(tcp|udp|icmp|\d{1,3}))?$/i.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[1]);
  const packets = Number(m[2]);
  const octets = Number(m[3]);
  if (port > 65535 || packets < 1 || octets < packets) return undefined;
  const p = (m[4] ?? 'tcp').toLowerCase();
  const protocol = p === 'tcp' ? 6 : p === 'udp' ? 17 : p === 'icmp' ? 1 : Number(p);
  if (protocol > 255) return undefined;
  return { protocol, port, packets, octets };
}

export function signatureKey(s: SignatureKey): string {
  return `${s.protocol}/${s.port}-${s.packets}-${s.octets}`;
}

/** Bytes of the headers a packet carries with no payload: IPv4 + TCP (40) or UDP (28). */
export function headerBytes(protocol: number): number {
  return protocol === 6 ? 40 : protocol === 17 ? 28 : protocol === 1 ? 28 : 20;
}

/** Payload bytes per packet beyond the bare headers (never negative). */
export function payloadPerPacket(s: SignatureKey): number {
  return Math.max(0, s.octets / s.packets - headerBytes(s.protocol));
}

/** One packet of headers and at most TCP options: a bare SYN-style probe. */
export function isBareProbe(s: SignatureKey): boolean {
  return s.packets === 1 && s.octets <= headerBytes(s.protocol) + 12;
}

/**
 * Strength: (1 + ln packets) × (1 + ln(1 + payload bytes per packet)) ×
 * (1 + ln attackers), and 0 for bare probes so they always rank last.
 */
export function strength(s: SignatureKey, attackers: number): number {
  if (isBareProbe(s)) return 0;
  const v =
    (1 + Math.log(s.packets)) *
    (1 + Math.log1p(payloadPerPacket(s))) *
    (1 + Math.log(Math.max(1, attackers)));
  return Math.round(v * 100) / 100;
}
