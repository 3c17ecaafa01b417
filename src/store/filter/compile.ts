/**
 * @module Compiles a filter's syntax tree into an engine-neutral SQL condition.
 *
 * The condition reads only storage columns (`src/flow/schema.ts`) and uses
 * only comparisons, `IN`, AND/OR/NOT and the dialect's bitwise AND, so the
 * same text runs on DuckDB and on ClickHouse 18.16. Every value taken from
 * the filter is a parameter. An address or network is a range on the two
 * 64-bit halves of the stored 128-bit address: a prefix of 64 bits or more
 * fixes the high half and bounds the low one; a shorter prefix bounds the
 * high half alone.
 */

import { type Cidr, wordsToHiLo } from '../../flow/address.js';
import type { FlowColumn } from '../../flow/schema.js';
import { join, raw, type Sql, type SqlValue, sql } from '../sql.js';
import type { Dialect } from '../types.js';
import type { AddrField, Expr, NumField } from './ast.js';

type Col = FlowColumn['col'];

const NUM_COLUMNS: Record<NumField, readonly Col[]> = {
  port: ['sport', 'dport'],
  srcport: ['sport'],
  dstport: ['dport'],
  as: ['src_as', 'dst_as'],
  srcas: ['src_as'],
  dstas: ['dst_as'],
  if: ['in_if', 'out_if'],
  inif: ['in_if'],
  outif: ['out_if'],
  tos: ['tos'],
  proto: ['proto'],
  packets: ['packets'],
  bytes: ['bytes'],
};

const ADDR_COLUMNS: Record<AddrField, readonly Col[]> = {
  src: ['src'],
  dst: ['dst'],
  either: ['src', 'dst'],
  next: ['nexthop'],
  router: ['exporter'],
};

const U64_MAX = 0xffffffffffffffffn;
/** The low half of `::ffff:0.0.0.0` and `::ffff:255.255.255.255`: the IPv4-mapped range. */
const V4_LO_FIRST = 0xffff00000000;
const V4_LO_LAST = 0xffffffffffff;
const TCP = 6;

export function compileExpr(e: Expr, d: Dialect): Sql {
  switch (e.kind) {
    case 'and':
      return sql`(${compileExpr(e.left, d)} AND ${compileExpr(e.right, d)})`;
    case 'or':
      return sql`(${compileExpr(e.left, d)} OR ${compileExpr(e.right, d)})`;
    case 'not':
      return sql`(NOT ${compileExpr(e.operand, d)})`;
    case 'any':
      return raw('(1 = 1)');
    case 'family': {
      const [s, t] = [isV4('src'), isV4('dst')];
      return e.family === 4 ? sql`(${s} AND ${t})` : sql`(NOT ${s} AND NOT ${t})`;
    }
    case 'addr':
      return anyOf(ADDR_COLUMNS[e.field].flatMap((c) => e.nets.map((n) => inRange(c, n))));
    case 'num':
      return anyOf(NUM_COLUMNS[e.field].map((c) => sql`${raw(c)} ${raw(e.cmp)} ${u64(e.value)}`));
    case 'in': {
      const values = [...new Set(e.values)].map((v) => sql`${u64(v)}`);
      return anyOf(NUM_COLUMNS[e.field].map((c) => sql`${raw(c)} IN (${join(values, ', ')})`));
    }
    case 'flags': {
      const test = e.all
        ? sql`${d.bitAnd('flags', sql`${e.value}`)} = ${e.value}`
        : sql`flags ${raw(e.cmp)} ${e.value}`;
      return sql`(proto = ${TCP} AND ${test})`;
    }
  }
}

/** The address column `<col>_hi`/`<col>_lo` lies in the prefix. */
function inRange(col: Col, n: Cidr): Sql {
  const [fh, fl] = wordsToHiLo(n.first);
  const [lh, ll] = wordsToHiLo(n.last);
  const hi = raw(`${col}_hi`);
  const lo = raw(`${col}_lo`);
  if (fh === lh && fl === ll) return sql`(${hi} = ${u64(fh)} AND ${lo} = ${u64(fl)})`;
  if (fh === lh) return sql`(${hi} = ${u64(fh)} AND ${lo} >= ${u64(fl)} AND ${lo} <= ${u64(ll)})`;
  if (fh === 0n && lh === U64_MAX) return raw('(1 = 1)');
  return sql`(${hi} >= ${u64(fh)} AND ${hi} <= ${u64(lh)})`;
}

function isV4(col: Col): Sql {
  const lo = raw(`${col}_lo`);
  return sql`(${raw(`${col}_hi`)} = ${0} AND ${lo} >= ${V4_LO_FIRST} AND ${lo} <= ${V4_LO_LAST})`;
}

function anyOf(items: readonly Sql[]): Sql {
  return items.length === 1 ? items[0]! : sql`(${join(items, ' OR ')})`;
}

/** Small values as numbers (plain integer parameters), the rest as bigint. */
function u64(v: bigint): SqlValue {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
