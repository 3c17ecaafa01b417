/**
 * @module What the line-oriented formats share: a streaming line splitter
 * with a cap on line length, the batching of parsed flows, and sniffing
 * helpers.
 *
 * A file is read in chunks and split into lines as it arrives; a line longer
 * than the cap (a binary file, or a file without newlines) is reported once
 * and skipped up to the next newline, so memory stays bounded whatever the
 * input. Line numbers are 1-based and count every line, blank ones included,
 * so they match what an editor shows.
 */

import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { type AddrWords, parseAddress } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import type { ImportFormat, ImportSink } from './format.js';

/** Flows per batch handed to the sink. */
export const BATCH_ROWS = 4096;

/** What a parser says about one line. `undefined` means: accepted, or nothing to read on it (blank, header). */
export type LineOutcome = undefined | { reject: string } | { skip: string };

export interface LineParser {
  /**
   * Reads one line (without its line break). An accepted flow is written with
   * `out.add()` and its columns; a rejected line must leave `out` untouched.
   */
  line(text: string, no: number, out: FlowBatch): LineOutcome;
}

export interface TextFormatSpec {
  name: string;
  description: string;
  /** Longest line accepted, in characters. */
  maxLine: number;
  /** Looks at the first non-blank line of the file. */
  sniffLine(line: string): boolean;
  /** A fresh parser per file (parsers keep state such as the header's column map). */
  parser(): LineParser;
}

/** Builds an {@link ImportFormat} from a line parser. */
export function textFormat(spec: TextFormatSpec): ImportFormat {
  return {
    name: spec.name,
    description: spec.description,
    sniff: (head) => {
      const line = firstLine(head);
      return line !== undefined && spec.sniffLine(line);
    },
    read: (path, sink) => readText(path, sink, spec),
  };
}

async function readText(path: string, sink: ImportSink, spec: TextFormatSpec): Promise<void> {
  const parser = spec.parser();
  let cur = new FlowBatch(BATCH_ROWS);
  const full: FlowBatch[] = [];
  await eachLine(path, spec.maxLine, {
    line(text, no) {
      const r = parser.line(text, no, cur);
      if (r === undefined) {
        if (cur.length >= BATCH_ROWS) {
          full.push(cur);
          cur = new FlowBatch(BATCH_ROWS);
        }
      } else if ('reject' in r) {
        sink.reject(no, r.reject);
      } else {
        sink.skip?.(no, r.skip);
      }
    },
    tooLong(no) {
      sink.reject(no, `line longer than ${spec.maxLine} characters (not ${spec.name}?)`);
    },
    async chunk(bytes) {
      for (const b of full.splice(0)) await sink.batch(b);
      sink.progress?.(bytes);
    },
  });
  if (cur.length > 0) await sink.batch(cur);
}

interface LineHandler {
  line(text: string, no: number): void;
  /** A line over the cap; its text is dropped. */
  tooLong(no: number): void;
  /** After each chunk of the file, awaited before the next is read. */
  chunk(bytesSoFar: number): Promise<void>;
}

/** Splits a file into lines (LF or CRLF; a leading UTF-8 BOM is dropped). */
export async function eachLine(path: string, maxLine: number, h: LineHandler): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let no = 0;
  let bytes = 0;
  let dropping = false; // inside an over-long line: discard up to the next newline
  let first = true;
  const emit = (text: string) => {
    no++;
    if (text.length > maxLine) return h.tooLong(no);
    let t = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (first) {
      first = false;
      if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    }
    h.line(t, no);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      const text = carry + decoder.write(chunk);
      let pos = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', pos)) {
        if (dropping) dropping = false;
        else emit(text.slice(pos, nl));
        pos = nl + 1;
      }
      carry = dropping ? '' : text.slice(pos);
      if (carry.length > maxLine) {
        no++;
        first = false;
        h.tooLong(no);
        carry = '';
        dropping = true;
      }
      await h.chunk(bytes);
    }
    const rest = carry + decoder.end();
    if (!dropping && rest !== '') emit(rest);
    await h.chunk(bytes);
  } finally {
    stream.destroy();
  }
}

/** The first non-blank line of a file's head (BOM dropped), if the head is text. */
export function firstLine(head: Buffer): string | undefined {
  if (head.includes(0)) return undefined; // binary
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  for (const raw of text.split('\n')) {
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (l.trim() !== '') return l;
  }
  return undefined;
}

/** Parses a whole decimal number within [0, max]; NaN otherwise. */
export function uint(text: string, max: number): number {
  const t = text.trim();
  if (!/^\d{1,16}$/.test(t)) return Number.NaN;
  const v = Number(t);
  return v <= max ? v : Number.NaN;
}

/**
 * {@link parseAddress}, with a fast path for the plain dotted quads that
 * make up most flow files (no split, no regular expression).
 */
export function address(text: string): AddrWords | undefined {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return parseAddress(text);
    } else if (c === 46 && digits > 0 && dots < 3) {
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return parseAddress(text);
    }
  }
  if (dots !== 3 || digits === 0) return parseAddress(text);
  return [0, 0, 0xffff, (v * 256 + part) >>> 0];
}
