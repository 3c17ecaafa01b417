/**
 * @module Writes flows as an IPFIX file (RFC 5655): IPFIX messages back to
 * back, templates first. The file appears atomically: it is written under a
 * temporary name and renamed when complete.
 */

import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import type { FlowBatch } from '../../flow/batch.js';
import { type EncoderOptions, ExportEncoder, ipfix } from '../export/index.js';

const CHUNK = 4 * 1024 * 1024;

export class IpfixFileWriter {
  private fh: FileHandle | undefined;
  private readonly tmp: string;
  private readonly encoder: ExportEncoder;
  private parts: Buffer[] = [];
  private size = 0;
  flows = 0;

  constructor(
    readonly path: string,
    opts: EncoderOptions = {},
  ) {
    this.tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    // Messages in a file need not fit a datagram; 1400 keeps them readable by any tool.
    this.encoder = new ExportEncoder(ipfix, opts);
  }

  async open(): Promise<void> {
    this.fh = await open(this.tmp, 'wx');
  }

  private readonly sink = (p: Buffer, _d: number, records: number) => {
    this.parts.push(p);
    this.size += p.length;
    this.flows += records;
  };

  async write(b: FlowBatch): Promise<void> {
    this.encoder.encode(b, this.sink);
    if (this.size >= CHUNK) await this.spill();
  }

  private async spill(): Promise<void> {
    if (!this.fh) throw new Error('IpfixFileWriter.open() first');
    const buf = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    await this.fh.write(buf);
  }

  /** Finishes the file and renames it into place. */
  async close(): Promise<void> {
    this.encoder.flush(this.sink);
    await this.spill();
    await this.fh!.sync();
    await this.fh!.close();
    this.fh = undefined;
    await rename(this.tmp, this.path);
  }

  /** Drops the temporary file after a failure. */
  async abort(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    await rm(this.tmp, { force: true });
  }
}
