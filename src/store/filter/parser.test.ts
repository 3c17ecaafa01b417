import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAddress } from '../../flow/address.js';
import type { Expr } from './ast.js';
import { FilterError } from './errors.js';
import { tokenize } from './lexer.js';
import { parseFilter } from './parser.js';

/** A compact, readable form of a tree: `(or (and A B) C)`, `srcport>1024`, `src[10.0.0.0/8]`. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return `(${e.kind} ${show(e.left)} ${show(e.right)})`;
    case 'not':
      return `(not ${show(e.operand)})`;
    case 'any':
      return 'any';
    case 'family':
      return `inet${e.family}`;
    case 'addr':
      return `${e.field}[${e.nets.map((n) => (n.first.join() === n.last.join() ? formatAddress(n.first) : n.text)).join(' ')}]`;
    case 'num':
      return `${e.field}${e.cmp}${e.value}`;
    case 'in':
      return `${e.field} in ${e.values.join(',')}`;
    case 'flags':
      return e.all ? `flags all ${e.value}` : `flags${e.cmp}${e.value}`;
  }
}

const p = (text: string) => show(parseFilter(text));

test('filter: or binds loosest, then and, then not', () => {
  assert.equal(p('tcp or udp and port 53'), '(or proto=6 (and proto=17 port=53))');
  assert.equal(p('tcp and udp or port 53'), '(or (and proto=6 proto=17) port=53)');
  assert.equal(p('not tcp and port 53'), '(and (not proto=6) port=53)');
  assert.equal(p('not tcp or not udp'), '(or (not proto=6) (not proto=17))');
  assert.equal(p('not not any'), '(not (not any))');
  assert.equal(p('! tcp && port 53 || udp'), '(or (and (not proto=6) port=53) proto=17)');
  assert.equal(p('not (tcp or udp) and port 53'), '(and (not (or proto=6 proto=17)) port=53)');
  assert.equal(p('tcp and (udp or port 53)'), '(and proto=6 (or proto=17 port=53))');
});

test('filter: and/or chains associate to the left', () => {
  assert.equal(p('port 1 and port 2 and port 3'), '(and (and port=1 port=2) port=3)');
  assert.equal(p('port 1 or port 2 or port 3'), '(or (or port=1 port=2) port=3)');
  assert.equal(p('((port 1))'), 'port=1');
});

test('filter: keywords are case-insensitive and blanks (newlines, tabs) and # comments are ignored', () => {
  assert.equal(p('PROTO TCP AND Dst Port 22'), '(and proto=6 dstport=22)');
  assert.equal(p('proto tcp # ssh only\n\tand dst port 22'), '(and proto=6 dstport=22)');
  assert.equal(p(''), 'any');
  assert.equal(p('  # nothing\n'), 'any');
});

test('filter: addresses, hosts and networks, IPv4 and IPv6', () => {
  assert.equal(p('ip 10.0.0.1'), 'either[10.0.0.1]');
  assert.equal(p('host 10.0.0.1'), 'either[10.0.0.1]');
  assert.equal(p('src ip 10.0.0.1'), 'src[10.0.0.1]');
  assert.equal(p('dst host 2001:DB8::1'), 'dst[2001:db8::1]');
  assert.equal(p('src net 10.1.0.0/16'), 'src[10.1.0.0/16]');
  assert.equal(p('dst net 2001:db8::/32'), 'dst[2001:db8::/32]');
  assert.equal(p('net 10.1.2.3/8'), 'either[10.0.0.0/8]', 'host bits are ignored, as in nfdump');
  assert.equal(p('net 10.0.0.0 255.255.0.0'), 'either[10.0.0.0/16]');
  assert.equal(p('net 10.0.0.0 0.0.0.0'), 'either[0.0.0.0/0]');
  assert.equal(p('net 10.1/16'), 'either[10.1.0.0/16]', 'trailing zero octets may be left out');
  assert.equal(p('net ::/0'), 'either[::/0]');
  assert.equal(p('net ::1/128'), 'either[::1]');
  assert.equal(p('ip in [10.0.0.1 10.2.0.0/16, fe80::1]'), 'either[10.0.0.1 10.2.0.0/16 fe80::1]');
  assert.equal(p('src ip in [10.0.0.1]'), 'src[10.0.0.1]');
  assert.equal(p('next ip 10.0.0.254'), 'next[10.0.0.254]');
  assert.equal(p('router ip 192.0.2.1'), 'router[192.0.2.1]');
  assert.equal(p('exporter ip 192.0.2.1'), 'router[192.0.2.1]');
});

test('filter: ports, comparisons and lists', () => {
  assert.equal(p('port 22'), 'port=22');
  assert.equal(p('src port 1024'), 'srcport=1024');
  assert.equal(p('dst port 22'), 'dstport=22');
  const ops: [string, string][] = [
    ['=', '='],
    ['==', '='],
    ['eq', '='],
    ['EQ', '='],
    ['<', '<'],
    ['lt', '<'],
    ['>', '>'],
    ['gt', '>'],
    ['<=', '<='],
    ['le', '<='],
    ['>=', '>='],
    ['ge', '>='],
  ];
  for (const [op, cmp] of ops) assert.equal(p(`port ${op} 1024`), `port${cmp}1024`, op);
  assert.equal(p('port>1024'), 'port>1024', 'operators need no blanks');
  assert.equal(p('src port >= 0x400'), 'srcport>=1024');
  assert.equal(p('port in [22 23 2375]'), 'port in 22,23,2375');
  assert.equal(p('port in [22,23 , 2375]'), 'port in 22,23,2375');
  assert.equal(p('dst port in [ 22 ]'), 'dstport in 22');
  assert.equal(p('port 65535'), 'port=65535');
});

test('filter: protocols, counters with scale, flags and the other numeric fields', () => {
  for (const [w, n] of [
    ['tcp', 6],
    ['udp', 17],
    ['icmp', 1],
    ['icmp6', 58],
    ['gre', 47],
    ['esp', 50],
    ['TCP', 6],
    ['132', 132],
  ] as const) {
    assert.equal(p(`proto ${w}`), `proto=${n}`, w);
  }
  assert.equal(p('tcp'), 'proto=6');
  assert.equal(p('ICMP6'), 'proto=58');
  assert.equal(p('packets > 3'), 'packets>3');
  assert.equal(p('bytes >= 1k'), 'bytes>=1000');
  assert.equal(p('bytes < 2M'), 'bytes<2000000');
  assert.equal(p('packets 1g'), 'packets=1000000000');
  assert.equal(p('bytes > 18446744073709551615'), 'bytes>18446744073709551615');
  assert.equal(p('flags S'), 'flags all 2');
  assert.equal(p('flags SA'), 'flags all 18');
  assert.equal(p('flags as'), 'flags all 18', 'letters in any case and order');
  assert.equal(p('flags A'), 'flags all 16');
  assert.equal(p('flags X'), 'flags all 63');
  assert.equal(p('flags 2'), 'flags=2');
  assert.equal(p('flags > 2'), 'flags>2');
  assert.equal(p('as 65000'), 'as=65000');
  assert.equal(p('src as 4294967295'), 'srcas=4294967295');
  assert.equal(p('dst as in [1, 2]'), 'dstas in 1,2');
  assert.equal(p('in if 3'), 'inif=3');
  assert.equal(p('out if 4'), 'outif=4');
  assert.equal(p('if 5'), 'if=5');
  assert.equal(p('tos 184'), 'tos=184');
  assert.equal(p('any'), 'any');
  assert.equal(p('inet'), 'inet4');
  assert.equal(p('ipv4'), 'inet4');
  assert.equal(p('inet6'), 'inet6');
  assert.equal(p('ipv6'), 'inet6');
});

test('filter: nodes keep the span of the text they came from', () => {
  const text = 'not src net 10.0.0.0/8 and dst port in [22 80]';
  const e = parseFilter(text);
  assert.equal(e.kind, 'and');
  if (e.kind !== 'and') return;
  assert.equal(text.slice(e.span.start, e.span.end), text);
  assert.equal(text.slice(e.left.span.start, e.left.span.end), 'not src net 10.0.0.0/8');
  assert.equal(text.slice(e.right.span.start, e.right.span.end), 'dst port in [22 80]');
});

test('filter: the lexer splits words from operators and punctuation', () => {
  assert.deepEqual(
    tokenize('(port>=22||!tcp)&&ip in [::1,10.0.0.0/8]').map((t) => t.text),
    [
      '(',
      'port',
      '>=',
      '22',
      '||',
      '!',
      'tcp',
      ')',
      '&&',
      'ip',
      'in',
      '[',
      '::1',
      ',',
      '10.0.0.0/8',
      ']',
      '',
    ],
  );
});

/** [filter, 0-based position, length of the underline, a piece of the reason]. */
const ERRORS: [string, number, number, RegExp][] = [
  ['prot tcp', 0, 4, /unknown word "prot"/],
  ['10.0.0.1', 0, 8, /unknown word "10.0.0.1" \(write "ip ADDRESS"/],
  ['port 22 udp', 8, 3, /unexpected "udp" after a complete expression/],
  ['ip 10.0.0', 3, 6, /invalid IP address "10.0.0"/],
  ['ip 10.0.0.256', 3, 10, /invalid IP address/],
  ['ip fe80:::1', 3, 8, /invalid IP address/],
  ['ip 10.0.0.0/8', 3, 10, /needs "net"/],
  ['net 10.0.0.0/33', 13, 2, /prefix length must be 0\.\.32, not "33"/],
  ['net fe80::/129', 11, 3, /prefix length must be 0\.\.128/],
  ['net 10.0.0.0/x', 13, 1, /prefix length/],
  ['net 10.0.0.0', 12, 1, /expected a prefix length/],
  ['net 10.0.0.0 255.0.255.0', 13, 11, /netmask "255\.0\.255\.0" is not contiguous/],
  ['net 10.0.0.0 255.0.0', 13, 7, /invalid netmask/],
  ['net 10.x.0.0/8', 4, 8, /invalid IP address/],
  ['port in [22 80', 14, 1, /missing "]" \(the list opened at column 9/],
  ['port in []', 9, 1, /empty list/],
  ['port in [22,]', 12, 1, /expected a port after ","/],
  ['port in [22,,80]', 12, 1, /expected a port before ","/],
  ['port in [, 22]', 9, 1, /expected a port before ","/],
  ['port in 22', 8, 2, /expected "\[" to start a list of ports/],
  ['port in [22 (]', 12, 1, /expected a port in the list, found "\("/],
  ['ip in [10.0.0.1 bad]', 16, 3, /invalid IP address "bad"/],
  ['(port 22', 8, 1, /missing "\)" \(the "\(" at column 1 is not closed\), found the end of the filter/],
  ['port 22)', 7, 1, /unexpected "\)" without a matching "\("/],
  ['()', 1, 1, /expected a filter expression, found "\)"/],
  ['port 70000', 5, 5, /port must be 0\.\.65535, not 70000/],
  ['port in [22 65536]', 12, 5, /port must be 0\.\.65535/],
  ['port > -1', 7, 2, /expected a port, found "-1"/],
  ['port', 4, 1, /expected a port, found the end of the filter/],
  ['port != 22', 5, 1, /expected a port, found "!"/],
  ['proto 256', 6, 3, /protocol number must be 0\.\.255/],
  ['proto foo', 6, 3, /unknown protocol "foo"/],
  ['proto', 5, 1, /expected a protocol name or number/],
  ['packets > 1.5k', 10, 4, /expected a packet count \(digits, optionally k, m or g\)/],
  ['packets > 1t', 10, 2, /expected a packet count/],
  ['bytes > 18446744073709551616', 8, 20, /byte count must be 0\.\.18446744073709551615/],
  ['tos 256', 4, 3, /TOS must be 0\.\.255/],
  ['as 4294967296', 3, 10, /AS number must be 0\.\.4294967295/],
  ['src port 1k', 9, 2, /expected a port, found "1k"/],
  ['flags SZ', 7, 1, /unknown TCP flag "Z"/],
  ['flags > SA', 8, 2, /flag letters cannot be compared/],
  ['flags 256', 6, 3, /TCP flags value must be 0\.\.255/],
  ['flags', 5, 1, /expected TCP flags/],
  ['src 10.0.0.1', 4, 8, /expected "ip", "host", "net", "port" or "as" after "src"/],
  ['in 3', 3, 1, /expected "if" after "in"/],
  ['next 10.0.0.1', 5, 8, /expected "ip" after "next"/],
  ['tcp and', 7, 1, /expected a filter expression, found the end of the filter/],
  ['tcp or or udp', 7, 2, /unknown word "or"/],
  ['not', 3, 1, /expected a filter expression/],
  ['tcp & udp', 4, 1, /unexpected "&" \(write "&&" or "and"\)/],
  ['tcp | udp', 4, 1, /unexpected "\|" \(write "\|\|" or "or"\)/],
  ['port = = 22', 7, 1, /expected a port, found "="/],
];

test('filter: every error is a FilterError at the offending token', () => {
  for (const [text, position, length, reason] of ERRORS) {
    assert.throws(
      () => parseFilter(text),
      (e: unknown) => {
        assert.ok(e instanceof FilterError, `${text}: ${e}`);
        assert.equal(e.position, position, `${text}: position (${e.reason})`);
        assert.equal(e.length, length, `${text}: length (${e.reason})`);
        assert.match(e.reason, reason, text);
        return true;
      },
      text,
    );
  }
});

test('filter: the error message names the column and draws carets under the token', () => {
  const e = catchError('proto tcp and dst prot 22');
  assert.equal(
    e.message,
    'expected "ip", "host", "net", "port" or "as" after "dst", found "prot" at column 19\n' +
      '  proto tcp and dst prot 22\n' +
      '                    ^^^^',
  );
  const eof = catchError('port in [22');
  assert.equal(eof.message.split('\n')[2], `  ${' '.repeat(11)}^`, 'at the end, one caret past the text');
});

test('filter: in a multi-line filter the message shows the line of the error', () => {
  const e = catchError('proto tcp\n\tand port 99999 # bad');
  assert.equal(e.position, 20);
  assert.equal(
    e.message,
    'port must be 0..65535, not 99999 at line 2, column 11\n  \tand port 99999 # bad\n  \t         ^^^^^',
  );
});

function catchError(text: string): FilterError {
  try {
    parseFilter(text);
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
  throw new Error(`no error for ${text}`);
}
