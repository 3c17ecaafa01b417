/**
 * @module Datagrams packed back to back into one buffer, so the receive
 * thread hands thousands of them to a decoding worker in one transfer
 * instead of one message each.
 *
 * Frame: u16 payload length, u8 kind (0 NetFlow/IPFIX, 1 sFlow), u8 unused,
 * 4 × u32 exporter address words, f64 receive time (ms), payload.
 */

import type { AddrWords } from '../flow/address.js';

export const KIND_NETFLOW = 0;
export const KIND_SFLOW = 1;
const HEAD = 2 + 1 + 1 + 16 + 8;

export class FramePacker {
  private buf: Buffer;
  private off = 0;
  count = 0;

  constructor(private readonly size = 1 << 20) {
    this.buf = Buffer.allocUnsafe(size);
  }

  get bytes(): number {
    return this.off;
  }

  /** Returns false when the frame does not fit; take() first, then add again. */
  add(kind: number, exporter: AddrWords, receivedMs: number, payload: Uint8Array): boolean {
    const need = HEAD + payload.length;
    if (payload.length > 0xffff) return true; // cannot be a UDP payload; dropped by the caller's accounting
    if (this.off + need > this.size) return false;
    const b = this.buf;
    let o = this.off;
    b.writeUInt16LE(payload.length, o);
    b[o + 2] = kind;
    b[o + 3] = 0;
    b.writeUInt32LE(exporter[0], o + 4);
    b.writeUInt32LE(exporter[1], o + 8);
    b.writeUInt32LE(exporter[2], o + 12);
    b.writeUInt32LE(exporter[3], o + 16);
    b.writeDoubleLE(receivedMs, o + 20);
    o += HEAD;
    b.set(payload, o);
    this.off = o + payload.length;
    this.count++;
    return true;
  }

  /** Hands over the packed frames (the buffer can be transferred) and starts a new one. */
  take(): { buffer: ArrayBuffer; length: number; count: number } {
    const out = { buffer: this.buf.buffer as ArrayBuffer, length: this.off, count: this.count };
    // A fresh, unpooled buffer each time: the old one is transferred to the worker.
    this.buf = Buffer.from(new ArrayBuffer(this.size));
    this.off = 0;
    this.count = 0;
    return out;
  }
}

export interface Frame {
  kind: number;
  exporter: [number, number, number, number];
  receivedMs: number;
  payload: Uint8Array;
}

/** Iterates the frames of a packed buffer (written by {@link FramePacker}, so well-formed). */
export function* unpackFrames(buffer: ArrayBuffer, length: number): Generator<Frame> {
  const view = new DataView(buffer);
  let o = 0;
  while (o + HEAD <= length) {
    const len = view.getUint16(o, true);
    const frame: Frame = {
      kind: view.getUint8(o + 2),
      exporter: [
        view.getUint32(o + 4, true),
        view.getUint32(o + 8, true),
        view.getUint32(o + 12, true),
        view.getUint32(o + 16, true),
      ],
      receivedMs: view.getFloat64(o + 20, true),
      payload: new Uint8Array(buffer, o + HEAD, Math.min(len, length - o - HEAD)),
    };
    o += HEAD + len;
    yield frame;
  }
}
