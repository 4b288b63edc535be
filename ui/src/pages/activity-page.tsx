import { useEffect, useState } from 'preact/hooks';
import { api, type Problem, problemFrom } from '../api';
import { EventList } from '../components/event-list';
import { ProblemView } from '../components/problem-view';
import { SEVERITIES } from '../format';
import { EVENT_TYPES, type EventsPage, type ScanConfig, type ScanEvent } from '../types';
import { useApi } from '../use-api';

const LIMIT = 100;

/** The event log, newest first, filtered by the API (type, severity, configuration) and read on with its cursor. */
export function ActivityPage() {
  const configs = useApi<ScanConfig[]>('/configs');
  const [type, setType] = useState('');
  const [severity, setSeverity] = useState('');
  const [config, setConfig] = useState('');
  const [events, setEvents] = useState<ScanEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  const query = (after: string | null): string => {
    const params = new URLSearchParams({ order: 'desc', limit: String(LIMIT) });
    if (type) params.set('type', type);
    if (severity) params.set('severity', severity);
    if (config) params.set('config', config);
    if (after) params.set('after', after);
    return `/events?${params.toString()}`;
  };
  async function load(after: string | null): Promise<void> {
    try {
      const page = await api<EventsPage>('GET', query(after));
      setEvents((previous) => (after && previous ? [...previous, ...page.events] : page.events));
      setNext(page.next);
      setProblem(null);
    } catch (err) {
      setProblem(problemFrom(err));
    }
  }
  useEffect(() => {
    setEvents(null);
    void load(null);
  }, [type, severity, config]);

  return (
    <>
      <h1>Activity</h1>
      <div class="filters" role="search" aria-label="Filter events">
        <span class="filter">
          <label for="events-event">Event</label>{' '}
          <select id="events-event" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">any</option>
            {EVENT_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </span>
        <span class="filter">
          <label for="events-severity">Severity</label>{' '}
          <select id="events-severity" value={severity} onChange={(e) => setSeverity(e.currentTarget.value)}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </span>
        <span class="filter">
          <label for="events-configuration">Configuration</label>{' '}
          <select id="events-configuration" value={config} onChange={(e) => setConfig(e.currentTarget.value)}>
            <option value="">any</option>
            {(configs.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.registry}/{c.repository}
              </option>
            ))}
          </select>
        </span>
      </div>
      {problem ? <ProblemView problem={problem} /> : null}
      {events ? <EventList events={events} showConfig /> : <p aria-busy="true">Loading…</p>}
      {next ? (
        <button type="button" onClick={() => void load(next)}>
          Older events
        </button>
      ) : null}
    </>
  );
}
