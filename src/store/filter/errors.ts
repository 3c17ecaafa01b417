/** @module The error of a filter that cannot be parsed, pointing at the offending text. */

import { FlowhuntError } from '../../errors.js';

/**
 * Raised for any filter that is not valid: the message names the problem
 * and the column, then repeats the filter line with carets under the
 * offending token, e.g.
 * ```
 * unknown word "prot" at column 1
 *   prot tcp
 *   ^^^^
 * ```
 */
export class FilterError extends FlowhuntError {
  override name = 'FilterError';

  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    /** 0-based character offset into the filter text (its length at the end). */
    readonly position: number,
    readonly text: string,
    /** Characters to underline (at least one caret is drawn). */
    readonly length = 1,
  ) {
    super('bad_filter', render(reason, position, text, length));
  }
}

function render(reason: string, position: number, text: string, length: number): string {
  const lineStart = text.lastIndexOf('\n', position - 1) + 1;
  const nl = text.indexOf('\n', position);
  const lineEnd = nl < 0 ? text.length : nl;
  const line = text.slice(lineStart, lineEnd);
  const lineNo = text.slice(0, lineStart).split('\n').length;
  const col = position - lineStart + 1;
  const where = text.includes('\n') ? `line ${lineNo}, column ${col}` : `column ${col}`;
  // Keep tabs so the caret lines up under the same glyphs.
  const pad = line.slice(0, position - lineStart).replace(/[^\t]/g, ' ');
  const carets = '^'.repeat(Math.max(1, Math.min(length, lineEnd - position)));
  return `${reason} at ${where}\n  ${line}\n  ${pad}${carets}`;
}
