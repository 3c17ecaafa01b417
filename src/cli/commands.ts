/**
 * @module The table of commands: name, arguments, one-line description and
 * where the command lives. `main.ts` loads only the file of the command being
 * run, and builds `flowhunt --help` and `--version` from this table alone, so
 * they load none of the commands (nor DuckDB, ClickHouse, fastify, zod...).
 * Each command file declares itself with {@link declare}, which takes its
 * description and arguments from here: one place for both.
 */

import type { Command } from 'commander';

export interface CommandEntry {
  name: string;
  description: string;
  /** Commander argument specs with their help text. */
  args?: [spec: string, help?: string][];
  load(): Promise<{ register(program: Command): void }>;
}

// In the order of the command-line contract (docs/ARCHITECTURE.md).
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    description:
      'collect NetFlow/IPFIX/sFlow over UDP into the store, detect each 5-minute window, hunt each day, and serve the dashboard, API and /metrics over HTTP',
    load: () => import('./serve.js'),
  },
  {
    name: 'import',
    description:
      'import flow files into the store (a bad line is skipped and reported; a failed import stores nothing; running a stopped import again continues it without duplicates)',
    args: [['<path...>', 'flow files, or directories with --recursive']],
    load: () => import('./import.js'),
  },
  {
    name: 'decode',
    description:
      'decode a pcap/pcapng capture of NetFlow/IPFIX/sFlow exports, or an IPFIX file, and print the flows',
    args: [['<file>', 'pcap, pcapng or IPFIX (RFC 5655) file']],
    load: () => import('./decode.js'),
  },
  {
    name: 'query',
    description: 'list flows or top-N statistics matching an nfdump filter, e.g. "proto tcp and dst port 22"',
    args: [['[filter...]', 'nfdump filter expression (words are joined with spaces)']],
    load: () => import('./query.js'),
  },
  {
    name: 'detect',
    description: 'replay the 5-minute detection over stored flows and store the reports',
    load: () => import('./detect.js'),
  },
  { name: 'reports', description: 'list stored anomaly reports', load: () => import('./reports.js') },
  {
    name: 'signatures',
    description: 'port-packets-octets signatures learned from the reports, strongest first',
    load: () => import('./signatures.js'),
  },
  {
    name: 'hunt',
    description: 'hunt every stored day in the range for hosts using the signatures (one scan per day)',
    load: () => import('./hunt.js'),
  },
  {
    name: 'ip',
    description: 'everything known about an address',
    args: [['<addr>']],
    load: () => import('./ip.js'),
  },
  {
    name: 'export',
    description: 'export hunt findings or the suspicious-IP table for sharing',
    args: [['<what>', 'findings | suspects']],
    load: () => import('./export.js'),
  },
  {
    name: 'families',
    description: 'hosts that share signatures, largest family first',
    load: () => import('./families.js'),
  },
  {
    name: 'simulate',
    description: 'generate realistic backbone flows with labelled ground truth',
    load: () => import('./simulate.js'),
  },
  {
    name: 'eval',
    description: 'score stored reports, signatures and hunt findings against a simulator truth file',
    load: () => import('./eval.js'),
  },
  {
    name: 'alert',
    description: 'alert test: send a test alert through the configured channels (email, webhook)',
    args: [['<action>', 'test']],
    load: () => import('./alert.js'),
  },
  {
    name: 'days',
    description: 'list the stored days (flows, files, size); --retain N drops days older than N days',
    load: () => import('./days.js'),
  },
];

export function entry(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** `program.command(name)` with the table's description and arguments. */
export function declare(program: Command, name: string): Command {
  const e = entry(name);
  if (!e) throw new Error(`command ${name} is not in the table of commands`);
  const cmd = program.command(name).description(e.description);
  for (const [spec, help] of e.args ?? []) cmd.argument(spec, help);
  return cmd;
}
