/**
 * @module A recursive-descent parser for the nfdump filter language
 * (`man nfdump`, section "filter"), as operators type it.
 *
 * Precedence, loosest first: `or`/`||`, `and`/`&&`, `not`/`!`, then a
 * primitive or a parenthesised expression. Keywords are case-insensitive.
 * Beyond nfdump 1.7 it also accepts bare `tcp`/`udp`/`icmp`/`icmp6` (as
 * tcpdump does), `exporter ip` for `router ip`, the ECN flag letters `C`/`E`,
 * comparisons on `if`, and `net 10/8`. Every value is checked here, so any
 * problem is reported with the position of the token that caused it.
 */

import { type Cidr, parseAddress, parseCidr, parseIPv4 } from '../../flow/address.js';
import { protocolNumber } from '../../flow/names.js';
import type { AddrField, Cmp, Expr, NumField, Span } from './ast.js';
import { FilterError } from './errors.js';
import { type Token, tokenize } from './lexer.js';

const CMP_WORDS: Record<string, Cmp> = { eq: '=', gt: '>', lt: '<', ge: '>=', le: '<=' };
const U16 = 0xffffn;
const U32 = 0xffffffffn;
const U64 = 0xffffffffffffffffn;
const SCALE: Record<string, bigint> = { k: 1000n, m: 1000_000n, g: 1000_000_000n };
/** nfdump letters and their bits; `X` is "all flags on" (the six classic ones). */
const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128, X: 0x3f };
const BARE_PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'icmp6']);

/** Parses a filter; an empty filter (or only comments) is `any`. */
export function parseFilter(text: string): Expr {
  return new Parser(text).parse();
}

class Parser {
  private readonly toks: Token[];
  private i = 0;
  /** End of the last consumed token, for spans. */
  private lastEnd = 0;

  constructor(private readonly text: string) {
    this.toks = tokenize(text);
  }

  parse(): Expr {
    if (this.peek().kind === 'eof') return { kind: 'any', span: { start: 0, end: 0 } };
    const e = this.orExpr();
    const t = this.peek();
    if (t.kind !== 'eof') {
      this.fail(
        t.kind === ')'
          ? 'unexpected ")" without a matching "("'
          : `unexpected ${describe(t)} after a complete expression (missing "and" or "or"?)`,
        t,
      );
    }
    return e;
  }

  // ------------------------------------------------------------ structure

  private orExpr(): Expr {
    let left = this.andExpr();
    while (this.isWord(this.peek(), 'or') || this.peek().kind === '||') {
      this.next();
      const right = this.andExpr();
      left = { kind: 'or', left, right, span: join(left.span, right.span) };
    }
    return left;
  }

  private andExpr(): Expr {
    let left = this.unary();
    while (this.isWord(this.peek(), 'and') || this.peek().kind === '&&') {
      this.next();
      const right = this.unary();
      left = { kind: 'and', left, right, span: join(left.span, right.span) };
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isWord(t, 'not') || t.kind === '!') {
      this.next();
      const operand = this.unary();
      return { kind: 'not', operand, span: { start: t.pos, end: operand.span.end } };
    }
    if (t.kind === '(') {
      this.next();
      const e = this.orExpr();
      const close = this.peek();
      if (close.kind !== ')') {
        this.fail(
          `missing ")" (the "(" at column ${t.pos + 1} is not closed), found ${describe(close)}`,
          close,
        );
      }
      this.next();
      return e;
    }
    if (t.kind === 'word') return this.primitive();
    return this.fail(`expected a filter expression, found ${describe(t)}`, t);
  }

  // ------------------------------------------------------------ primitives

