/**
 * @module Tables whose sorting and paging happen on the server: a click on a
 * sortable header or on a pager button asks for another page; the browser
 * never holds more than one page, however many rows there are.
 */

import type { ReactNode } from 'react';
import { useI18n } from '../i18n';

export interface Column<T> {
  title: string;
  render: (row: T) => ReactNode;
  /** The server's sort key for this column. */
  sort?: string;
  numeric?: boolean;
}

export interface SortState {
  sort?: string;
  order?: 'asc' | 'desc';
}

export function DataTable<T>(props: {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  sort?: SortState;
  onSort?: (s: SortState) => void;
  onRow?: (row: T) => void;
  testId?: string;
}) {
  const { t } = useI18n();
  const { columns, rows, sort, onSort } = props;
  if (rows.length === 0) return <p className="muted">{t.none}</p>;
  return (
    <div className="table-wrap">
      <table className="data" data-testid={props.testId}>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = c.sort !== undefined && sort?.sort === c.sort;
              const arrow = active ? (sort?.order === 'asc' ? ' ▲' : ' ▼') : '';
              return (
                <th key={c.title} className={c.numeric ? 'num' : undefined}>
                  {c.sort && onSort ? (
                    <button
                      type="button"
                      className="sort"
                      data-sort={c.sort}
                      onClick={() =>
                        onSort({ sort: c.sort, order: active && sort?.order === 'desc' ? 'asc' : 'desc' })
                      }
                    >
                      {c.title}
                      {arrow}
                    </button>
                  ) : (
                    c.title
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr
              key={props.rowKey(r)}
              className={props.onRow ? 'clickable' : undefined}
              onClick={props.onRow ? () => props.onRow!(r) : undefined}
            >
              {columns.map((c) => (
                <td key={c.title} className={c.numeric ? 'num' : undefined}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Pager(props: {
  total: number;
  offset: number;
  limit: number;
  onPage: (offset: number) => void;
}) {
  const { t } = useI18n();
  const { total, offset, limit } = props;
  if (total <= limit && offset === 0) return null;
  // A new page starts at its top, as a new page of a book does.
  const go = (o: number) => {
    props.onPage(o);
    window.scrollTo(0, 0);
  };
  return (
    <div className="pager" data-testid="pager">
      <button type="button" disabled={offset === 0} onClick={() => go(Math.max(0, offset - limit))}>
        {t.prev}
      </button>
      <span>{t.pageOf(total === 0 ? 0 : offset + 1, Math.min(total, offset + limit), total)}</span>
      <button type="button" disabled={offset + limit >= total} onClick={() => go(offset + limit)}>
        {t.next}
      </button>
    </div>
  );
}

export function Status(props: { loading: boolean; error: { message: string } | null }) {
  const { t } = useI18n();
  if (props.error)
    return (
      <p className="error" role="alert">
        {props.error.message}
      </p>
    );
  if (props.loading) return <p className="muted">{t.loading}</p>;
  return null;
}
