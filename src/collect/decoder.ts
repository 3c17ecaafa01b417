/** @module The decoder as a worker uses it: one DecoderState per worker, both datagram families. */

import { DecoderState, decodePacket, decodeSflow } from '../decode/index.js';
import type { AddrWords } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';
import { KIND_SFLOW } from './framing.js';
import type { ExporterDecodeStats } from './stats.js';

export interface PacketDecoder {
  decode(kind: number, exporter: AddrWords, payload: Uint8Array, receivedMs: number, out: FlowBatch): void;
  stats(): ExporterDecodeStats[];
}

export function createPacketDecoder(): PacketDecoder {
  const state = new DecoderState();
  return {
    decode(kind, exporter, payload, receivedMs, out) {
      if (kind === KIND_SFLOW) decodeSflow(state, payload, receivedMs, out, exporter);
      else decodePacket(state, exporter, payload, receivedMs, out);
    },
    stats() {
      const domains = state.domainStats();
      return state.exporterStats().map((s) => ({
        domains: domains.get(s.exporter) ?? [],
        exporter: s.exporter,
        records: s.records,
        errors: Object.fromEntries(Object.entries(s.errors).filter(([, n]) => n > 0)),
        dropped: Object.fromEntries(Object.entries(s.dropped).filter(([, n]) => n > 0)),
        sequenceGaps: s.sequenceGaps,
        templates: s.templates,
      }));
    },
  };
}
