import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { SEVERITIES, type Severity } from '../format';
import type { History } from '../types';
import { TableScroll } from './table-scroll';

export const SEVERITY_COLOURS: Record<Severity, string> = {
  CRITICAL: '#7f1d1d',
  HIGH: '#c2410c',
  MEDIUM: '#a16207',
  LOW: '#1d4ed8',
  INFORMATIONAL: '#4b5563',
  UNDEFINED: '#7e22ce',
};

/** Open findings per severity per day, drawn by uPlot; the same figures follow as a table for screen readers. */
export function TrendChart({ history }: { history: History }) {
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = target.current;
    if (!element) return;
    const xs = history.days.map((day) => Date.parse(`${day.date}T00:00:00Z`) / 1000);
    const shown = SEVERITIES.filter((severity) => history.days.some((day) => (day.counts[severity] ?? 0) > 0));
    const data: uPlot.AlignedData = [xs, ...shown.map((severity) => history.days.map((day) => day.counts[severity] ?? 0))];
    const width = (): number => Math.max(280, element.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 240,
        scales: { x: { time: true } },
        axes: [{}, { size: 60 }],
        series: [{}, ...shown.map((severity) => ({ label: severity, stroke: SEVERITY_COLOURS[severity], width: 2 }))],
        legend: { show: true },
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [history]);
  const last = history.days[history.days.length - 1];
  const first = history.days[0];
  return (
    <figure class="trend">
      <div ref={target} role="img" aria-label={`Open findings per severity per day, ${first?.date ?? ''} to ${last?.date ?? ''}`} />
      <details>
        <summary>Figures as a table</summary>
        <TableScroll label="Trend figures">
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {SEVERITIES.map((severity) => (
                  <th scope="col" key={severity}>
                    {severity}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {history.days.map((day) => (
                <tr key={day.date}>
                  <th scope="row">{day.date}</th>
                  {SEVERITIES.map((severity) => (
                    <td key={severity}>{day.counts[severity] ?? 0}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </details>
    </figure>
  );
}
