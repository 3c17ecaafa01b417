import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { Bytes, ipfixMessage, type Spec, set, templates } from '../testing/datagrams.js';
import { compileTemplate, type FieldSpec } from './fields.js';
import { DecoderState, decodePacket, TemplateCache } from './index.js';

const tpl = (id: number, n = 4) =>
  compileTemplate(
    id,
    Array.from({ length: n }, (_, k): FieldSpec => ({ ie: k + 1, pen: 0, len: 4 })),
    false,
  );

test('a domain keeps at most maxTemplates, evicting its least recently used', () => {
  const c = new TemplateCache({ maxTemplates: 3 });
  for (const id of [256, 257, 258]) c.put('a', tpl(id));
  c.get('a', 256);
  assert.deepEqual(c.put('a', tpl(259)), { outcome: 'added', evicted: 1 });
  assert.deepEqual(c.ids('a'), [258, 256, 259]);
  assert.equal(c.evicted, 1);
});

test('a domain keeps at most maxBytes of templates; a template larger than that is refused', () => {
  const c = new TemplateCache({ maxBytes: 1000 });
  for (let id = 256; id < 270; id++) c.put('a', tpl(id, 4));
  assert.ok(c.domainBytes('a') <= 1000);
  assert.equal(c.put('a', tpl(300, 100)).outcome, 'too-large');
});

test('refresh, replace and withdraw keep the byte count right', () => {
  const c = new TemplateCache();
  c.put('a', tpl(256, 4));
  assert.equal(c.put('a', tpl(256, 4)).outcome, 'refreshed');
  assert.equal(c.put('a', tpl(256, 8)).outcome, 'replaced');
  assert.equal(c.domainBytes('a'), tpl(256, 8).cost);
  assert.equal(c.withdraw('a', 256), true);
  assert.equal(c.domainBytes('a'), 0);
  assert.equal(c.withdraw('a', 256), false);
});

test('domains are bounded: the least recently seen goes first', () => {
  const c = new TemplateCache({ maxDomains: 2 });
  c.put('a', tpl(256));
  c.put('b', tpl(256));
  c.get('a', 256);
  c.put('c', tpl(256));
  assert.deepEqual([c.ids('a'), c.ids('b'), c.ids('c')], [[256], [], [256]]);
});

test('an exporter holds at most maxTotalBytes over all its domains: its least recently used domain gives first', () => {
  const cost = tpl(256).cost;
  const c = new TemplateCache({ maxTotalBytes: 3 * cost });
  c.put('a', tpl(256));
  c.put('a', tpl(257));
  c.put('b', tpl(256));
  c.get('a', 256);
  assert.deepEqual(c.put('c', tpl(256)), { outcome: 'added', evicted: 1 });
  // 'b' was used after 'a' but 'a' was used again since: 'b' is the least recently used domain.
  assert.deepEqual([c.ids('a'), c.ids('b'), c.ids('c')], [[257, 256], [], [256]]);
  assert.equal(c.bytes, 3 * cost);
  assert.deepEqual(c.stats(), { domains: 3, templates: 3, bytes: 3 * cost, evicted: 1 });
});

test('a flood of bogus templates from one exporter stays within its bound and leaves another exporter alone', () => {
  const state = new DecoderState();
  const victim = [0, 0, 0xffff, 0x0a000001] as const;
  const flooder = [0, 0, 0xffff, 0x0a000066] as const;
  const out = new FlowBatch();
  const data = (n: number) => set(256, new Bytes().addr(`10.0.0.${n}`).build());
  decodePacket(state, victim, ipfixMessage({ exportSecs: 1 }, [templates([256, [[8, 4]]]), data(1)]), 0, out);
  assert.equal(out.length, 1);
  // 20 000 templates with up to 200 fields each, plus data sets for templates that never come.
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  for (let k = 0; k < 2000; k++) {
    const tpls: (readonly [number, Spec[]])[] = [];
    for (let j = 0; j < 10; j++) {
      const fields = Array.from({ length: 1 + rand(200) }, (): Spec => [1 + rand(500), 1 + rand(16)]);
      tpls.push([256 + rand(65000), fields]);
    }
    const bogusData = set(256 + rand(65000), new Uint8Array(1 + rand(1000)));
    decodePacket(
      state,
      flooder,
      ipfixMessage({ exportSecs: 1, domain: rand(3) }, [templates(...tpls), bogusData]),
      0,
      out,
    );
  }
  const { maxBytes, maxTemplates, maxPendingBytes, maxPendingSets } = state.limits;
  for (let d = 0; d < 3; d++) {
    const key = `${flooder[3]}|10|${d}`;
    assert.ok(state.templates.domainBytes(key) <= maxBytes, `domain ${d} bytes`);
    assert.ok(state.templates.ids(key).length <= maxTemplates);
  }
  assert.ok(state.templates.stats().bytes <= 3 * maxBytes + state.templates.domainBytes(`${victim[3]}|10|0`));
  assert.ok(state.errorCounts['template-evicted'] > 0);
  const pending = state.pendingStats();
  assert.ok(pending.bytes <= maxPendingBytes && pending.sets <= maxPendingSets);
  // The victim's template survived, and its data still decodes.
  assert.deepEqual(state.templates.ids(`${victim[3]}|10|0`), [256]);
  out.clear();
  const r = decodePacket(state, victim, ipfixMessage({ exportSecs: 1 }, [data(2)]), 0, out);
  assert.deepEqual(r, { records: 1, errors: [] });
  assert.equal(out.record(0).sourceIPAddress, '10.0.0.2');
});