  private primitive(): Expr {
    const t = this.next();
    const w = t.kind === 'word' ? t.lower : '';
    const span = () => this.spanFrom(t);
    switch (w) {
      case 'any':
        return { kind: 'any', span: span() };
      case 'inet':
      case 'ipv4':
        return { kind: 'family', family: 4, span: span() };
      case 'inet6':
      case 'ipv6':
        return { kind: 'family', family: 6, span: span() };
      case 'proto': {
        const value = this.protoOf(this.word('a protocol name or number'));
        return { kind: 'num', field: 'proto', cmp: '=', value, span: span() };
      }
      case 'src':
      case 'dst':
        return this.directed(t, w);
      case 'ip':
      case 'host':
        return this.address(t, 'either');
      case 'net':
        return { kind: 'addr', field: 'either', nets: [this.network()], span: span() };
      case 'port':
        return this.numeric(t, 'port', 'port', U16, { list: true });
      case 'as':
        return this.numeric(t, 'as', 'AS number', U32, { list: true });
      case 'if':
        return this.numeric(t, 'if', 'interface', U32);
      case 'in':
      case 'out': {
        this.expectWord(['if'], `after "${t.text}"`);
        return this.numeric(t, w === 'in' ? 'inif' : 'outif', 'interface', U32);
      }
      case 'tos':
        return this.numeric(t, 'tos', 'TOS', 255n);
      case 'packets':
      case 'bytes':
        return this.numeric(t, w, w === 'packets' ? 'packet count' : 'byte count', U64, { scale: true });
      case 'flags':
        return this.flags(t);
      case 'next':
        this.expectWord(['ip'], 'after "next"');
        return this.address(t, 'next');
      case 'router':
      case 'exporter':
        this.expectWord(['ip'], `after "${t.text}"`);
        return this.address(t, 'router');
      default:
        if (BARE_PROTOCOLS.has(w))
          return { kind: 'num', field: 'proto', cmp: '=', value: this.protoOf(t), span: span() };
        return this.fail(`unknown word ${describe(t)}${hint(w)}`, t);
    }
  }

  /** `src ip A`, `dst net N`, `src port > 1024`, `dst as 65000`... */
  private directed(start: Token, dir: 'src' | 'dst'): Expr {
    const t = this.expectWord(['ip', 'host', 'net', 'port', 'as'], `after "${start.text}"`);
    switch (t.lower) {
      case 'ip':
      case 'host':
        return this.address(start, dir);
      case 'net':
        return { kind: 'addr', field: dir, nets: [this.network()], span: this.spanFrom(start) };
      case 'port':
        return this.numeric(start, `${dir}port`, 'port', U16, { list: true });
      default:
        return this.numeric(start, `${dir}as`, 'AS number', U32, { list: true });
    }
  }

  /** After `ip`/`host`: one address, or `in [A, N/bits, ...]`. */
  private address(start: Token, field: AddrField): Expr {
    const t = this.peek();
    let nets: Cidr[];
    if (this.isWord(t, 'in')) {
      this.next();
      nets = this.list('address', (w) => this.networkWord(w));
    } else {
      const w = this.word('an IP address');
      if (w.text.includes('/')) this.fail(`an address with a prefix length needs "net" (net ${w.text})`, w);
      const a = parseAddress(w.text);
      if (!a) this.fail(`invalid IP address ${describe(w)}`, w);
      nets = [parseCidr(w.text)!];
    }
    return { kind: 'addr', field, nets, span: this.spanFrom(start) };
  }

  /** After `net`: `A/bits` or `A MASK` (IPv4). */
  private network(): Cidr {
    const w = this.word('a network (10.0.0.0/8 or 10.0.0.0 255.0.0.0)');
    if (w.text.includes('/')) return this.networkWord(w);
    const a = expandV4(w.text);
    if (!parseAddress(a)) this.fail(`invalid network address ${describe(w)}`, w);
    const m = this.peek();
    if (m.kind !== 'word' || a.includes(':')) {
      return this.fail(`expected a prefix length (${w.text}/N) or a netmask after the network`, m);
    }
    this.next();
    const mask = parseIPv4(m.text);
    if (mask === undefined) this.fail(`invalid netmask ${describe(m)}`, m);
    const inv = ~mask >>> 0;
    // A contiguous mask is ones then zeros: its complement plus one is a power of two.
    if ((inv & (inv + 1)) !== 0) this.fail(`netmask ${describe(m)} is not contiguous`, m);
    const bits = 32 - Math.log2(inv + 1);
    return parseCidr(`${a}/${bits}`)!;
  }

