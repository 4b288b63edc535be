import { useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { ActionStatus, useActions } from '../components/action-status';
import { ConfigForm } from '../components/config-form';
import { EventList } from '../components/event-list';
import { FindingDetail } from '../components/finding-detail';
import { ProblemView } from '../components/problem-view';
import { SeverityBadges, SeverityLabel } from '../components/severity-badges';
import { VirtualRows } from '../components/virtual-rows';
import { COMPARE, type FindingFilter, filterFindings, type SortKey, useAllFindings } from '../findings';
import { SEVERITIES, type Severity, formatTime, shortDigest, zeroCounts } from '../format';
import type { EventsPage, Finding, ScanConfig } from '../types';
import { useApi } from '../use-api';
import { TableScroll } from '../components/table-scroll';

const ROW_HEIGHT = 40;

export function ConfigPage({ id }: { id: string }) {
  const config = useApi<ScanConfig>(`/configs/${encodeURIComponent(id)}`);
  const [round, setRound] = useState(0);
  const { findings, loading: findingsLoading, problem: findingsProblem } = useAllFindings(id, round);
  const events = useApi<EventsPage>(`/findings/${encodeURIComponent(id)}/events?format=json&limit=50`);
  const [filter, setFilter] = useState<FindingFilter>({ text: '', severities: [], status: 'ACTIVE', fixable: false });
  const [sort, setSort] = useState<SortKey>('severity');
  const [selected, setSelected] = useState<Finding | null>(null);
  const [editing, setEditing] = useState(false);
  const { notice, setNotice, problem, act } = useActions();

  const haystacks = useMemo(
    () => (findings ?? []).map((f) => `${f.name} ${f.package ?? ''} ${f.version ?? ''} ${f.tag} ${f.aliases.join(' ')} ${f.path ?? ''}`.toLowerCase()),
    [findings],
  );
  const sorted = useMemo(() => {
    if (!findings) return { findings: [], haystacks: [] };
    const order = findings.map((_, i) => i).sort((a, b) => COMPARE[sort](findings[a]!, findings[b]!));
    return { findings: order.map((i) => findings[i]!), haystacks: order.map((i) => haystacks[i]!) };
  }, [findings, haystacks, sort]);
  const shown = useMemo(() => filterFindings(sorted.findings, sorted.haystacks, filter), [sorted, filter]);
  const imageCounts = useMemo(() => {
    const byImage = new Map<string, ReturnType<typeof zeroCounts>>();
    for (const finding of findings ?? []) {
      if (finding.status !== 'ACTIVE') continue;
      const counts = byImage.get(finding.tag) ?? zeroCounts();
      counts[finding.severity] += 1;
      byImage.set(finding.tag, counts);
    }
    return byImage;
  }, [findings]);

  if (config.problem) return <ProblemView problem={config.problem} />;
  const data = config.data;
  if (!data) return <p aria-busy="true">Loading…</p>;

  const refresh = (): void => {
    config.reload();
    events.reload();
    setRound((n) => n + 1);
  };
  const toggleSeverity = (severity: Severity): void =>
    setFilter({ ...filter, severities: filter.severities.includes(severity) ? filter.severities.filter((s) => s !== severity) : [...filter.severities, severity] });

  return (
    <>
      <p class="breadcrumb">
        <a href="#/configs">Configurations</a> /
      </p>
      <div class="section-head">
        <h1>
          {data.registry}/{data.repository}
        </h1>
        <div class="actions">
          <button type="button" onClick={refresh}>
            Refresh
          </button>
          <button type="button" onClick={() => void act(async () => (await api('POST', `/configs/${data.id}/scan`), 'Scan queued.'))}>
            Scan now
          </button>
          <button type="button" onClick={() => setEditing(!editing)}>
            Edit
          </button>
          <button
            type="button"
            class="danger"
            onClick={() => {
              if (!confirm(`Delete ${data.registry}/${data.repository} with its images and findings?`)) return;
              void act(async () => {
                await api('DELETE', `/configs/${data.id}`);
                location.hash = '#/configs';
                return 'Deleted.';
              });
            }}
          >
            Delete
          </button>
        </div>
      </div>
      <ActionStatus notice={notice} problem={problem} />
      {editing ? (
        <ConfigForm
          config={data}
          onCancel={() => setEditing(false)}
          onDone={() => {
            setEditing(false);
            setNotice('Saved.');
            config.reload();
          }}
        />
      ) : null}
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class={`status status-${data.status.toLowerCase()}`}>{data.status}</span>
        </dd>
        <dt>Tags</dt>
        <dd>{data.tags?.join(', ') ?? 'all'}</dd>
        <dt>Scanner</dt>
        <dd>{data.scanner}</dd>
        <dt>Schedule</dt>
        <dd>{data.schedule}</dd>
        <dt>Last scan</dt>
        <dd>{formatTime(data.lastScan)}</dd>
        <dt>Next scan</dt>
        <dd>{formatTime(data.nextScan)}</dd>
        {data.lastError ? (
          <>
            <dt>Last error</dt>
            <dd class="error-text">{data.lastError}</dd>
          </>
        ) : null}
      </dl>

      <section aria-labelledby="images-title">
        <h2 id="images-title">Images</h2>
        {data.images.length === 0 ? (
          <p class="muted">No image yet: the first scan lists them.</p>
        ) : (
          <TableScroll label="Images">
            <table class="data">
              <thead>
                <tr>
                  <th scope="col">Tag</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Status</th>
                  <th scope="col">Open findings</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {data.images.map((image) => (
                  <tr key={image.tag}>
                    <th scope="row">{image.tag}</th>
                    <td class="mono" title={image.digest ?? ''}>
                      {shortDigest(image.digest)}
                    </td>
                    <td>{image.status}</td>
                    <td>{findings ? <SeverityBadges counts={imageCounts.get(image.tag) ?? {}} /> : '…'}</td>
                    <td class="error-text">{image.error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>

      <section aria-labelledby="findings-title">
        <h2 id="findings-title">Findings</h2>
        {findingsProblem ? <ProblemView problem={findingsProblem} /> : null}
        <div class="filters" role="search" aria-label="Filter findings">
          <span class="filter">
            <label for="findings-search">Search</label> <input id="findings-search" type="search" value={filter.text} onInput={(e) => setFilter({ ...filter, text: e.currentTarget.value })} placeholder="CVE, package, tag" />
          </span>
          <div class="segmented" role="group" aria-label="Severities">
            {SEVERITIES.map((severity) => (
              <button key={severity} type="button" aria-pressed={filter.severities.includes(severity)} onClick={() => toggleSeverity(severity)}>
                {severity.toLowerCase()}
              </button>
            ))}
          </div>
          <span class="filter">
            <label for="findings-status">Status</label>{' '}
            <select id="findings-status" value={filter.status} onChange={(e) => setFilter({ ...filter, status: e.currentTarget.value as FindingFilter['status'] })}>
              <option value="ACTIVE">open</option>
              <option value="FIXED">fixed</option>
              <option value="SUPPRESSED">suppressed</option>
              <option value="ALL">all</option>
            </select>
          </span>
          <label>
            <input type="checkbox" checked={filter.fixable} onChange={(e) => setFilter({ ...filter, fixable: e.currentTarget.checked })} /> fixable only
          </label>
          <span class="filter">
            <label for="findings-sort">Sort</label>{' '}
            <select id="findings-sort" value={sort} onChange={(e) => setSort(e.currentTarget.value as SortKey)}>
              <option value="severity">severity</option>
              <option value="name">advisory</option>
              <option value="package">package</option>
              <option value="tag">tag</option>
              <option value="firstSeen">newest</option>
            </select>
          </span>
          <span class="muted" role="status" data-testid="finding-count">
            {findings ? `${shown.length} of ${findings.length} findings${findingsLoading ? ' so far, reading more…' : ''}` : 'Loading findings…'}
          </span>
        </div>
        <VirtualRows
          items={shown}
          rowHeight={ROW_HEIGHT}
          label="Findings"
          header={
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Advisory</th>
              <th scope="col">Package</th>
              <th scope="col">Installed</th>
              <th scope="col">Fixed in</th>
              <th scope="col">Tag</th>
              <th scope="col">Exploit</th>
            </tr>
          }
          render={(finding) => (
            <tr key={`${finding.tag}|${finding.name}|${finding.package ?? ''}`} class={finding.status === 'FIXED' ? 'fixed' : ''}>
              <td>
                <SeverityLabel severity={finding.severity} />
              </td>
              <td>
                <button type="button" class="link" onClick={() => setSelected(finding)}>
                  {finding.name}
                </button>
              </td>
              <td class="mono">{finding.package ?? ''}</td>
              <td class="mono">{finding.version ?? ''}</td>
              <td class="mono">{finding.fixedVersion ?? ''}</td>
              <td>{finding.tag}</td>
              <td>
                {finding.kev ? (
                  <span class="badge kev" title="In CISA's Known Exploited Vulnerabilities catalogue">
                    KEV
                  </span>
                ) : null}{' '}
                {finding.epss ? <span title="EPSS: probability of exploitation in the next 30 days">{(finding.epss.score * 100).toFixed(1)}%</span> : null}
              </td>
            </tr>
          )}
        />
      </section>
      {selected ? (
        <FindingDetail
          finding={selected}
          configId={data.id}
          onClose={() => setSelected(null)}
          onSuppressed={() => {
            setNotice(`Suppressed ${selected.name}.`);
            refresh();
          }}
        />
      ) : null}

      <section aria-labelledby="events-title">
        <h2 id="events-title">History</h2>
        {events.problem ? <ProblemView problem={events.problem} /> : events.data ? <EventList events={events.data.events} showConfig={false} /> : <p aria-busy="true">Loading…</p>}
      </section>
    </>
  );
}
