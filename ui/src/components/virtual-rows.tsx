import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

const OVERSCAN = 10;

/**
 * A table body that renders only the rows in view (plus a margin), with spacer rows
 * standing in for the rest: 10,000 findings cost the DOM of some 40.
 */
export function VirtualRows<T>({ items, rowHeight, header, label, render }: {
  items: readonly T[];
  rowHeight: number;
  header: ComponentChildren;
  label: string;
  render: (item: T, index: number) => ComponentChildren;
}) {
  // Style objects are set through the CSSOM, which the Content-Security-Policy allows.
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const update = (): void => setView({ top: element.scrollTop, height: element.clientHeight });
    update();
    element.addEventListener('scroll', update, { passive: true });
    const resize = new ResizeObserver(update);
    resize.observe(element);
    return () => {
      element.removeEventListener('scroll', update);
      resize.disconnect();
    };
  }, []);
  const first = Math.max(0, Math.floor(view.top / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((view.top + view.height) / rowHeight) + OVERSCAN);
  return (
    <div class="virtual" ref={scroller} tabIndex={0} role="region" aria-label={label}>
      <table class="data fixed-rows">
        <thead>{header}</thead>
        <tbody>
          {first > 0 ? <tr aria-hidden="true" class="spacer" style={{ height: `${first * rowHeight}px` }} /> : null}
          {items.slice(first, last).map((item, offset) => render(item, first + offset))}
          {last < items.length ? (
            <tr aria-hidden="true" class="spacer" style={{ height: `${(items.length - last) * rowHeight}px` }} />
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
