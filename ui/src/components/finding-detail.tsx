import { useEffect, useRef, useState } from 'preact/hooks';
import { formatTime } from '../format';
import type { Finding } from '../types';
import { SeverityLabel } from './severity-badges';
import { SuppressForm } from './suppress-form';

/** Only http(s) links from advisory data become links: a `javascript:` URI stays text. */
function safeLink(uri: string | null): string | null {
  return uri && /^https?:\/\//i.test(uri) ? uri : null;
}

/** One finding in a modal dialog: the browser keeps focus inside it and Escape closes it. */
export function FindingDetail({ finding, configId, onClose, onSuppressed }: { finding: Finding; configId: string; onClose: () => void; onSuppressed: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [suppressing, setSuppressing] = useState(false);
  // The parent re-renders often (findings arrive page by page): the latest onClose is kept
  // aside so that the dialog is opened once per finding, not on every render.
  const closing = useRef(onClose);
  closing.current = onClose;
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (!element.open) element.showModal();
    const closed = (): void => closing.current();
    element.addEventListener('close', closed);
    return () => element.removeEventListener('close', closed);
  }, [finding]);
  const link = safeLink(finding.uri);
  return (
    <dialog ref={dialog} class="detail" aria-labelledby="finding-title">
      <div class="section-head">
        <h2 id="finding-title">
          <SeverityLabel severity={finding.severity} /> {finding.name}
        </h2>
        <div class="actions">
          {finding.status === 'ACTIVE' && !suppressing ? (
            <button type="button" onClick={() => setSuppressing(true)}>
              Suppress…
            </button>
          ) : null}
          <button type="button" onClick={() => dialog.current?.close()}>
            Close
          </button>
        </div>
      </div>
      {suppressing ? (
        <SuppressForm
          finding={finding}
          configId={configId}
          onCancel={() => setSuppressing(false)}
          onDone={() => {
            setSuppressing(false);
            onSuppressed();
            dialog.current?.close();
          }}
        />
      ) : null}
      {finding.suppression ? (
        <div class="card suppression" role="note" aria-label="Suppression">
          <strong>Suppressed: {finding.suppression.status.replace(/_/g, ' ')}</strong>
          {finding.suppression.justification ? ` (${finding.suppression.justification.replace(/_/g, ' ')})` : ''}
          <p>{finding.suppression.reason}</p>
          <p class="muted">
            {finding.suppression.expiresAt ? `Until ${formatTime(finding.suppression.expiresAt)}` : 'No expiry'} · <a href="#/suppressions">Suppressions</a>
          </p>
        </div>
      ) : null}
      {finding.description ? <p class="description">{finding.description}</p> : null}
      <dl class="facts">
        <dt>Advisory</dt>
        <dd>{link ? <a href={link} rel="noreferrer noopener" target="_blank">{link}</a> : (finding.uri ?? '—')}</dd>
        {finding.aliases.length > 0 ? (
          <>
            <dt>Also known as</dt>
            <dd>{finding.aliases.join(', ')}</dd>
          </>
        ) : null}
        <dt>Known exploited</dt>
        <dd>{finding.kev ? `yes, in CISA's KEV catalogue since ${finding.kev.dateAdded}${finding.kev.knownRansomwareCampaignUse === 'Known' ? ' (used by ransomware)' : ''}` : 'no'}</dd>
        <dt>EPSS</dt>
        <dd>{finding.epss ? `${(finding.epss.score * 100).toFixed(1)}% (percentile ${Math.round(finding.epss.percentile * 100)})` : '—'}</dd>
        <dt>CVSS</dt>
        <dd class="mono">{finding.cvss ? `${finding.cvss.score ?? ''} ${finding.cvss.vector ?? ''}`.trim() || '—' : '—'}</dd>
        <dt>Package</dt>
        <dd class="mono">{finding.package ?? '—'}</dd>
        <dt>Installed</dt>
        <dd class="mono">{finding.version ?? '—'}</dd>
        <dt>Fixed in</dt>
        <dd class="mono">{finding.fixedVersion ?? 'no fix yet'}</dd>
        <dt>File</dt>
        <dd class="mono">{finding.path ?? '—'}</dd>
        <dt>Image</dt>
        <dd class="mono">
          {finding.tag} {finding.digest ?? ''}
        </dd>
        <dt>First seen</dt>
        <dd>{formatTime(finding.firstSeen)}</dd>
        <dt>Last seen</dt>
        <dd>{formatTime(finding.lastSeen)}</dd>
        <dt>Fixed</dt>
        <dd>{finding.fixedAt ? formatTime(finding.fixedAt) : 'open'}</dd>
      </dl>
    </dialog>
  );
}
