/**
 * @module The simulation: builds a scenario's hosts and events from a seed,
 * then generates its flows minute by minute as {@link FlowBatch}es in
 * non-decreasing flow end time, with the ground truth beside them.
 *
 * ```ts
 * const sim = createSimulation({ scenario: 'demo', seed: 7 });
 * for (const batch of sim.batches()) await store.append(batch);
 * writeFile('truth.json', JSON.stringify(sim.truth()));
 * ```
 * Memory stays bounded whatever the length: only one minute of flows exists
 * at a time, and every per-host property is a typed array or a hash.
 */

import { FlowhuntError } from '../errors.js';
import { FlowBatch } from '../flow/batch.js';
import { ClientSessions } from './clients.js';
import { diurnal, MINUTE_MS, type Minute, Schedule, type Source, scaled } from './clock.js';
import { Family } from './families.js';
import { MixedFamily } from './mixed.js';
import { describeNetwork } from './network.js';
import { buildPopulation, type PopulationSize } from './population.js';
import { NearMissMonitor, PortSweep, ResearchScanner, SpamBot } from './probes.js';
import { DEFAULT_FROM, POPULATION_MIN, SCENARIOS, type ScenarioSpec, scenarioNames } from './scenarios.js';
import { Services } from './services.js';
import { iso, type Totals, type Truth, TruthBuilder } from './truth.js';
import { Flood, Reflection, SynFlood } from './volumetric.js';
import { FlowWriter } from './writer.js';

export interface SimulationOptions {
  /** A name from {@link SCENARIOS}. */
  scenario: string;
  /** Same seed, same flows, byte for byte. Default 1. */
  seed?: number;
  /** Start of simulated time, ms since the epoch. Default 2026-11-20T00:00:00Z. */
  from?: number;
  /** Length in hours; default the scenario's. */
  hours?: number;
  /** Population multiplier; default 1. */
  scale?: number;
}

export { DEFAULT_FROM };

export interface Simulation {
  readonly spec: ScenarioSpec;
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly scale: number;
  /** Flows, packets and bytes generated so far. */
  readonly totals: Totals;
  /**
   * One batch per simulated minute (possibly empty), in time order. Iterate
   * once. With `reuse`, the same batch object is refilled each minute: valid
   * only until the next step, for consumers that encode or copy it at once.
   */
  batches(opts?: { reuse?: boolean }): Generator<FlowBatch>;
  /** The ground truth; `totals` are final once {@link batches} is exhausted. */
  truth(): Truth;
}

export class SimulationError extends FlowhuntError {
  override name = 'SimulationError';

  constructor(message: string) {
    super('simulation', message);
  }
}

function scalePopulation(p: PopulationSize, scale: number): PopulationSize {
  const out = {} as PopulationSize;
  for (const k of Object.keys(p) as (keyof PopulationSize)[]) out[k] = scaled(p[k], scale, POPULATION_MIN[k]);
  return out;
}

