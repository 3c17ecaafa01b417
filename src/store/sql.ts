/**
 * @module Parameterised SQL fragments shared by both engines.
 *
 * Queries are built as {@link Sql} values: literal text from the code plus
 * typed values that never become part of the text until an engine renders
 * them — DuckDB as prepared-statement parameters, ClickHouse (18.16 has no
 * server-side parameters) as literals through one escaping function. User
 * input only ever reaches SQL as a value.
 */

export type SqlValue = number | bigint | string | boolean;
export type Engine = 'duckdb' | 'clickhouse';

export class Sql {
  constructor(
    readonly parts: readonly string[],
    readonly values: readonly SqlValue[],
  ) {
    if (parts.length !== values.length + 1) throw new Error('Sql: parts/values mismatch');
  }

  get isEmpty(): boolean {
    return this.values.length === 0 && this.parts.every((p) => p.trim() === '');
  }
}

/** Tagged template: `sql\`a = ${v}\``; nested `Sql` values are spliced in, others become parameters. */
export function sql(strings: TemplateStringsArray, ...values: (SqlValue | Sql)[]): Sql {
  const parts: string[] = [strings[0]!];
  const vals: SqlValue[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v instanceof Sql) {
      parts[parts.length - 1] += v.parts[0]!;
      for (let j = 0; j < v.values.length; j++) {
        vals.push(v.values[j]!);
        parts.push(v.parts[j + 1]!);
      }
      parts[parts.length - 1] += strings[i + 1]!;
    } else {
      vals.push(v);
      parts.push(strings[i + 1]!);
    }
  }
  return new Sql(parts, vals);
}

/** Trusted text: identifiers and keywords from the code, never user input. */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

export function join(items: readonly Sql[], sep: string): Sql {
  if (items.length === 0) return raw('');
  let out = items[0]!;
  for (let i = 1; i < items.length; i++) out = sql`${out}${raw(sep)}${items[i]!}`;
  return out;
}

/** Renders a value as a literal (for ClickHouse 18.16 and for file paths in DuckDB table functions). */
export function literal(v: SqlValue, engine: Engine = 'clickhouse'): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot render ${v} as SQL`);
    return Number.isInteger(v) ? v.toString() : v.toString();
  }
  // DuckDB strings have no backslash escapes; ClickHouse's do.
  const body = engine === 'clickhouse' ? v.replace(/\\/g, '\\\\') : v;
  return `'${body.replace(/'/g, "''")}'`;
}

/** Renders with every value inlined as a literal. */
export function inline(q: Sql, engine: Engine = 'clickhouse'): string {
  let s = q.parts[0]!;
  for (let i = 0; i < q.values.length; i++) s += literal(q.values[i]!, engine) + q.parts[i + 1]!;
  return s;
}

/** Renders with `$1`, `$2`... placeholders (DuckDB prepared statements). */
export function numbered(q: Sql): { text: string; values: SqlValue[] } {
  let s = q.parts[0]!;
  for (let i = 0; i < q.values.length; i++) s += `$${i + 1}${q.parts[i + 1]!}`;
  return { text: s, values: [...q.values] };
}

/**
 * The items of an ORDER BY list of plain columns (`ord DESC, v1, v2`), for
 * the dialects that sort inside an aggregate; anything else is refused.
 */
export function orderItems(order: string): { col: string; desc: boolean }[] {
  return order.split(',').map((item) => {
    const [col, dir, ...rest] = item.trim().split(/\s+/);
    if (!col || !/^[a-z_][a-z0-9_]*$/i.test(col) || rest.length || (dir && !/^(ASC|DESC)$/i.test(dir)))
      throw new Error(`cannot order by ${JSON.stringify(item)}: plain columns with ASC or DESC only`);
    return { col, desc: dir?.toUpperCase() === 'DESC' };
  });
}
