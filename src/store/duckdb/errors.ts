/**
 * @module How the embedded engine tells the disk's failures from the rows':
 * a full disk or a permission is retried and never drops a flow; anything
 * else that fails a day's write again and again drops that day's rows, once,
 * with the reason.
 */

import { oneLine } from '../../errors.js';

/** A failure of the machine (disk full, I/O, permissions, file handles), not of the rows: retried, never dropped. */
export function isResourceError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && /^(ENOSPC|EDQUOT|EIO|EROFS|EMFILE|ENFILE|EACCES|EPERM|STORE_LOCKED)$/.test(code)) return true;
  return /ENOSPC|No space left|EDQUOT|quota|EIO|Input\/output error|EROFS|Read-only file system|EMFILE|Too many open files|EACCES|Permission denied|is locked by process/i.test(
    oneLine(e),
  );
}
