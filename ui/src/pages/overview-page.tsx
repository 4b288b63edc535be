import { useState } from 'preact/hooks';
import { ProblemView } from '../components/problem-view';
import { SeverityBadges } from '../components/severity-badges';
import { TrendChart } from '../components/trend-chart';
import { type Counts, SEVERITIES, addCounts, compareCounts, formatNumber, formatTime, zeroCounts } from '../format';
import { configHref } from '../router';
import type { AdvisorySource, History, Summary } from '../types';
import { useApi } from '../use-api';

interface ConfigLine {
  id: string;
  name: string;
  counts: Counts;
  status: string;
  error: string | null;
}

/** Per configuration: its counts over every image, and the first error of it or its images. */
function configLines(summary: Summary): ConfigLine[] {
  return summary.configs.map((config) => {
    const counts = zeroCounts();
    for (const image of config.images) addCounts(counts, image.counts);
    const imageError = config.images.find((image) => image.error)?.error ?? null;
    return { id: config.id, name: `${config.registry}/${config.repository}`, counts, status: config.status, error: config.lastError ?? imageError };
  });
}

export function OverviewPage() {
  const summary = useApi<Summary>('/summary?format=json');
  const [days, setDays] = useState(30);
  // Asked once the totals are in: on SQLite the history's first reading after a write holds
  // the server for a moment, and the figures people come for should not wait behind it.
  const history = useApi<History>(summary.data ? `/history?days=${days}` : null);
  const advisories = useApi<{ sources: AdvisorySource[] }>('/advisories');
  if (summary.problem) return <ProblemView problem={summary.problem} />;
  if (!summary.data) return <p aria-busy="true">Loading…</p>;
  const lines = configLines(summary.data);
  const attention = lines.filter((line) => SEVERITIES.some((s) => (line.counts[s] ?? 0) > 0)).sort((a, b) => compareCounts(a.counts, b.counts)).slice(0, 5);
  const failing = lines.filter((line) => line.status === 'FAILED' || line.error !== null).slice(0, 10);
  const images = summary.data.configs.flatMap((config) => config.images);
  return (
    <>
      <h1>Overview</h1>
      {summary.data.warnings?.map((warning) => (
        <p class="warning" key={warning}>
          {warning}
        </p>
      ))}
      <section aria-labelledby="totals-title">
        <h2 id="totals-title">Open findings</h2>
        <ul class="totals">
          {SEVERITIES.map((severity) => (
            <li key={severity} class={`total sev-${severity.toLowerCase()}`}>
              <span class="total-count">{formatNumber(summary.data?.totals[severity] ?? 0)}</span>
              <span class="total-label">{severity.toLowerCase()}</span>
            </li>
          ))}
        </ul>
        <p data-testid="kev-fixable">
          <strong>{formatNumber(images.reduce((n, image) => n + image.kev, 0))}</strong> known exploited (CISA KEV) ·{' '}
          <strong>{formatNumber(images.reduce((n, image) => n + image.fixable, 0))}</strong> with a fix
        </p>
        <p class="muted">
          Across {formatNumber(lines.length)} configurations and {formatNumber(summary.data.configs.reduce((n, c) => n + c.images.length, 0))} images, as of{' '}
          {formatTime(summary.data.generatedAt)}.
        </p>
      </section>
      <section aria-labelledby="trend-title">
        <div class="section-head">
          <h2 id="trend-title">Trend</h2>
          <div class="segmented" role="group" aria-label="Period">
            {[30, 90].map((n) => (
              <button key={n} type="button" aria-pressed={days === n} onClick={() => setDays(n)}>
                {n} days
              </button>
            ))}
          </div>
        </div>
        {history.problem ? <ProblemView problem={history.problem} /> : history.data ? <TrendChart history={history.data} /> : <p aria-busy="true">Loading…</p>}
      </section>
      <div class="columns">
        <section aria-labelledby="attention-title">
          <h2 id="attention-title">Most in need of attention</h2>
          {attention.length === 0 ? (
            <p class="muted">No open findings.</p>
          ) : (
            <ol class="plain">
              {attention.map((line) => (
                <li key={line.id}>
                  <a href={configHref(line.id)}>{line.name}</a> <SeverityBadges counts={line.counts} />
                </li>
              ))}
            </ol>
          )}
        </section>
        <section aria-labelledby="failing-title">
          <h2 id="failing-title">Scans failing now</h2>
          {failing.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <ul class="plain">
              {failing.map((line) => (
                <li key={line.id}>
                  <a href={configHref(line.id)}>{line.name}</a> <span class="error-text">{line.error ?? line.status}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="advisories-title">
          <h2 id="advisories-title">Advisory data</h2>
          {advisories.problem ? (
            <p class="muted">{advisories.problem.detail}</p>
          ) : !advisories.data ? (
            <p aria-busy="true">Loading…</p>
          ) : advisories.data.sources.length === 0 ? (
            <p class="muted">No advisory source configured (the built-in scanner's ECRSCAN_OSV_SOURCES).</p>
          ) : (
            <ul class="plain">
              {advisories.data.sources.map((source) => (
                <li key={source.source}>
                  <span class="mono">{source.source}</span>: {source.stale ? <strong class="error-text">stale</strong> : 'current'}, imported {formatTime(source.lastImport)}
                  {source.lastError ? <span class="error-text"> — {source.lastError}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}
