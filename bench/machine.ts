/** @module What every benchmark result records about the machine it ran on. */

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function machine(): Record<string, unknown> {
  const tool = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .split('\n')[0]!
        .trim();
    } catch {
      return null;
    }
  };
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    nfdump: tool('nfdump', ['-V']),
  };
}

export function writeResult(name: string, result: Record<string, unknown>): string {
  const path = join(ROOT, 'bench', 'results', `${name}.json`);
  mkdirSync(dirname(path), { recursive: true });
  const doc = {
    benchmark: name,
    date: new Date().toISOString(),
    machine: machine(),
    command:
      `node dist/bench/${basename(process.argv[1] ?? `${name}.js`)} ${process.argv.slice(2).join(' ')}`.trim(),
    ...result,
  };
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}

export function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: Math.round((performance.now() - t) * 10) / 10, value };
}