  /** One `A/bits` or `A` word as a range; a partial IPv4 network (`10.1/16`) is zero-filled. */
  private networkWord(w: Token & { kind: 'word' }): Cidr {
    const slash = w.text.indexOf('/');
    const addr = slash < 0 ? w.text : expandV4(w.text.slice(0, slash));
    if (!parseAddress(addr)) {
      this.fail(`invalid IP address ${describe(w)}`, w, slash < 0 ? w.text.length : slash);
    }
    if (slash < 0) return parseCidr(addr)!;
    const bitsText = w.text.slice(slash + 1);
    const max = addr.includes(':') ? 128 : 32;
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) {
      throw new FilterError(
        `prefix length must be 0..${max}, not "${bitsText}"`,
        w.pos + slash + 1,
        this.text,
        Math.max(1, bitsText.length),
      );
    }
    return parseCidr(`${addr}/${bitsText}`)!;
  }

  /** `[comp] N` or, where allowed, `in [N N ...]`. */
  private numeric(
    start: Token,
    field: NumField,
    what: string,
    max: bigint,
    opts: { list?: boolean; scale?: boolean } = {},
  ): Expr {
    const t = this.peek();
    if (opts.list && this.isWord(t, 'in')) {
      this.next();
      const values = this.list(what, (w) => this.number(w, what, max, false));
      return { kind: 'in', field, values, span: this.spanFrom(start) };
    }
    const cmp = this.comparison() ?? '=';
    const value = this.number(this.word(`a ${what}`), what, max, opts.scale === true);
    return { kind: 'num', field, cmp, value, span: this.spanFrom(start) };
  }

  /** `flags SA` (all of these set) or `flags [comp] N` (the flags value compared). */
  private flags(start: Token): Expr {
    const cmp = this.comparison();
    const w = this.word('TCP flags (letters such as SA, or a number)');
    if (/^(?:\d+|0x[0-9a-f]+)$/i.test(w.text)) {
      const value = Number(this.number(w, 'TCP flags value', 255n, false));
      return { kind: 'flags', all: false, cmp: cmp ?? '=', value, span: this.spanFrom(start) };
    }
    if (cmp !== undefined) {
      this.fail('flag letters cannot be compared; write "flags SA" or "flags > 2"', w);
    }
    let mask = 0;
    for (let k = 0; k < w.text.length; k++) {
      const bit = FLAG_BITS[w.text[k]!.toUpperCase()];
      if (bit === undefined) {
        throw new FilterError(
          `unknown TCP flag "${w.text[k]}" (flags are A S F R P U C E, X for all)`,
          w.pos + k,
          this.text,
        );
      }
      mask |= bit;
    }
    return { kind: 'flags', all: true, cmp: '=', value: mask, span: this.spanFrom(start) };
  }

  private protoOf(w: Token): bigint {
    if (/^\d+$/.test(w.text)) return this.number(w, 'protocol number', 255n, false);
    const p = protocolNumber(w.text);
    if (p === undefined) this.fail(`unknown protocol ${describe(w)}`, w);
    return BigInt(p);
  }

  // ------------------------------------------------------------ values

  /** An optional comparison operator; nfdump assumes `==` when there is none. */
  private comparison(): Cmp | undefined {
    const t = this.peek();
    if (t.kind === 'cmp') {
      this.next();
      return t.cmp;
    }
    if (t.kind === 'word' && CMP_WORDS[t.lower]) {
      this.next();
      return CMP_WORDS[t.lower]!;
    }
    return undefined;
  }

  /** A decimal or `0x` number, with a `k`/`m`/`g` (×1000) scale where allowed, within 0..max. */
  private number(w: Token, what: string, max: bigint, scale: boolean): bigint {
    const m = /^(0x[0-9a-f]+|\d+)([kmg])?$/i.exec(w.text);
    if (!m || (m[2] && !scale)) {
      return this.fail(
        `expected a ${what}${scale ? ' (digits, optionally k, m or g)' : ''}, found ${describe(w)}`,
        w,
      );
    }
    const v = BigInt(m[1]!) * (m[2] ? SCALE[m[2].toLowerCase()]! : 1n);
    if (v > max) this.fail(`${what} must be 0..${max}, not ${w.text}`, w);
    return v;
  }

  /** `[ item item, item ]`: blanks or single commas between items, at least one item. */
  private list<T>(what: string, item: (w: Token & { kind: 'word' }) => T): T[] {
    const open = this.peek();
    if (open.kind !== '[')
      this.fail(`expected "[" to start a list of ${what}s, found ${describe(open)}`, open);
    this.next();
    const out: T[] = [];
    let afterComma = false;
    for (;;) {
      const t = this.peek();
      if (t.kind === ']') {
        if (out.length === 0) this.fail(`empty list: give at least one ${what}`, t);
        if (afterComma) this.fail(`expected a ${what} after ","`, t);
        this.next();
        return out;
      }
      if (t.kind === ',') {
        if (out.length === 0 || afterComma) this.fail(`expected a ${what} before ","`, t);
        afterComma = true;
        this.next();
        continue;
      }
      if (t.kind === 'eof')
        this.fail(`missing "]" (the list opened at column ${open.pos + 1} is not closed)`, t);
      if (t.kind !== 'word') this.fail(`expected a ${what} in the list, found ${describe(t)}`, t);
      this.next();
      out.push(item(t));
      afterComma = false;
    }
  }

  // ------------------------------------------------------------ tokens

  private peek(): Token {
    return this.toks[this.i]!;
  }

  private next(): Token {
    const t = this.toks[this.i]!;
    if (t.kind !== 'eof') {
      this.i++;
      this.lastEnd = t.pos + t.text.length;
    }
    return t;
  }

  private isWord(t: Token, w: string): boolean {
    return t.kind === 'word' && t.lower === w;
  }

  private word(what: string): Token & { kind: 'word' } {
    const t = this.peek();
    if (t.kind !== 'word') this.fail(`expected ${what}, found ${describe(t)}`, t);
    this.next();
    return t as Token & { kind: 'word' };
  }

  private expectWord(words: string[], where: string): Token & { kind: 'word' } {
    const t = this.peek();
    if (t.kind !== 'word' || !words.includes(t.lower)) {
      const list = words.map((w) => `"${w}"`);
      const expected = list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} or ${list.at(-1)}`;
      this.fail(`expected ${expected} ${where}, found ${describe(t)}`, t);
    }
    this.next();
    return t as Token & { kind: 'word' };
  }

  private spanFrom(start: Token): Span {
    return { start: start.pos, end: this.lastEnd };
  }

  private fail(reason: string, t: Token, length = t.text.length): never {
    throw new FilterError(reason, t.pos, this.text, Math.max(1, length));
  }
}

function join(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

function describe(t: Token): string {
  return t.kind === 'eof' ? 'the end of the filter' : `"${t.text}"`;
}

/** `10.1` → `10.1.0.0`: nfdump accepts a network with its trailing zero octets left out. */
function expandV4(a: string): string {
  if (a.includes(':') || !/^\d{1,3}(?:\.\d{1,3}){0,3}$/.test(a)) return a;
  const parts = a.split('.');
  while (parts.length < 4) parts.push('0');
  return parts.join('.');
}

/** A nudge for the common slip of writing a value without its keyword. */
function hint(w: string): string {
  if (parseAddress(w) || parseCidr(w)) return ' (write "ip ADDRESS" or "net CIDR")';
  if (/^\d+$/.test(w)) return ' (a number needs a keyword, e.g. "port 22")';
  return '';
}
