import { formatTime } from '../format';
import { configHref } from '../router';
import type { ScanEvent } from '../types';
import { SeverityLabel } from './severity-badges';
import { TableScroll } from './table-scroll';

function whatOf(event: ScanEvent): string {
  if (event.finding) {
    const pkg = event.finding.package ? ` in ${event.finding.package} ${event.finding.version ?? ''}` : '';
    return `${event.finding.name}${pkg}${event.reason ? ` (${event.reason.replace('_', ' ')})` : ''}`;
  }
  if (event.suppression) {
    const { vulnerability, status } = event.suppression;
    const n = event.affectedFindings;
    return `${vulnerability} ${status.replace(/_/g, ' ')}${n !== undefined ? ` (${n} open finding${n === 1 ? '' : 's'})` : ''}`;
  }
  if (event.error) return event.error;
  return event.digest ?? '';
}

export function EventList({ events, showConfig }: { events: readonly ScanEvent[]; showConfig: boolean }) {
  if (events.length === 0) return <p class="muted">No event yet.</p>;
  return (
    <TableScroll label="Events">
      <table class="data">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            {showConfig ? <th scope="col">Configuration</th> : null}
            <th scope="col">Tag</th>
            <th scope="col">Severity</th>
            <th scope="col">What</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id}>
              <td>{formatTime(event.time)}</td>
              <td>
                <span class={`event event-${event.type.replace('.', '-')}`}>{event.type}</span>
              </td>
              {showConfig ? (
                <td>
                  <a href={configHref(event.configId)}>{event.repository}</a>
                </td>
              ) : null}
              <td>{event.tag ?? ''}</td>
              <td>{event.severity ? <SeverityLabel severity={event.severity} /> : ''}</td>
              <td class="wrap">{whatOf(event)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
