/**
 * @module The import formats: what a file reader is, and the list of them.
 *
 * Every format — text (nfdump CSV, Argus binetflow, JSON lines) or binary
 * (pcap, pcapng, IPFIX files) — is one {@link ImportFormat}: a name, a
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
import { nfdumpCsvFormat } from './nfdump-csv.js';
import { pcapFormat } from './pcap.js';

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
  /** Streams the file into the sink. Throws only for what ends the whole read (I/O errors, a sink's throw). */
  read(path: string, sink: ImportSink): Promise<void>;
}

/** How much of a file `sniff` gets to see. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * The formats, in sniffing order: binary formats with magic numbers go
 * first, then the text formats, whose sniffs look at the first line.
 */
// Binary formats first: their magic numbers are the surest sniff.
export const FORMATS: readonly ImportFormat[] = [
  pcapFormat,
  ipfixFileFormat,
  nfdumpCsvFormat,
  binetflowFormat,
  jsonlFormat,
];

export function formatNames(): string[] {
  return FORMATS.map((f) => f.name);
}

export function formatByName(name: string): ImportFormat | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** The first format whose sniff accepts the head, if any. */
export function detectFormat(head: Buffer, path: string): ImportFormat | undefined {
  return FORMATS.find((f) => f.sniff(head, path));
}
