/**
 * @module Splits an nfdump filter into tokens.
 *
 * Words are runs of anything but blanks and the punctuation below, so that
 * addresses (`10.0.0.0/8`, `fe80::1`), numbers with a scale (`1k`) and flag
 * letters (`SA`) are single words; their meaning is decided by the parser,
 * which knows what it expects. `#` starts a comment to the end of the line,
 * as in nfdump filter files.
 */

import type { Cmp } from './ast.js';
import { FilterError } from './errors.js';

export type Token =
  | { readonly kind: 'word'; readonly text: string; readonly lower: string; readonly pos: number }
  | { readonly kind: 'cmp'; readonly cmp: Cmp; readonly text: string; readonly pos: number }
  | {
      readonly kind: '(' | ')' | '[' | ']' | ',' | '!' | '&&' | '||' | 'eof';
      readonly text: string;
      readonly pos: number;
    };

const PUNCT = new Set(['(', ')', '[', ']', ',']);
const WORD_END = /[\s()[\],!&|<>=#]/;

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (PUNCT.has(c)) {
      out.push({ kind: c as '(', text: c, pos: i });
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      out.push({ kind: two, text: two, pos: i });
      i += 2;
      continue;
    }
    if (c === '&' || c === '|') {
      throw new FilterError(`unexpected "${c}" (write "${c}${c}" or "${c === '&' ? 'and' : 'or'}")`, i, text);
    }
    if (two === '<=' || two === '>=' || two === '==') {
      out.push({ kind: 'cmp', cmp: two === '==' ? '=' : two, text: two, pos: i });
      i += 2;
      continue;
    }
    if (c === '<' || c === '>' || c === '=') {
      out.push({ kind: 'cmp', cmp: c, text: c, pos: i });
      i++;
      continue;
    }
    if (c === '!') {
      out.push({ kind: '!', text: c, pos: i });
      i++;
      continue;
    }
    let j = i + 1;
    while (j < text.length && !WORD_END.test(text[j]!)) j++;
    const w = text.slice(i, j);
    out.push({ kind: 'word', text: w, lower: w.toLowerCase(), pos: i });
    i = j;
  }
  out.push({ kind: 'eof', text: '', pos: text.length });
  return out;
}
