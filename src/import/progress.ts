/** @module A reader's progress, told to its sink now and then rather than per datagram. */

import type { ImportSink } from './format.js';

/** Bytes a reader goes on before it tells the sink its progress again. */
export const PROGRESS_BYTES = 1 << 20;

/**
 * The sink's `progress` at most once per {@link PROGRESS_BYTES} of input,
 * for readers that see a message or datagram at a time (tens of bytes to a
 * few kB: told each, a threaded read posted a message to the other thread
 * per datagram). `end` tells what was left.
 */
export function progressEvery(sink: ImportSink): { at(bytes: number): void; end(bytes: number): void } {
  let told = 0;
  return {
    at(bytes) {
      if (bytes - told < PROGRESS_BYTES) return;
      told = bytes;
      sink.progress?.(bytes);
    },
    end(bytes) {
      if (bytes === told) return;
      told = bytes;
      sink.progress?.(bytes);
    },
  };
}
