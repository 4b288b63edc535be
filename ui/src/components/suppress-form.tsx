import { useState } from 'preact/hooks';
import { api, fieldErrors, type Problem, problemFrom } from '../api';
import { type Finding, SUPPRESSION_STATUSES, type SuppressionStatus, VEX_JUSTIFICATIONS } from '../types';
import { describedBy, Field, FormActions } from './field';
import { ProblemView } from './problem-view';

/** A datetime-local value (the browser's time zone) as the API's date-time, or null for none. */
export function expiryOf(local: string): string | null {
  if (!local) return null;
  const time = new Date(local);
  // An unreadable value goes to the API as typed, so that its message names the field.
  return Number.isNaN(time.getTime()) ? local : time.toISOString();
}

/**
 * Suppresses one finding (POST /suppressions), scoped by default to its vulnerability,
 * package and configuration. Nothing is checked here that the API checks: its problem is
 * shown beside the field it names.
 */
export function SuppressForm({ finding, configId, onCancel, onDone }: { finding: Finding; configId: string; onCancel: () => void; onDone: () => void }) {
  const [status, setStatus] = useState<SuppressionStatus>('not_affected');
  const [justification, setJustification] = useState<string>(VEX_JUSTIFICATIONS[0]);
  const [reason, setReason] = useState('');
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const errors = fieldErrors(problem);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    try {
      await api('POST', '/suppressions', {
        vulnerability: finding.name,
        package: finding.package,
        configId,
        status,
        justification: status === 'not_affected' ? justification : null,
        reason,
        expiresAt: expiryOf(expires),
      });
      setProblem(null);
      onDone();
    } catch (err) {
      setProblem(problemFrom(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="form" aria-label={`Suppress ${finding.name}`} onSubmit={(event) => void submit(event)} noValidate>
      <p class="muted">
        Covers {finding.name}
        {finding.package ? ` in ${finding.package}` : ''} in every image of this configuration.
      </p>
      {problem && Object.keys(errors).length === 0 ? <ProblemView problem={problem} /> : null}
      <Field id="suppress-status" label="Status" error={errors['status']}>
        <select {...describedBy('suppress-status', errors['status'])} value={status} onChange={(e) => setStatus(e.currentTarget.value as SuppressionStatus)}>
          {SUPPRESSION_STATUSES.map((value) => (
            <option key={value} value={value}>
              {value.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </Field>
      {status === 'not_affected' ? (
        <Field id="suppress-justification" label="Justification" error={errors['justification']}>
          <select {...describedBy('suppress-justification', errors['justification'])} value={justification} onChange={(e) => setJustification(e.currentTarget.value)}>
            {VEX_JUSTIFICATIONS.map((value) => (
              <option key={value} value={value}>
                {value.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      <Field id="suppress-reason" label="Reason" error={errors['reason']}>
        <textarea {...describedBy('suppress-reason', errors['reason'])} rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </Field>
      <Field id="suppress-expires" label="Expires" error={errors['expiresAt']} hint="Empty: never">
        <input type="datetime-local" {...describedBy('suppress-expires', errors['expiresAt'], 'Empty: never')} value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
      </Field>
      <FormActions label="Suppress" busy={busy} onCancel={onCancel} />
    </form>
  );
}
