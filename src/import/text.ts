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

import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { type AddrWords, parseAddress } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import type { ImportFormat, ImportSink, ReadOptions } from './format.js';
import { readChunk } from './read-chunk.js';

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
  /**
   * Optional: reads the line `buf[start, end)` (without its line break, and
   * all ASCII) straight from the file's bytes, for the common shape of a flow line, and
   * returns true; returns false, leaving `out` untouched, for anything else,
   * which then goes to {@link line} as text. Must accept a line only when
   * {@link line} would read it as the same flow.
   */
  bytes?(buf: Buffer, start: number, end: number, out: FlowBatch): boolean;
  /**
   * Optional, with {@link bytes}: finds and reads in one pass the line that
   * starts at `start` (not the file's first line) and ends at the first LF
   * in `buf[start, limit)` (all ASCII): returns the LF's position, having
   * read the line as {@link line} reads its text (up to the LF, without a
   * final CR); or returns -1, leaving `out` untouched, when it does not read
   * it or finds no LF before `limit`, and the line goes to {@link bytes}
   * and {@link line} as usual. Saves looking for each line's end first.
   */
  lineAt?(buf: Buffer, start: number, limit: number, out: FlowBatch): number;
  /**
   * Optional, with {@link lineAt}: reads a run of lines from `start` on
   * (each as {@link lineAt} would, ending at an LF within `maxLine` bytes
   * and before `end`), one flow each, at most `room`; returns where it
   * stopped, the start of the first line it did not read (`start`: none).
   * That line goes to {@link lineAt} and the rest as usual.
   */
  run?(buf: Buffer, start: number, end: number, maxLine: number, out: FlowBatch, room: number): number;
  /** Optional: the buffer the file is read into, a chunk at a time (the chunks are its length). */
  readonly readBuffer?: Buffer | undefined;
}

export interface TextFormatSpec {
  name: string;
  description: string;
  /** Longest line accepted, in characters. */
  maxLine: number;
  /** Looks at the first non-blank line of the file. */
  sniffLine(line: string): boolean;
  /** Times without a zone (see {@link ImportFormat.zoneless}). */
  zoneless?: boolean;
  /** A fresh parser per file (parsers keep state such as the header's column map). */
  parser(opts: ReadOptions): LineParser;
}

/** Builds an {@link ImportFormat} from a line parser. */
export function textFormat(spec: TextFormatSpec): ImportFormat {
  return {
    name: spec.name,
    description: spec.description,
    ...(spec.zoneless ? { zoneless: true } : {}),
    sniff: (head) => {
      const line = firstLine(head);
      return line !== undefined && spec.sniffLine(line);
    },
    read: (path, sink, opts) => readText(path, sink, spec, opts ?? {}),
  };
}

