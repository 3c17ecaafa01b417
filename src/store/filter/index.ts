/**
 * @module The nfdump filter language, compiled to an engine-neutral SQL condition.
 *
 * ```ts
 * const where = compileFilter('src net 10.1.0.0/16 and dst port in [22 23]', store.dialect);
 * const totals = await store.totals({ from, to, where });
 * ```
 * A filter that cannot be parsed raises {@link FilterError}, whose message
 * points at the offending token.
 */

import type { Sql } from '../sql.js';
import type { Dialect } from '../types.js';
import { compileExpr } from './compile.js';
import { parseFilter } from './parser.js';

export type { AddrField, Cmp, Expr, NumField, Span } from './ast.js';
export { compileExpr } from './compile.js';
export { FilterError } from './errors.js';
export { parseFilter } from './parser.js';

/** Parses and compiles a filter; an empty filter selects every flow. */
export function compileFilter(text: string, dialect: Dialect): Sql {
  return compileExpr(parseFilter(text), dialect);
}
