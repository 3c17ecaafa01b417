/**
 * @module Reads IPFIX files (RFC 5655): IPFIX messages back to back, each
 * starting with version 10 and its own length. Read forward in chunks; a
 * truncated or corrupt file ends the reading with a counted error.
 */

import type { AddrWords } from '../flow/address.js';
import type { ImportFormat } from './format.js';
import { type ChunkReader, ExportImporter, openChunks } from './pcap.js';
import { progressEvery } from './progress.js';

export interface IpfixFileReport {
  messages: number;
  errors: { message: number; text: string }[];
}

/** The exporter of a file's messages: an IPFIX file does not say which device sent them. */
export const FILE_EXPORTER: AddrWords = [0, 0, 0xffff, 0];

/** True when the bytes start like an IPFIX message (version 10, a length of at least 16). */
export function isIpfixFile(head: Uint8Array): boolean {
  if (head.length < 16) return false;
  const dv = new DataView(head.buffer, head.byteOffset, 16);
  return dv.getUint16(0) === 10 && dv.getUint16(2) >= 16;
}

/**
 * Calls `onMessage` with each message, numbered from 1: a view of the
 * reader's buffer, valid until `onMessage` returns (the decoder reads a
 * message through before it awaits anything, and copies what it holds).
 */
export async function readIpfixFile(
  r: ChunkReader,
  onMessage: (index: number, msg: Uint8Array) => void | Promise<void>,
): Promise<IpfixFileReport> {
  const report: IpfixFileReport = { messages: 0, errors: [] };
  for (;;) {
    // Awaited only when the buffer must be refilled: one await per message cost more than its decoding.
    if (r.available < 16 && !(await r.ensure(16))) {
      if (r.available > 0)
        report.errors.push({
          message: report.messages + 1,
          text: 'file ends inside a message header (truncated file)',
        });
      return report;
    }
    const version = r.view.getUint16(r.pos);
    const len = r.view.getUint16(r.pos + 2);
    if (version !== 10 || len < 16) {
      report.errors.push({
        message: report.messages + 1,
        text: `not an IPFIX message (version ${version}, length ${len}): the rest of the file is not read`,
      });
      return report;
    }
    if (r.available < len && !(await r.ensure(len))) {
      report.errors.push({
        message: report.messages + 1,
        text: 'file ends inside a message (truncated file)',
      });
      return report;
    }
    report.messages++;
    const pending = onMessage(report.messages, r.bytes.subarray(r.pos, r.pos + len));
    if (pending) await pending;
    r.skip(len);
  }
}

export const ipfixFileFormat: ImportFormat = {
  name: 'ipfix',
  description: 'IPFIX file (RFC 5655): IPFIX messages back to back',
  sniff: (head) => isIpfixFile(head),
  async read(path, sink) {
    const { reader, close } = await openChunks(path);
    try {
      const imp = new ExportImporter(sink);
      const progress = progressEvery(sink);
      const report = await readIpfixFile(reader, (k, msg) => {
        progress.at(reader.consumed);
        return imp.datagram(k, FILE_EXPORTER, msg, 0);
      });
      await imp.finish();
      progress.end(reader.consumed);
      for (const e of report.errors) sink.reject(e.message, e.text);
    } finally {
      await close();
    }
  },
};
