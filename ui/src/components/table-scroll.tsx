import type { ComponentChildren } from 'preact';

/** A table that may scroll sideways on a narrow screen: focusable, so that the keyboard can scroll it too. */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
