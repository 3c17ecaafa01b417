/**
 * @module Decode errors as values: a code, a message a person can act on, and
 * where it came from (exporter, version, observation domain, template id),
 * after GoFlow2's `FlowError`. Decoders return them and count them; they are
 * never thrown out of a decoder.
 */

/** Every kind of decode error. The collector exposes one counter per code. */
export const DECODE_ERROR_CODES = {
  'short-packet': 'shorter than its header',
  'bad-version': 'not a NetFlow v5/v9, IPFIX or sFlow v5 datagram',
  'bad-length': 'the header length disagrees with the datagram length',
  'bad-count': 'the NetFlow v5 record count disagrees with the datagram length',
  'bad-set': 'a (flow)set whose length is shorter than its header or runs past the end',
  'bad-template':
    'a template that cannot be used (id below 256, truncated, no fields, or zero-length records)',
  'missing-template': 'a data set whose template has not arrived (held until it does)',
  'pending-dropped': 'a held data set dropped because the queue of its exporter was full',
  'template-evicted': 'a template evicted because its exporter/domain reached its template limit',
  'junk-records':
    'flow records dropped: their template cannot carry flows (no address or counter, under 4 bytes), or the exporter is over its records-per-second limit',
  'truncated-record': 'a data record running past the end of its set',
  'bad-sample': 'an sFlow sample or flow record that is truncated or inconsistent',
  'unsupported-header': 'an sFlow sampled header that is not Ethernet, MPLS, IPv4 or IPv6',
  'bad-header':
    'a captured packet header (sFlow raw header, IPFIX dataLinkFrameSection / ipHeaderPacketSection) cut off before its IP header ends',
  'bad-sampling':
    'a sampling rate of 0, below 1 or above 16,777,216 (options data, a record or an sFlow sample): ignored, never used to scale',
  'decoder-fault': 'a bug in the decoder, caught so that it costs one datagram (never expected)',
} as const;

export type DecodeErrorCode = keyof typeof DECODE_ERROR_CODES;

export interface DecodeError {
  code: DecodeErrorCode;
  message: string;
  /** The exporter's address as text (the sFlow agent for sFlow). */
  exporter: string;
  /** 1, 5, 9, 10 (IPFIX) or 'sflow5'; 0 when the version word itself was bad. */
  version: number | 'sflow5';
  /** Source id (v9) or observation domain (IPFIX). */
  domain?: number;
  templateId?: number;
}

export interface DecodeResult {
  /** Flow records appended to the output batch by this call. */
  records: number;
  /** Errors met in this datagram (at most {@link MAX_ERRORS_PER_PACKET}; all are counted). */
  errors: DecodeError[];
}

/** Keeps the error list of one datagram small whatever the input holds. */
export const MAX_ERRORS_PER_PACKET = 16;

/** Zeroed counters, one per error code. */
export function emptyErrorCounts(): Record<DecodeErrorCode, number> {
  const out = {} as Record<DecodeErrorCode, number>;
  for (const k of Object.keys(DECODE_ERROR_CODES) as DecodeErrorCode[]) out[k] = 0;
  return out;
}
