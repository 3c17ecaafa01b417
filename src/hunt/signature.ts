/**
 * @module The signature value: what an attacker's flows look like on one
 * port, and how strong that evidence is.
 *
 * A signature is a protocol, a destination port and one or more exchanges
 * (packets per flow, octets per flow), each with its share of the flows:
 * - **exact**: one exchange, written `port-packets-octets` as in the paper
 *   (`22-4-240`, `1433-3-152`);
 * - **profile**: several exchanges on the same port, for bots that mix a
 *   login that fails with one that succeeds, or a retry, written
 *   `port:packets-octets=percent,...`, heaviest first
 *   (`1433:3-152=45,4-208=30,2-92=25`).
 * The protocol is TCP unless a suffix says otherwise (`53-1-70/udp`,
 * `53-1-70/17`); stored documents and the API keep it in its own field.
 *
 * Text is parsed here once, where it enters (CLI, API, stored documents),
 * and printed here once; everything between passes the value. Two profiles
 * with the same exchanges are the same signature whatever their percentages
 * ({@link signatureKey}).
 *
 * Strength orders the catalog: more packets, more payload beyond the bare
 * headers, and more distinct attackers make a signature more specific, so a
 * host matching it is more surely one of the same kind. Bare SYN probes
 * (`x-1-40`, `x-1-44`, `x-1-48`, `x-1-52`: one packet, headers and options
 * only) match any scanner of that port and rank last.
 */

/** One exchange of a signature: packets and octets per flow, and its share of the signature's flows. */
export interface Combo {
  readonly packets: number;
  readonly octets: number;
  /** Share of the signature's flows, in (0, 1]; the combos of a signature sum to 1. */
  readonly weight: number;
}

export interface SignatureKey {
  readonly protocol: number;
  readonly port: number;
  /** Heaviest first (then fewer packets, then fewer octets); one for an exact signature. */
  readonly combos: readonly Combo[];
}

/** Most exchanges a profile may have: more is a client of the port, not one kind of bot. */
export const MAX_COMBOS = 4;

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };
const PROTOCOL_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp' };

export function exactSignature(
  protocol: number,
  port: number,
  packets: number,
  octets: number,
): SignatureKey {
  return { protocol, port, combos: [{ packets, octets, weight: 1 }] };
}

/** A signature from exchanges and their (unnormalised) weights: sorted, merged and normalised. */
export function profileSignature(
  protocol: number,
  port: number,
  combos: readonly { packets: number; octets: number; weight: number }[],
): SignatureKey {
  const merged = new Map<string, { packets: number; octets: number; weight: number }>();
  for (const c of combos) {
    const k = `${c.packets}-${c.octets}`;
    const m = merged.get(k);
    if (m) m.weight += c.weight;
    else merged.set(k, { ...c });
  }
  const total = [...merged.values()].reduce((a, c) => a + c.weight, 0);
  const list = [...merged.values()].map((c) => ({ ...c, weight: total > 0 ? c.weight / total : 0 }));
  list.sort(compareCombos);
  return { protocol, port, combos: list };
}

function compareCombos(a: Combo, b: Combo): number {
  return b.weight - a.weight || a.packets - b.packets || a.octets - b.octets;
}

export function isProfile(s: SignatureKey): boolean {
  return s.combos.length > 1;
}

/** The heaviest exchange (the only one of an exact signature). */
export function mainCombo(s: SignatureKey): Combo {
  return s.combos[0]!;
}

/**
 * Percentages that sum to exactly 100 (largest remainder), so a printed
 * profile reads back to the same weights.
 */
