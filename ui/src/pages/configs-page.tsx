import { useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { ActionStatus, useActions } from '../components/action-status';
import { ConfigForm } from '../components/config-form';
import { ProblemView } from '../components/problem-view';
import { SeverityBadges } from '../components/severity-badges';
import { type Counts, addCounts, compareCounts, formatTime, zeroCounts } from '../format';
import { configHref } from '../router';
import type { ScanConfig, Summary } from '../types';
import { useApi } from '../use-api';
import { TableScroll } from '../components/table-scroll';

const PAGE_SIZE = 50;
type SortKey = 'repository' | 'registry' | 'status' | 'lastScan' | 'nextScan' | 'findings';

/**
 * A table row. The summary (cached by the server per revision, so quick) and the list of
 * configurations (tags, scanner, next scan) are read at once; the table shows whichever
 * comes first and fills in the rest when the other arrives.
 */
interface Row {
  id: string;
  registry: string;
  region: string | null;
  repository: string;
  status: string;
  lastScan: string | null;
  lastError: string | null;
  counts: Counts | null;
  config: ScanConfig | null;
}

function compareRows(key: SortKey): (a: Row, b: Row) => number {
  switch (key) {
    case 'findings':
      return (a, b) => compareCounts(a.counts ?? {}, b.counts ?? {});
    case 'lastScan':
      return (a, b) => (a.lastScan ?? '').localeCompare(b.lastScan ?? '');
    case 'nextScan':
      return (a, b) => (a.config?.nextScan ?? '').localeCompare(b.config?.nextScan ?? '');
    default:
      return (a, b) => a[key].localeCompare(b[key]);
  }
}

function rowsOf(configs: ScanConfig[] | null, summary: Summary | null): Row[] {
  const counts = new Map<string, Counts>();
  for (const config of summary?.configs ?? []) {
    const sum = zeroCounts();
    for (const image of config.images) addCounts(sum, image.counts);
    counts.set(config.id, sum);
  }
  if (configs) {
    return configs.map((config) => ({ ...config, counts: summary ? (counts.get(config.id) ?? {}) : null, config }));
  }
  return (summary?.configs ?? []).map((config) => ({ ...config, counts: counts.get(config.id) ?? {}, config: null }));
}

export function ConfigsPage() {
  // The summary first: the server keeps it rendered, so it comes back at once and the table shows.
  const summary = useApi<Summary>('/summary?format=json');
  const configs = useApi<ScanConfig[]>('/configs');
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'repository', descending: false });
  const [page, setPage] = useState(0);
  const [editing, setEditing] = useState<ScanConfig | 'new' | null>(null);
  const { notice, problem, act } = useActions(() => {
    configs.reload();
    summary.reload();
  });
  const all = useMemo(() => rowsOf(configs.data, summary.data), [configs.data, summary.data]);
  const loaded = configs.data !== null || summary.data !== null;

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const matching = all
      .filter((row) => !status || row.status === status)
      .filter((row) => !needle || `${row.registry}/${row.repository} ${row.config?.tags?.join(' ') ?? ''}`.toLowerCase().includes(needle));
    const compare = compareRows(sort.key);
    return matching.sort((a, b) => (sort.descending ? -compare(a, b) : compare(a, b)));
  }, [all, filter, status, sort]);

  if (configs.problem) return <ProblemView problem={configs.problem} />;
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const shown = rows.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);

  const scan = (row: Row) => act(async () => (await api<{ runId: string }>('POST', `/configs/${row.id}/scan`), `Scan of ${row.repository} queued.`));
  const remove = (row: Row) => {
    if (!confirm(`Delete ${row.registry}/${row.repository} with its images and findings?`)) return;
    void act(async () => (await api('DELETE', `/configs/${row.id}`), `${row.repository} deleted.`));
  };

  const header = (key: SortKey, label: string) => (
    <th scope="col" aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
      <button type="button" class="sort" onClick={() => setSort({ key, descending: sort.key === key ? !sort.descending : false })}>
        {label}
      </button>
    </th>
  );

  return (
    <>
      <div class="section-head">
        <h1>Configurations</h1>
        <button type="button" class="primary" onClick={() => setEditing('new')}>
          Add configuration
        </button>
      </div>
      {editing ? (
        <ConfigForm
          config={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onDone={(saved) => {
            setEditing(null);
            void act(async () => `${saved.repository} saved.`);
          }}
        />
      ) : null}
      <ActionStatus notice={notice} problem={problem} />
      <div class="filters">
        <span class="filter">
          <label for="configs-filter">Filter</label> <input id="configs-filter" type="search" value={filter} onInput={(e) => (setFilter(e.currentTarget.value), setPage(0))} placeholder="repository or tag" />
        </span>
        <span class="filter">
          <label for="configs-status">Status</label>{' '}
          <select id="configs-status" value={status} onChange={(e) => (setStatus(e.currentTarget.value), setPage(0))}>
            <option value="">any</option>
            {['NEW', 'QUEUED', 'SCANNING', 'COMPLETE', 'PARTIAL', 'FAILED'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </span>
        <span class="muted">{loaded ? `${rows.length} of ${all.length}` : 'Loading…'}</span>
      </div>
      <TableScroll label="Configurations">
        <table class="data">
          <caption class="visually-hidden">Scan configurations</caption>
          <thead>
            <tr>
              {header('repository', 'Repository')}
              {header('registry', 'Registry')}
              <th scope="col">Tags</th>
              <th scope="col">Scanner</th>
              {header('status', 'Status')}
              {header('lastScan', 'Last scan')}
              {header('nextScan', 'Next scan')}
              {header('findings', 'Open findings')}
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={row.id}>
                <th scope="row">
                  <a href={configHref(row.id)}>{row.repository}</a>
                </th>
                <td class="mono">
                  {row.registry}
                  {row.region ? ` (${row.region})` : ''}
                </td>
                <td>{row.config ? (row.config.tags?.join(', ') ?? <span class="muted">all</span>) : '…'}</td>
                <td>{row.config?.scanner ?? '…'}</td>
                <td>
                  <span class={`status status-${row.status.toLowerCase()}`}>{row.status}</span>
                  {row.lastError ? <div class="error-text small">{row.lastError}</div> : null}
                </td>
                <td>{formatTime(row.lastScan)}</td>
                <td>{row.config ? formatTime(row.config.nextScan) : '…'}</td>
                <td>{row.counts ? <SeverityBadges counts={row.counts} /> : '…'}</td>
                <td class="row-actions">
                  <button type="button" onClick={() => void scan(row)}>
                    Scan now<span class="visually-hidden"> {row.repository}</span>
                  </button>
                  <button type="button" disabled={!row.config} onClick={() => row.config && setEditing(row.config)}>
                    Edit<span class="visually-hidden"> {row.repository}</span>
                  </button>
                  <button type="button" class="danger" onClick={() => remove(row)}>
                    Delete<span class="visually-hidden"> {row.repository}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {configs.data && configs.data.length === 0 ? <p class="muted">No configuration yet: add one to start scanning.</p> : null}
      {pages > 1 ? (
        <nav class="pager" aria-label="Pages of configurations">
          <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page + 1} of {pages}
          </span>
          <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      ) : null}
    </>
  );
}