export function createSimulation(opts: SimulationOptions): Simulation {
  const spec = SCENARIOS[opts.scenario];
  if (!spec) {
    throw new SimulationError(
      `unknown scenario ${JSON.stringify(opts.scenario)} (known: ${scenarioNames().join(', ')})`,
    );
  }
  const seed = opts.seed ?? 1;
  const scale = opts.scale ?? 1;
  const hours = opts.hours ?? spec.hours;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new SimulationError(`seed must be a whole number ≥ 0, not ${seed}`);
  if (!(scale > 0 && scale <= 10_000))
    throw new SimulationError(`scale must be > 0 and ≤ 10000, not ${scale}`);
  if (!(hours > 0 && hours <= 24 * 366))
    throw new SimulationError(`hours must be > 0 and ≤ 8784, not ${hours}`);
  // Minutes are the unit of generation: the start is rounded down to one.
  const from = Math.floor((opts.from ?? DEFAULT_FROM) / MINUTE_MS) * MINUTE_MS;
  const to = from + Math.round(hours * 60) * MINUTE_MS;
  if (to <= from) throw new SimulationError('the run must last at least one minute');

  const truth = new TruthBuilder();
  const schedule = new Schedule(from, to, spec.cycleMinutes);
  const pop = buildPopulation(seed, scalePopulation(spec.population, scale), truth);
  const rates = { ...spec.rates, inboundSessions: spec.rates.inboundSessions * scale };
  const sources: Source[] = [new ClientSessions(seed, pop, rates), new Services(seed, pop, rates, truth)];
  for (const f of spec.families) sources.push(new Family(seed, f, pop, schedule, scale, truth));
  for (const f of spec.mixed ?? []) sources.push(new MixedFamily(seed, f, pop, schedule, scale, truth));
  if (spec.synFlood) {
    const perMinute = Math.max(2000, spec.synFlood.perMinute * scale);
    sources.push(new SynFlood(seed, pop, schedule, spec.synFlood, perMinute, truth));
  }
  if (spec.reflection) {
    const n = Math.max(200, Math.round(spec.reflection.reflectors * scale));
    sources.push(new Reflection(seed, pop, schedule, spec.reflection, n, truth));
  }
  if (spec.flood) sources.push(new Flood(seed, pop, schedule, spec.flood, spec.flood.perMinute, truth));
  if (spec.portSweep)
    sources.push(new PortSweep(seed, pop, schedule, spec.portSweep, spec.portSweep.perMinute, truth));
  if (spec.spam) sources.push(new SpamBot(seed, pop, schedule, spec.spam, spec.spam.perMinute, truth));
  if (spec.research) {
    const r = spec.research;
    sources.push(new ResearchScanner(seed, pop, schedule, r, 2375, '2375-1-40', r.perWindow, truth));
  }
  if (spec.nearMiss) {
    const v4 = pop.campusServers.filter((s) => typeof s.addr === 'number');
    const ssh = v4.filter((s) => s.port === 22 || s.port === 443).map((s) => s.addr);
    const db = v4.filter((s) => s.port === 1433).map((s) => s.addr);
    sources.push(
      new NearMissMonitor(
        seed,
        {
          what: 'uptime monitoring service checking SSH',
          port: 22,
          packets: 4,
          octets: 232,
          flags: 0x1b,
          resembles: '22-4-240',
          targets: ssh,
          everyMinutes: 5,
          reply: { packets: 3, octets: 180, flags: 0x1b },
        },
        pop,
        truth,
      ),
      new NearMissMonitor(
        seed,
        {
          what: 'load-balancer health check of MSSQL',
          port: 1433,
          packets: 3,
          octets: 164,
          flags: 0x13,
          resembles: '1433-3-152',
          targets: db,
          everyMinutes: 1,
          reply: { packets: 2, octets: 96, flags: 0x13 },
        },
        pop,
        truth,
      ),
    );
  }
  truth.notes.push(
    'Addresses not listed are legitimate background: less popular outside servers and visitors, scan targets, and spoofed DDoS sources.',
    'expectedTypes: any of them reported for the host is a hit; the first is the main one. Small-scale members have none: no threshold should catch them; the hunt should, by signature.',
    'Active periods are whole 5-minute windows for attackers and victims; small-scale members are listed with the hours they are online.',
  );

  const totals: Totals = { flows: 0, packets: 0, bytes: 0 };
  let started = false;

  function* batches(bopts: { reuse?: boolean } = {}): Generator<FlowBatch> {
    if (started) throw new SimulationError('a simulation can be iterated only once; create another');
    started = true;
    const out = new FlowWriter();
    const reused = bopts.reuse ? new FlowBatch(8192) : undefined;
    const nMinutes = (to - from) / MINUTE_MS;
    for (let index = 0; index < nMinutes; index++) {
      const start = from + index * MINUTE_MS;
      const m: Minute = { index, start, end: start + MINUTE_MS, diurnal: diurnal(start + MINUTE_MS / 2) };
      out.begin(start);
      for (const s of sources) s.minute(m, out);
      const batch = out.take(reused);
      const t = batch.totals();
      totals.flows += t.flows;
      totals.packets += t.packets;
      totals.bytes += t.bytes;
      yield batch;
    }
  }

  return {
    spec,
    seed,
    from,
    to,
    scale,
    totals,
    batches,
    truth: () =>
      truth.build(
        { scenario: spec.name, seed, from: iso(from), to: iso(to), scale, network: describeNetwork() },
        { ...totals },
      ),
  };
}
