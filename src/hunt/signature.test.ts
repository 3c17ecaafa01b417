import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareSignatures,
  exactSignature,
  isBareProbe,
  isProfile,
  keyOf,
  parseSignature,
  profileSignature,
  signatureKey,
  signatureLabel,
  signatureText,
  strength,
} from './signature.js';

test('an exact signature reads and prints in the paper form, with an optional protocol suffix', () => {
  const s = parseSignature('22-4-240')!;
  assert.deepEqual(s, { protocol: 6, port: 22, combos: [{ packets: 4, octets: 240, weight: 1 }] });
  assert.equal(signatureText(s), '22-4-240');
  assert.equal(signatureKey(s), '6/22-4-240');
  assert.equal(parseSignature('53-1-70/udp')!.protocol, 17);
  assert.equal(parseSignature('53-1-70/17')!.protocol, 17);
  assert.equal(signatureLabel(parseSignature('53-1-70/udp')!), '53-1-70/udp');
  assert.equal(signatureLabel(s), '22-4-240');
  assert.equal(parseSignature('53-1-70', 17)!.protocol, 17, 'the protocol of a stored row');
  assert.equal(parseSignature(' 22-4-240 ')!.port, 22);
});

test('a profile reads and prints heaviest first, its percentages summing to 100 and reading back the same', () => {
  const s = parseSignature('1433:4-208=30,3-152=45,2-92=25')!;
  assert.ok(isProfile(s));
  assert.equal(signatureText(s), '1433:3-152=45,4-208=30,2-92=25');
  assert.deepEqual(
    s.combos.map((c) => [c.packets, c.octets, Math.round(c.weight * 100)]),
    [
      [3, 152, 45],
      [4, 208, 30],
      [2, 92, 25],
    ],
  );
  // Thirds print as 34/33/33 (largest remainder), and read back to the same text.
  const thirds = profileSignature(6, 1433, [
    { packets: 3, octets: 152, weight: 1 },
    { packets: 4, octets: 208, weight: 1 },
    { packets: 2, octets: 92, weight: 1 },
  ]);
  assert.equal(signatureText(thirds), '1433:2-92=34,3-152=33,4-208=33');
  assert.equal(signatureText(parseSignature(signatureText(thirds))!), signatureText(thirds));
  // Without percentages the exchanges weigh the same.
  assert.equal(signatureText(parseSignature('1433:3-152,4-208')!), '1433:3-152=50,4-208=50');
});

test('two profiles with the same exchanges are one signature whatever their percentages', () => {
  const a = parseSignature('1433:3-152=45,4-208=30,2-92=25')!;
  const b = parseSignature('1433:3-152=50,2-92=30,4-208=20')!;
  assert.equal(signatureKey(a), signatureKey(b));
  assert.equal(signatureKey(a), '6/1433:2-92,3-152,4-208');
  assert.notEqual(signatureKey(a), signatureKey(parseSignature('1433:3-152=45,4-208=55')!));
  assert.notEqual(signatureKey(a), signatureKey(parseSignature('1433:3-152=45,4-208=30,2-92=25/udp')!));
  assert.equal(keyOf({ signature: '1433:3-152=50,2-92=30,4-208=20', protocol: 6 }), signatureKey(a));
  assert.equal(keyOf({ signature: '22-4-240', protocol: 6 }), '6/22-4-240');
});

test('text that is not a signature is refused', () => {
  for (const bad of [
    '',
    '22-4',
    '22-4-3', // fewer octets than packets
    '22-0-0',
    '70000-1-40',
    '22-4-240/999',
    '22-4-240/gre',
    '1433:3-152', // a profile needs two exchanges
    '1433:3-152,3-152', // the same exchange twice
    '1433:3-152=50,4-208', // percentages on some only
    '1433:3-152=0,4-208=100',
    '1433:1-40,2-80,3-120,4-160,5-200', // more than four
    '1433:3-152=45;4-208=55',
    '70000:3-152,4-208',
    '22-4-240; DROP TABLE',
  ])
    assert.equal(parseSignature(bad), undefined, bad);
});

test('strength: a profile is the weighted mean of its exchanges; all-bare profiles rank last like bare probes', () => {
  const one = (t: string) => strength(parseSignature(t)!, 1);
  const p = one('1433:3-152=50,4-208=50');
  assert.ok(
    p > Math.min(one('1433-3-152'), one('1433-4-208')) && p < Math.max(one('1433-3-152'), one('1433-4-208')),
  );
  assert.ok(isBareProbe(parseSignature('445:1-40,1-44')!));
  assert.equal(one('445:1-40,1-44'), 0);
  // A bare exchange in a profile adds nothing: half the weight on it halves the specificity.
  assert.ok(Math.abs(one('1433:3-152=50,1-40=50') - one('1433-3-152') / 2) < 0.011);
  assert.ok(one('1433:3-152=50,1-40=50') > 0, 'not a bare probe while one exchange carries payload');
});

test('signatures order by port, then their heaviest exchange, exact before profile, TCP before UDP', () => {
  const list = ['53-1-70/udp', '22-4-240', '1433:3-152,4-208', '1433-3-152', '22-4-240/udp', '22-3-200'].map(
    (t) => parseSignature(t)!,
  );
  assert.deepEqual(list.sort(compareSignatures).map(signatureLabel), [
    '22-3-200',
    '22-4-240',
    '22-4-240/udp',
    '53-1-70/udp',
    '1433-3-152',
    '1433:3-152=50,4-208=50',
  ]);
  assert.deepEqual(exactSignature(6, 22, 4, 240), parseSignature('22-4-240'));
});
