/** @module `flowhunt simulate`: labelled traffic from a named scenario, to UDP, an IPFIX file or the store. */

import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { FlowBatch } from '../flow/batch.js';
import { liveBatches } from '../simulate/live.js';
import { IpfixFileWriter } from '../simulate/output/ipfix-file.js';
import { parseOutTarget } from '../simulate/output/target.js';
import { UdpSender } from '../simulate/output/udp.js';
import { scenarioNames } from '../simulate/scenarios.js';
import { createSimulation, DEFAULT_FROM } from '../simulate/simulation.js';
import { declare } from './commands.js';
import {
  action,
  addGlobalOptions,
  context,
  fmtNum,
  type GlobalOptions,
  parseTime,
  printJson,
  UsageError,
  withStore,
} from './common.js';

interface SimulateOptions extends GlobalOptions {
  scenario: string;
  seed?: string;
  from?: string;
  hours?: string;
  scale?: string;
  out: string;
  truth?: string;
  live?: boolean;
}

function number(text: string | undefined, what: string, ok: (v: number) => boolean): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || !ok(v))
    throw new UsageError(`${what} ${JSON.stringify(text)} is not valid`);
  return v;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export function register(program: Command): void {
  addGlobalOptions(
    declare(program, 'simulate')
      .requiredOption('--scenario <name>', `scenario: ${scenarioNames().join(', ')}`)
      .option('--seed <n>', 'random seed: the same seed gives the same flows, byte for byte', '1')
      .option('--from <time>', `start of simulated time (default ${new Date(DEFAULT_FROM).toISOString()})`)
      .option('--hours <h>', "length in hours (default: the scenario's)")
      .option('--scale <f>', 'population multiplier (default 1)')
      .requiredOption(
        '--out <target>',
        'udp://HOST:PORT[?format=v9|ipfix&rate=FLOWS_PER_S], ipfix:FILE or store',
      )
      .option('--truth <file>', 'write the ground truth (JSON) here')
      .option('--live', 'simulated time is now: release each flow when its end time passes'),
  ).action(
    action(async (opts: SimulateOptions) => {
      const ctx = await context(opts);
      const target = parseOutTarget(opts.out);
      if (typeof target === 'string') throw new UsageError(target);
      const seed = number(opts.seed, '--seed', (v) => Number.isSafeInteger(v) && v >= 0);
      const hours = number(opts.hours, '--hours', (v) => v > 0 && v <= 8784);
      const scale = number(opts.scale, '--scale', (v) => v > 0 && v <= 10_000);
      if (opts.live && opts.from) throw new UsageError('--live starts now; leave out --from');
      const from = opts.live ? Date.now() : opts.from ? parseTime(opts.from, '--from') : undefined;
      const sim = createSimulation({
        scenario: opts.scenario,
        ...(seed !== undefined ? { seed } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(hours !== undefined ? { hours } : {}),
        ...(scale !== undefined ? { scale } : {}),
      });
      // UDP and file outputs encode each batch at once and can take a reused one; the store keeps them.
      // Ctrl-C ends a (live) run cleanly: what was generated is sent or stored, a partial file is dropped.
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      // What was actually handed to the output (a live run stopped early emits less than it generated).
      const emitted = { flows: 0, packets: 0, bytes: 0 };
      async function* source(reuse: boolean): AsyncGenerator<FlowBatch> {
        const it = opts.live ? liveBatches(sim, { signal: stop.signal }) : sim.batches({ reuse });
        for await (const b of it) {
          if (stop.signal.aborted) return;
          const t = b.totals();
          emitted.flows += t.flows;
          emitted.packets += t.packets;
          emitted.bytes += t.bytes;
          yield b;
        }
      }
      const started = performance.now();
      let sent: Record<string, number> = {};

      if (target.kind === 'udp') {
        const udp = new UdpSender(target);
        await udp.open();
        try {
          for await (const b of source(true)) await udp.send(b);
          await udp.flush();
        } finally {
          await udp.close();
        }
        const r = udp.report();
        sent = { packets: r.packets, bytes: r.bytes };
        process.stderr.write(
          `sent ${fmtNum(r.flows)} flows in ${fmtNum(r.packets)} ${target.format} packets to ${target.host}:${target.port} in ${r.seconds.toFixed(2)} s: ${fmtNum(Math.round(r.rate))} flows/s\n`,
        );
      } else if (target.kind === 'ipfix') {
        const w = new IpfixFileWriter(target.path);
        await w.open();
        try {
          for await (const b of source(true)) await w.write(b);
          if (stop.signal.aborted) throw new Error('interrupted');
          await w.close();
        } catch (e) {
          await w.abort();
          throw new UsageError(`cannot write ${target.path}: ${(e as Error).message}`);
        }
      } else {
        await withStore(
          ctx,
          async (store) => {
            for await (const b of source(false)) if (b.length > 0) await store.append(b);
            await store.flush();
          },
          { create: true },
        );
      }

      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const truth = { ...sim.truth(), totals: emitted };
      if (opts.truth) await writeAtomic(opts.truth, `${JSON.stringify(truth, null, 1)}\n`);
      const seconds = (performance.now() - started) / 1000;
      const summary = {
        scenario: truth.scenario,
        seed: truth.seed,
        from: truth.from,
        to: truth.to,
        scale: truth.scale,
        out: opts.out,
        totals: truth.totals,
        ...sent,
        seconds: Math.round(seconds * 1000) / 1000,
        ...(opts.truth ? { truth: opts.truth } : {}),
      };
      if (ctx.json) return printJson(summary);
      process.stdout.write(
        `${truth.scenario} (seed ${truth.seed}, ${truth.from} – ${truth.to}, scale ${truth.scale}): ${fmtNum(truth.totals.flows)} flows, ${fmtNum(truth.totals.packets)} packets, ${fmtNum(truth.totals.bytes)} bytes to ${opts.out} in ${seconds.toFixed(1)} s\n`,
      );
    }),
  );
}
