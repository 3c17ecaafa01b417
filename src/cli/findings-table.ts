/** @module The hunt findings as the paper's table, shared by `flowhunt hunt` and `flowhunt ip`. */

import type { Finding } from '../hunt/hunt.js';
import { signatureLabel, signatureOf } from '../hunt/signature.js';

/** The paper's table: per signature and day, source IP, distinct destinations, flows, source ports. */
export function printFindings(found: Finding[], indent = ''): void {
  let cur = '';
  for (const f of found) {
    const sig = signatureOf(f);
    const head = `${f.day} ${sig ? signatureLabel(sig) : f.signature}`;
    if (head !== cur) {
      process.stdout.write(
        `${indent}${head}\n${indent}  ${'Source IP'.padEnd(40)} ${'Dst IPs'.padStart(8)} ${'Flows'.padStart(8)} ${'Src ports'.padStart(9)}\n`,
      );
      cur = head;
    }
    process.stdout.write(
      `${indent}  ${(f.ip + (f.largeScale ? ' *' : '')).padEnd(40)} ${String(f.destinations).padStart(8)} ${String(f.flows).padStart(8)} ${String(f.sourcePorts).padStart(9)}\n`,
    );
  }
}
