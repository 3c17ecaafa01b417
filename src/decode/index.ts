/**
 * @module Flow export decoders: NetFlow v5 (and v1), NetFlow v9, IPFIX and
 * sFlow v5, writing flows straight into a {@link FlowBatch}.
 *
 * Every decoder is total: for any bytes it appends flows and/or returns
 * counted, labelled errors; it never throws, and what it keeps between
 * datagrams ({@link DecoderState}) is bounded.
 *
 * @example
 * const state = new DecoderState();
 * const out = new FlowBatch();
 * const r = decodePacket(state, parseAddress('192.0.2.1')!, payload, Date.now(), out);
 * for (const e of r.errors) console.error(e.message);
 */

import type { AddrWords } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';
import type { DecodeResult } from './errors.js';
import { decodeIpfix } from './ipfix.js';
import { decodeNetflow1, decodeNetflow5 } from './netflow5.js';
import { decodeNetflow9 } from './netflow9.js';
import { decodeSflow5, sflowAgent } from './sflow5.js';
import { type DecoderState, fail, finish, newContext } from './state.js';

export type { DecodeError, DecodeErrorCode, DecodeResult } from './errors.js';
export { DECODE_ERROR_CODES } from './errors.js';
export {
  type DecoderLimits,
  DecoderState,
  type DomainStats,
  DROP_REASONS,
  type DropReason,
  type ExporterStats,
  OVERFLOW_EXPORTER,
} from './state.js';
export { TemplateCache, type TemplateCacheLimits } from './template-cache.js';

function view(payload: Uint8Array): DataView {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
}

/**
 * Decodes one NetFlow/IPFIX datagram (or IPFIX message) from `exporter`,
 * dispatching on its version word (1, 5, 9, 10). `receivedMs` stands in for
 * times a datagram does not carry.
 */
export function decodePacket(
  state: DecoderState,
  exporter: AddrWords,
  payload: Uint8Array,
  receivedMs: number,
  out: FlowBatch,
): DecodeResult {
  const dv = view(payload);
  const version = payload.length >= 2 ? dv.getUint16(0) : 0;
  const known = version === 1 || version === 5 || version === 9 || version === 10;
  const ctx = newContext(state, exporter, known ? version : 0, receivedMs, out);
  try {
    if (version === 5) decodeNetflow5(ctx, dv);
    else if (version === 1) decodeNetflow1(ctx, dv);
    else if (version === 9) decodeNetflow9(ctx, dv);
    else if (version === 10) decodeIpfix(ctx, dv);
    else fail(ctx, 'bad-version', `version ${version} is not NetFlow v1/v5/v9 or IPFIX (10)`);
  } catch (e) {
    // Unreachable by design (every read is bounds-checked); kept so a bug costs one datagram, not the collector.
    fail(ctx, 'decoder-fault', `decoder fault: ${(e as Error).message}`);
  }
  return finish(ctx);
}

/** Decodes one sFlow v5 datagram; the exporter is the agent address the datagram names. */
export function decodeSflow(
  state: DecoderState,
  payload: Uint8Array,
  receivedMs: number,
  out: FlowBatch,
  source: AddrWords = [0, 0, 0xffff, 0],
): DecodeResult {
  const dv = view(payload);
  const agent = sflowAgent(dv);
  const ctx = newContext(state, agent?.agent ?? source, 'sflow5', receivedMs, out);
  try {
    if (!agent) fail(ctx, 'bad-version', 'not an sFlow v5 datagram (version 5, agent address type 1 or 2)');
    else decodeSflow5(ctx, dv, agent.pos);
  } catch (e) {
    fail(ctx, 'decoder-fault', `decoder fault: ${(e as Error).message}`);
  }
  return finish(ctx);
}

/** What a datagram is, from its first bytes: `netflow` (v1/v5/v9/IPFIX), `sflow`, or undefined. */
export function sniff(payload: Uint8Array): 'netflow' | 'sflow' | undefined {
  if (payload.length < 4) return undefined;
  const dv = view(payload);
  const v16 = dv.getUint16(0);
  if (v16 === 1 || v16 === 5 || v16 === 9 || v16 === 10) return 'netflow';
  if (dv.getUint32(0) === 5) return 'sflow';
  return undefined;
}

/** Decodes a datagram of either family, by {@link sniff}. */
export function decodeAny(
  state: DecoderState,
  exporter: AddrWords,
  payload: Uint8Array,
  receivedMs: number,
  out: FlowBatch,
): DecodeResult {
  return sniff(payload) === 'sflow'
    ? decodeSflow(state, payload, receivedMs, out, exporter)
    : decodePacket(state, exporter, payload, receivedMs, out);
}
