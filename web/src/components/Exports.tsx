/** @module Export buttons for any list: the same filters as the list, one download per format. */

import { download } from '../api';
import { useI18n } from '../i18n';

type Query = Record<string, string | number | undefined>;

/**
 * CSV, blocklist and STIX buttons. `findings` (an export path) takes the
 * list's filters for CSV and blocklist; STIX goes to `stix` (the suspects
 * export, one indicator per address) with the same filters.
 */
export function ExportButtons({
  path,
  query,
  stix,
  testId,
}: {
  path: string;
  query: Query;
  stix?: string;
  testId?: string;
}) {
  const { t } = useI18n();
  return (
    <span className="actions inline" data-testid={testId}>
      {t.findings.export}:
      {(['csv', 'blocklist'] as const).map((fmt) => (
        <button
          key={fmt}
          type="button"
          className="secondary"
          onClick={() => void download(path, { ...query, format: fmt })}
        >
          {fmt === 'csv' ? 'CSV' : t.flow.blocklist}
        </button>
      ))}
      <button
        type="button"
        className="secondary"
        onClick={() => void download(stix ?? path, { ...query, format: 'stix' })}
      >
        STIX 2.1
      </button>
    </span>
  );
}
