/**
 * @module The typed syntax tree of an nfdump filter.
 *
 * Every node keeps the character span it was parsed from, so that a later
 * stage (or a tool that explains a filter) can point back into the text.
 * Values are already checked and normalised here: addresses are 128-bit
 * ranges, numbers are scaled and range-checked, protocol names are numbers.
 */

import type { Cidr } from '../../flow/address.js';

/** Half-open character range `[start, end)` in the filter text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Comparison operators after normalising `==`, `eq`, `gt`, `lt`, `ge`, `le`. */
export type Cmp = '=' | '<' | '>' | '<=' | '>=';

/**
 * Address fields: `src`/`dst` one side, `either` source or destination
 * (`ip`, `host`, `net` without a direction), `next` the next hop and
 * `router` the exporting device (`router ip`, `exporter ip`).
 */
export type AddrField = 'src' | 'dst' | 'either' | 'next' | 'router';

/**
 * Numeric fields. Those with two columns (`port`, `as`, `if`) match when
 * either column does; the `src`/`dst`/`in`/`out` forms name one column.
 */
export type NumField =
  | 'port'
  | 'srcport'
  | 'dstport'
  | 'as'
  | 'srcas'
  | 'dstas'
  | 'if'
  | 'inif'
  | 'outif'
  | 'tos'
  | 'proto'
  | 'packets'
  | 'bytes';

export type Expr =
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr; readonly span: Span }
  | { readonly kind: 'not'; readonly operand: Expr; readonly span: Span }
  /** `any`: every flow. */
  | { readonly kind: 'any'; readonly span: Span }
  /** `inet`/`ipv4` (4) and `inet6`/`ipv6` (6): both addresses of that family. */
  | { readonly kind: 'family'; readonly family: 4 | 6; readonly span: Span }
  /** `ip A`, `net N`, `ip in [A N ...]`: the field lies in one of the ranges. */
  | { readonly kind: 'addr'; readonly field: AddrField; readonly nets: readonly Cidr[]; readonly span: Span }
  /** `port > 1024`, `packets >= 1k`, `proto tcp`... */
  | {
      readonly kind: 'num';
      readonly field: NumField;
      readonly cmp: Cmp;
      readonly value: bigint;
      readonly span: Span;
    }
  /** `port in [22 80]`: the field equals one of the values. */
  | { readonly kind: 'in'; readonly field: NumField; readonly values: readonly bigint[]; readonly span: Span }
  /**
   * `flags SA` (`all`: every listed bit set) or `flags 2` / `flags > 2`
   * (a comparison of the whole flags value). Both imply TCP, as in nfdump.
   */
  | {
      readonly kind: 'flags';
      readonly all: boolean;
      readonly cmp: Cmp;
      readonly value: number;
      readonly span: Span;
    };
