/**
 * @module Test helpers: temporary directories, fixtures beside the tests,
 * running the real CLI, and requiring external tools (skip on a laptop
 * without them, fail in CI where `.ci/run` installs them).
 */

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from `dist/src/...`). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A fixture in the `testdata/` folder beside the test's source file. */
export function fixture(testUrl: string, name: string): string {
  const distFile = fileURLToPath(testUrl);
  const srcDir = dirname(distFile).replace(`${join(ROOT, 'dist')}/`, ROOT);
  return join(srcDir, 'testdata', name);
}

export function tempDir(t: TestContext, prefix = 'flowhunt-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export function hasTool(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when the tool is present. Without it the test is skipped, or
 * fails when `CI=true`: in CI a missing tool is a broken `.ci/run`.
 */
export function requireTool(t: TestContext, cmd: string): boolean {
  if (hasTool(cmd)) return true;
  if (process.env['CI'] === 'true') throw new Error(`${cmd} is required in CI but is not installed`);
  t.skip(`${cmd} is not installed`);
  return false;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `flowhunt ARGS...` as a user would, with its own process. */
/** A small demo store in `data` made by the real `flowhunt simulate` (`hours` of the demo scenario at 1 % scale). */
export async function simulateDemo(data: string, hours = 0.1): Promise<void> {
  const sim = await runCli([
    'simulate',
    '--scenario',
    'demo',
    '--hours',
    String(hours),
    '--scale',
    '0.01',
    '--out',
    'store',
    '--data',
    data,
  ]);
  if (sim.code !== 0) throw new Error(`flowhunt simulate exited ${sim.code}: ${sim.stderr}`);
}

export function runCli(
  args: string[],
  opts: { env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/flowhunt.js'), ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(opts.input ?? '');
  });
}
