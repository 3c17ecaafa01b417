/**
 * @module The files of a directory tree to import: an nfcapd archive
 * (`/var/cache/nfdump/`, NfSen's `profiles-data/live/SOURCE/YYYY/MM/DD/`)
 * is imported with `flowhunt import DIR --recursive`.
 *
 * Every regular file under the directory, in name order at each level (so
 * nfcapd's time-stamped names come in time order), except what nfdump's own
 * `-R DIR` passes over: `.nfstat`, the file nfcapd is still writing
 * (`nfcapd.current.*`), `*.stat*` files, `.DS_Store` and pcap files. Hidden
 * files and directories (`.name`) are passed over too. Which of the files
 * are flow files is settled by sniffing them (`index.ts`). A directory
 * reached twice (a symbolic link back up the tree) is walked once.
 */

import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** True for names nfdump -R skips, and hidden names. */
export function skippedName(name: string): boolean {
  return (
    name.startsWith('.') ||
    name.startsWith('nfcapd.current') ||
    name.includes('.stat') ||
    name.includes('pcap')
  );
}

/** The files under `dir`, depth first in name order. Throws what `readdir`/`stat` throw. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = async (d: string) => {
    const real = await realpath(d);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      if (skippedName(e.name)) continue;
      const p = join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await stat(p).catch(() => undefined);
        isDir = st?.isDirectory() ?? false;
        isFile = st?.isFile() ?? false;
      }
      if (isDir) await walk(p);
      else if (isFile) out.push(p);
    }
  };
  await walk(dir);
  return out;
}
