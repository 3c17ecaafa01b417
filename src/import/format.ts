/**
 * @module The import formats: what a file reader is, and the list of them.
 *
 * Every format — text (nfdump CSV, Argus binetflow, Zeek conn.log, JSON lines) or binary
 * (pcap, pcapng, nfdump's nfcapd files, IPFIX files) — is one {@link ImportFormat}: a name, a
 * `sniff` that recognises the format from the first bytes of a file (for
 * `--format auto`), and a streaming `read` that hands {@link FlowBatch}es of
 * a few thousand flows to a sink and reports what it could not read. A
 * reader never holds a whole file: memory stays bounded for any file size.
 *
 * Adding a format is one entry in {@link FORMATS}; `flowhunt import --format`
 * accepts every name listed there.
 */

import type { FlowBatch } from '../flow/batch.js';
import { binetflowFormat } from './binetflow.js';
import { ipfixFileFormat } from './ipfix-file.js';
import { jsonlFormat } from './jsonl.js';
import { FORMAT_NAMES, type FormatName } from './names.js';
import { nfcapdFormat } from './nfcapd.js';
import { nfdumpCsvFormat } from './nfdump-csv.js';
import { pcapFormat } from './pcap.js';
import type { TimeZone } from './times.js';
import { zeekFormat } from './zeek.js';

/** Where a reader sends what it read. */
export interface ImportSink {
  /**
   * A batch of flows; the sink owns it from now on (a reader starts a new
   * batch). The reader awaits the result, which is how a slow sink pushes back.
   */
  batch(b: FlowBatch): void | Promise<void>;
  /**
   * Input that could not be read as a flow. `where` is the 1-based line for
   * text formats, the 1-based record or packet index for binary ones. The
   * sink may throw (e.g. under `--strict`) and the read stops with that error.
   */
  reject(where: number, message: string): void;
  /** Input that is well-formed but holds no IP flow (an ARP record), counted apart from rejects. */
  skip?(where: number, reason: string): void;
  /** Bytes of the file consumed so far, for progress reporting. */
  progress?(bytes: number): void;
}

/** How to read a file, beyond its bytes. */
export interface ReadOptions {
  /** The zone of times printed without one (`--tz`); default this process's zone. */
  tz?: TimeZone;
}

export interface ImportFormat {
  /** The `--format` name. */
  readonly name: string;
  /** One line for `--help` and error messages. */
  readonly description: string;
  /**
   * True when `head` (the first bytes of the file, up to {@link SNIFF_BYTES})
   * looks like this format. Binary formats check magic numbers; text formats
   * the header line or the shape of the first data line.
   */
  sniff(head: Buffer, path: string): boolean;
  /**
   * True when the format's times are wall-clock times without a zone
   * (nfdump CSV, binetflow): they are read in {@link ReadOptions.tz}, and
   * the import warns when none was given.
   */
  readonly zoneless?: boolean;
  /** Streams the file into the sink. Throws only for what ends the whole read (I/O errors, a sink's throw). */
  read(path: string, sink: ImportSink, opts?: ReadOptions): Promise<void>;
}

/** How much of a file `sniff` gets to see. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * The formats, in sniffing order: binary formats with magic numbers go
 * first, then the text formats, whose sniffs look at the first line.
 */
// Binary formats first: their magic numbers are the surest sniff.
const READERS: Record<FormatName, ImportFormat> = {
  pcap: pcapFormat,
  nfcapd: nfcapdFormat,
  ipfix: ipfixFileFormat,
  'nfdump-csv': nfdumpCsvFormat,
  binetflow: binetflowFormat,
  // before jsonl: its JSON form is JSON lines too
  zeek: zeekFormat,
  jsonl: jsonlFormat,
};
export const FORMATS: readonly ImportFormat[] = FORMAT_NAMES.map((n) => READERS[n]);
for (const n of FORMAT_NAMES)
  if (READERS[n].name !== n) throw new Error(`import format ${n} is named ${READERS[n].name}`);

export function formatNames(): string[] {
  return [...FORMAT_NAMES];
}

export function formatByName(name: string): ImportFormat | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** The first format whose sniff accepts the head, if any. */
export function detectFormat(head: Buffer, path: string): ImportFormat | undefined {
  return FORMATS.find((f) => f.sniff(head, path));
}
