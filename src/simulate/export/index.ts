/** @module Export packets from flow batches: NetFlow v9 and IPFIX encoders. */

import type { WireFormat } from './encoder.js';
import { ipfix } from './ipfix.js';
import { netflow9 } from './netflow9.js';

export { type EncoderOptions, ExportEncoder, type PacketSink, type WireFormat } from './encoder.js';
export { ipfix } from './ipfix.js';
export { netflow9 } from './netflow9.js';

export const WIRE_FORMATS: Readonly<Record<'v9' | 'ipfix', WireFormat>> = { v9: netflow9, ipfix };
