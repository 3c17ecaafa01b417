/**
 * @module A closed output pipe ends the command quietly: `flowhunt reports |
 * head` stops when `head` has read enough, with status 0 and no stack trace,
 * as Unix tools do. Without this, Node reports the EPIPE of the next write
 * as an unhandled error.
 */

export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(0);
      throw e;
    });
  }
}
