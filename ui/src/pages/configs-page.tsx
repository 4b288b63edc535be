import { useMemo, useState } from 'preact/hooks';
import { api, type Problem, problemFrom } from '../api';
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

interface Row {
  config: ScanConfig;
  counts: Counts;
}

function compareRows(key: SortKey): (a: Row, b: Row) => number {
  switch (key) {
    case 'findings':
      return (a, b) => compareCounts(a.counts, b.counts);
    case 'lastScan':
    case 'nextScan':
      return (a, b) => (a.config[key] ?? '').localeCompare(b.config[key] ?? '');
    default:
      return (a, b) => a.config[key].localeCompare(b.config[key]);
  }
}

function countsByConfig(summary: Summary | null): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const config of summary?.configs ?? []) {
    const counts = zeroCounts();
    for (const image of config.images) addCounts(counts, image.counts);
    out.set(config.id, counts);
  }
  return out;
}

export function ConfigsPage() {
  const configs = useApi<ScanConfig[]>('/configs');
  const summary = useApi<Summary>('/summary?format=json');
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'repository', descending: false });
  const [page, setPage] = useState(0);
  const [editing, setEditing] = useState<ScanConfig | 'new' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const counts = useMemo(() => countsByConfig(summary.data), [summary.data]);

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const matching = (configs.data ?? [])
      .filter((config) => !status || config.status === status)
      .filter((config) => !needle || `${config.registry}/${config.repository} ${config.tags?.join(' ') ?? ''}`.toLowerCase().includes(needle))
      .map((config) => ({ config, counts: counts.get(config.id) ?? {} }));
    const compare = compareRows(sort.key);
    return matching.sort((a, b) => (sort.descending ? -compare(a, b) : compare(a, b)));
  }, [configs.data, counts, filter, status, sort]);

  if (configs.problem) return <ProblemView problem={configs.problem} />;
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const shown = rows.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);

  async function act(action: () => Promise<string>): Promise<void> {
    try {
      setNotice(await action());
      setProblem(null);
      configs.reload();
      summary.reload();
    } catch (err) {
      setProblem(problemFrom(err));
    }
  }
  const scan = (config: ScanConfig) => act(async () => (await api<{ runId: string }>('POST', `/configs/${config.id}/scan`), `Scan of ${config.repository} queued.`));
  const remove = (config: ScanConfig) => {
    if (!confirm(`Delete ${config.registry}/${config.repository} with its images and findings?`)) return;
    void act(async () => (await api('DELETE', `/configs/${config.id}`), `${config.repository} deleted.`));
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
      <p class="notice" role="status">
        {notice ?? ''}
      </p>
      {problem ? <ProblemView problem={problem} /> : null}
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
        <span class="muted">{configs.data ? `${rows.length} of ${configs.data.length}` : 'Loading…'}</span>
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
            {shown.map(({ config, counts: configCounts }) => (
              <tr key={config.id}>
                <th scope="row">
                  <a href={configHref(config.id)}>{config.repository}</a>
                </th>
                <td class="mono">{config.registry}{config.region ? ` (${config.region})` : ''}</td>
                <td>{config.tags?.join(', ') ?? <span class="muted">all</span>}</td>
                <td>{config.scanner}</td>
                <td>
                  <span class={`status status-${config.status.toLowerCase()}`}>{config.status}</span>
                  {config.lastError ? <div class="error-text small">{config.lastError}</div> : null}
                </td>
                <td>{formatTime(config.lastScan)}</td>
                <td>{formatTime(config.nextScan)}</td>
                <td>{summary.data ? <SeverityBadges counts={configCounts} /> : '…'}</td>
                <td class="row-actions">
                  <button type="button" onClick={() => void scan(config)}>
                    Scan now<span class="visually-hidden"> {config.repository}</span>
                  </button>
                  <button type="button" onClick={() => setEditing(config)}>
                    Edit<span class="visually-hidden"> {config.repository}</span>
                  </button>
                  <button type="button" class="danger" onClick={() => remove(config)}>
                    Delete<span class="visually-hidden"> {config.repository}</span>
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