async function readText(
  path: string,
  sink: ImportSink,
  spec: TextFormatSpec,
  opts: ReadOptions,
): Promise<void> {
  const parser = spec.parser(opts);
  let cur = new FlowBatch(BATCH_ROWS);
  const full: FlowBatch[] = [];
  const line = (text: string, no: number) => {
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
  };
  const handler = {
    tooLong(no: number) {
      sink.reject(no, `line longer than ${spec.maxLine} characters (not ${spec.name}?)`);
    },
    async chunk(bytes: number) {
      for (const b of full.splice(0)) await sink.batch(b);
      sink.progress?.(bytes);
    },
  };
  const bytes = parser.bytes?.bind(parser);
  const lineAt = parser.lineAt?.bind(parser);
  const run = parser.run?.bind(parser);
  const ran: LinesRead = { lines: 0, end: 0 };
  if (bytes) {
    await eachLineBytes(path, spec.maxLine, {
      ...handler,
      ...(parser.readBuffer ? { readBuffer: parser.readBuffer } : {}),
      ...(run
        ? {
            run(buf: Buffer, start: number, end: number) {
              let p = start;
              ran.lines = 0;
              for (;;) {
                const before = cur.length;
                p = run(buf, p, end, spec.maxLine, cur, BATCH_ROWS - before);
                ran.lines += cur.length - before;
                if (cur.length < BATCH_ROWS) break;
                full.push(cur);
                cur = new FlowBatch(BATCH_ROWS);
              }
              ran.end = p;
              return ran;
            },
          }
        : {}),
      ...(lineAt
        ? {
            lineAt(buf: Buffer, start: number, limit: number) {
              const lf = lineAt(buf, start, limit, cur);
              if (lf >= 0 && cur.length >= BATCH_ROWS) {
                full.push(cur);
                cur = new FlowBatch(BATCH_ROWS);
              }
              return lf;
            },
          }
        : {}),
      line(buf, start, end, no, ascii) {
        if (!ascii || !bytes(buf, start, end, cur)) return line(buf.toString('utf8', start, end), no);
        if (cur.length >= BATCH_ROWS) {
          full.push(cur);
          cur = new FlowBatch(BATCH_ROWS);
        }
      },
    });
  } else {
    await eachLine(path, spec.maxLine, { ...handler, line });
  }
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

interface ByteLineHandler extends Omit<LineHandler, 'line'> {
  /** The line `buf[start, end)`, its line break (LF or CRLF) and a leading BOM left out; `ascii`: it is all ASCII. */
  line(buf: Buffer, start: number, end: number, no: number, ascii: boolean): void;
  /**
   * Optional: takes the line that starts at `start` in an all-ASCII chunk
   * (not the file's first line, nor one begun in an earlier chunk) if it
   * ends at an LF before `limit` (so it is not over-long), returning the
   * LF's position; -1 leaves the line to {@link line}.
   */
  lineAt?(buf: Buffer, start: number, limit: number): number;
  /**
   * Optional, with {@link lineAt}: takes a run of such lines from `start`
   * on, ending before `end`: how many, and where the first line it did not
   * take starts (a result it may reuse).
   */
  run?(buf: Buffer, start: number, end: number): LinesRead;
  /** Optional: the buffer to read the file into (a chunk is its length). */
  readBuffer?: Buffer;
}

/** What {@link ByteLineHandler.run} took. */
interface LinesRead {
  lines: number;
  end: number;
}

const LF = 10;
const CR = 13;

/**
 * {@link eachLine} over the file's bytes: each line is handed as a range of
 * the chunk it is in (a line cut by a chunk's end is put together once), so
 * a reader that parses bytes makes no string of it. The same lines, numbers
 * and over-long lines as {@link eachLine} (the cap is in characters: a line
 * of more bytes than the cap is measured decoded).
 */
export async function eachLineBytes(path: string, maxLine: number, h: ByteLineHandler): Promise<void> {
  // One buffer read into again and again (a fresh one a chunk costs page faults and
  // cache misses): a line left over at a chunk's end is copied out before the next read.
  const file = await open(path, 'r');
  const read = h.readBuffer ?? Buffer.allocUnsafeSlow(256 * 1024);
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let no = 0;
  let bytes = 0;
  let dropping = false; // inside an over-long line: discard up to the next newline
  let first = true;
  const tooLong = (buf: Buffer, start: number, end: number) =>
    end - start > maxLine && buf.toString('utf8', start, end).length > maxLine;
  const emit = (buf: Buffer, start: number, end: number, ascii: boolean) => {
    no++;
    if (tooLong(buf, start, end)) return h.tooLong(no);
    let e = end > start && buf[end - 1] === CR ? end - 1 : end;
    let s = start;
    if (first) {
      first = false;
      if (e - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3;
    }
    if (e < s) e = s;
    h.line(buf, s, e, no, ascii);
  };
  try {
    for (;;) {
      const bytesRead = await readChunk(file, read, 0, read.length, null);
      if (bytesRead === 0) break;
      const chunk = bytesRead === read.length ? read : read.subarray(0, bytesRead);
      bytes += chunk.length;
      const ascii = isAscii(chunk); // one native check a chunk, not one a byte
      let pos = 0;
      let nl = chunk.indexOf(LF);
      if (carryBytes > 0 && nl >= 0) {
        // The line begun in earlier chunks ends here.
        const line = Buffer.concat([...carry, chunk.subarray(0, nl)]);
        carry = [];
        carryBytes = 0;
        emit(line, 0, line.length, isAscii(line));
        pos = nl + 1;
        nl = chunk.indexOf(LF, pos);
      }
      const lineAt = ascii ? h.lineAt : undefined;
      for (; nl >= 0; nl = chunk.indexOf(LF, pos)) {
        if (dropping) dropping = false;
        else emit(chunk, pos, nl, ascii);
        pos = nl + 1;
        if (lineAt && !first) {
          // Lines the handler finds the end of itself (no search for the LF first).
          const n = chunk.length;
          for (;;) {
            if (h.run) {
              const r = h.run(chunk, pos, n);
              no += r.lines;
              pos = r.end;
            }
            const lf = lineAt(chunk, pos, Math.min(n, pos + maxLine + 1));
            if (lf < 0) break;
            no++;
            pos = lf + 1;
          }
        }
      }
      if (!dropping && pos < chunk.length) {
        carry.push(Buffer.from(chunk.subarray(pos))); // a copy: `read` is read into again
        carryBytes += chunk.length - pos;
        if (carryBytes > maxLine) {
          const text = Buffer.concat(carry);
          if (tooLong(text, 0, text.length)) {
            no++;
            first = false;
            h.tooLong(no);
            carry = [];
            carryBytes = 0;
            dropping = true;
          }
        }
      }
      await h.chunk(bytes);
    }
    if (!dropping && carryBytes > 0) {
      const rest = Buffer.concat(carry);
      emit(rest, 0, rest.length, isAscii(rest));
    }
    await h.chunk(bytes);
  } finally {
    await file.close();
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
  // The plain digits of almost every field, without trim or a regular expression.
  const n = text.length;
  if (n > 0 && n <= 15) {
    let v = 0;
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (i === n) return v <= max ? v : Number.NaN;
  }
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