function percents(combos: readonly Combo[]): number[] {
  const raw = combos.map((c) => c.weight * 100);
  const out = raw.map((r) => Math.floor(r));
  let left = 100 - out.reduce((a, b) => a + b, 0);
  const order = raw
    .map((r, i) => ({ i, frac: r - Math.floor(r) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let j = 0; left > 0 && j < order.length; j++, left--) out[order[j]!.i]!++;
  return out;
}

/** The documented form, without the protocol: `22-4-240`, `1433:3-152=45,4-208=30,2-92=25`. */
export function signatureText(s: SignatureKey): string {
  if (!isProfile(s)) {
    const c = mainCombo(s);
    return `${s.port}-${c.packets}-${c.octets}`;
  }
  const pct = percents(s.combos);
  return `${s.port}:${s.combos.map((c, i) => `${c.packets}-${c.octets}=${pct[i]}`).join(',')}`;
}

/** The documented form with the protocol when it is not TCP (`53-1-70/udp`): what a user types back. */
export function signatureLabel(s: SignatureKey): string {
  if (s.protocol === 6) return signatureText(s);
  return `${signatureText(s)}/${PROTOCOL_NAMES[s.protocol] ?? s.protocol}`;
}

/**
 * The identity of a signature: protocol, port and exchanges, not their
 * percentages (`6/22-4-240`, `6/1433:2-92,3-152,4-208`).
 */
export function signatureKey(s: SignatureKey): string {
  if (!isProfile(s)) return `${s.protocol}/${signatureText(s)}`;
  const cs = [...s.combos].sort((a, b) => a.packets - b.packets || a.octets - b.octets);
  return `${s.protocol}/${s.port}:${cs.map((c) => `${c.packets}-${c.octets}`).join(',')}`;
}

/** The signature a stored finding or catalog entry names (its text and protocol fields). */
export function signatureOf(r: { signature: string; protocol: number }): SignatureKey | undefined {
  return parseSignature(r.signature, r.protocol);
}

/** The identity of a stored finding's or catalog entry's signature (see {@link signatureKey}). */
export function keyOf(r: { signature: string; protocol: number }): string {
  const s = signatureOf(r);
  return s ? signatureKey(s) : `${r.protocol}/${r.signature}`;
}

/** Orders signatures by port, then their heaviest exchange, then their text: the order lists use. */
export function compareSignatures(a: SignatureKey, b: SignatureKey): number {
  const x = mainCombo(a);
  const y = mainCombo(b);
  return (
    a.port - b.port ||
    x.packets - y.packets ||
    x.octets - y.octets ||
    a.combos.length - b.combos.length ||
    a.protocol - b.protocol ||
    signatureKey(a).localeCompare(signatureKey(b))
  );
}

/** The accepted forms, for messages and help texts. */
export const SIGNATURE_FORMS =
  'PORT-PACKETS-OCTETS, or a profile PORT:PACKETS-OCTETS=PERCENT,..., optionally /udp (e.g. 22-4-240, 53-1-64/udp, 1433:3-152=60,4-208=40)';

/**
 * A text that sorts as {@link compareSignatures} orders exact signatures
 * (by port, packets, octets), for string-keyed sorts of stored rows; a
 * signature that does not parse sorts first.
 */
export function sortKeyOf(r: { signature: string; protocol: number }): string {
  const s = signatureOf(r);
  if (!s) return '';
  const c = mainCombo(s);
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return `${pad(s.port, 5)}-${pad(c.packets, 9)}-${pad(c.octets, 12)}-${s.combos.length}-${pad(s.protocol, 3)}-${signatureKey(s)}`;
}

const COMBO = /^(\d{1,9})-(\d{1,12})(?:=(\d{1,3}(?:\.\d{1,4})?))?$/;

/**
 * Reads the documented form (see the module comment), optionally with a
 * protocol suffix `/tcp`, `/udp`, `/icmp` or `/N`; `protocol` is used when
 * the text has none (TCP by default). Undefined for anything else: a port
 * above 65535, fewer octets than packets, no packets, the same exchange
 * twice, more than {@link MAX_COMBOS} exchanges, or percentages on some
 * exchanges and not others.
 */
export function parseSignature(text: string, protocol = 6): SignatureKey | undefined {
  let t = text.trim();
  let proto = protocol;
  const slash = t.lastIndexOf('/');
  if (slash >= 0) {
    const p = t.slice(slash + 1).toLowerCase();
    const n = PROTOCOLS[p] ?? (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN);
    if (!(n >= 0 && n <= 255)) return undefined;
    proto = n;
    t = t.slice(0, slash);
  }
  const exact = /^(\d{1,5})-(\d{1,9})-(\d{1,12})$/.exec(t);
  if (exact) {
    const port = Number(exact[1]);
    const c = combo(Number(exact[2]), Number(exact[3]));
    if (port > 65535 || !c) return undefined;
    return exactSignature(proto, port, c.packets, c.octets);
  }
  const prof = /^(\d{1,5}):(.+)$/.exec(t);
  if (!prof) return undefined;
  const port = Number(prof[1]);
  if (port > 65535) return undefined;
  const parts = prof[2]!.split(',');
  if (parts.length < 2 || parts.length > MAX_COMBOS) return undefined;
  const combos: { packets: number; octets: number; weight: number }[] = [];
  let weighted = 0;
  for (const part of parts) {
    const m = COMBO.exec(part);
    if (!m) return undefined;
    const c = combo(Number(m[1]), Number(m[2]));
    if (!c || combos.some((x) => x.packets === c.packets && x.octets === c.octets)) return undefined;
    const w = m[3] === undefined ? 1 : Number(m[3]);
    if (m[3] !== undefined) {
      if (!(w > 0)) return undefined;
      weighted++;
    }
    combos.push({ ...c, weight: w });
  }
  if (weighted !== 0 && weighted !== combos.length) return undefined;
  return profileSignature(proto, port, combos);
}

function combo(packets: number, octets: number): { packets: number; octets: number } | undefined {
  if (packets < 1 || octets < packets) return undefined;
  return { packets, octets };
}

/** Bytes of the headers a packet carries with no payload: IPv4 + TCP (40) or UDP (28). */
export function headerBytes(protocol: number): number {
  return protocol === 6 ? 40 : protocol === 17 ? 28 : protocol === 1 ? 28 : 20;
}

/** Payload bytes per packet beyond the bare headers (never negative). */
export function payloadPerPacket(protocol: number, c: Pick<Combo, 'packets' | 'octets'>): number {
  return Math.max(0, c.octets / c.packets - headerBytes(protocol));
}

function isBareCombo(protocol: number, c: Pick<Combo, 'packets' | 'octets'>): boolean {
  return c.packets === 1 && c.octets <= headerBytes(protocol) + 12;
}

/** Every exchange is one packet of headers and at most TCP options: a bare SYN-style probe. */
export function isBareProbe(s: SignatureKey): boolean {
  return s.combos.every((c) => isBareCombo(s.protocol, c));
}

/**
 * Strength: (1 + ln packets) × (1 + ln(1 + payload bytes per packet)) per
 * exchange, 0 for a bare probe; a profile takes its exchanges' mean by
 * weight; times (1 + ln attackers). Bare probes (every exchange bare) are 0
 * and so always rank last.
 */
export function strength(s: SignatureKey, attackers: number): number {
  if (isBareProbe(s)) return 0;
  let spec = 0;
  for (const c of s.combos) {
    if (isBareCombo(s.protocol, c)) continue;
    spec += c.weight * (1 + Math.log(c.packets)) * (1 + Math.log1p(payloadPerPacket(s.protocol, c)));
  }
  const v = spec * (1 + Math.log(Math.max(1, attackers)));
  return Math.round(v * 100) / 100;
}
