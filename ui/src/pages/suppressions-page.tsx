import { useState } from 'preact/hooks';
import { api, fieldErrors, type Problem, problemFrom } from '../api';
import { ActionStatus, useActions } from '../components/action-status';
import { describedBy, Field, FormActions } from '../components/field';
import { ProblemView } from '../components/problem-view';
import { expiryOf } from '../components/suppress-form';
import { TableScroll } from '../components/table-scroll';
import { formatTime } from '../format';
import { configHref } from '../router';
import type { Suppression } from '../types';
import { useApi } from '../use-api';

/** An ISO time as a datetime-local value in the browser's time zone. */
function localOf(iso: string | null): string {
  if (!iso) return '';
  const time = new Date(iso);
  return new Date(time.getTime() - time.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** What a suppression covers, in words. */
function scopeOf(s: Suppression): string {
  const parts = [s.package ? `package ${s.package}` : 'any package', s.repository ? `repositories ${s.repository}` : null, s.tag ? `tags ${s.tag}` : null];
  return parts.filter(Boolean).join(', ');
}

/** Changes a suppression's reason and expiry (PATCH /suppressions/{id}); the API's problem shows beside the field. */
function SuppressionForm({ suppression, onDone, onCancel }: { suppression: Suppression; onDone: () => void; onCancel: () => void }) {
  const [reason, setReason] = useState(suppression.reason);
  const [expires, setExpires] = useState(localOf(suppression.expiresAt));
  const [problem, setProblem] = useState<Problem | null>(null);
  const errors = fieldErrors(problem);
  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    try {
      await api('PATCH', `/suppressions/${encodeURIComponent(suppression.id)}`, { reason, expiresAt: expiryOf(expires) });
      onDone();
    } catch (err) {
      setProblem(problemFrom(err));
    }
  }
  return (
    <form class="card form" onSubmit={(event) => void submit(event)} noValidate aria-label={`Edit suppression of ${suppression.vulnerability}`}>
      <h2>Edit suppression of {suppression.vulnerability}</h2>
      {problem && Object.keys(errors).length === 0 ? <ProblemView problem={problem} /> : null}
      <div class="form-grid">
        <Field id="edit-suppression-reason" label="Reason" error={errors['reason']}>
          <textarea {...describedBy('edit-suppression-reason', errors['reason'])} rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </Field>
        <Field id="edit-suppression-expires" label="Expires" error={errors['expiresAt']} hint="Empty: never">
          <input type="datetime-local" {...describedBy('edit-suppression-expires', errors['expiresAt'], 'Empty: never')} value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
        </Field>
      </div>
      <FormActions label="Save" onCancel={onCancel} />
    </form>
  );
}

/** Every suppression, active and expired: its reason and expiry can be changed, or it can be deleted. */
export function SuppressionsPage() {
  const list = useApi<Suppression[]>('/suppressions');
  const [editing, setEditing] = useState<Suppression | null>(null);
  const { notice, problem, act } = useActions(() => list.reload());
  if (list.problem) return <ProblemView problem={list.problem} />;


  return (
    <>
      <h1>Suppressions</h1>
      <p class="muted">
        A suppression hides findings it covers from the open counts, feeds and notifications, with its reason shown beside them. Add one from a finding; the API also
        reads OpenVEX documents (POST /vex).
      </p>
      {editing ? (
        <SuppressionForm
          key={editing.id}
          suppression={editing}
          onCancel={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            void act(async () => 'Suppression saved.');
          }}
        />
      ) : null}
      <ActionStatus notice={notice} problem={problem} />
      {!list.data ? <p aria-busy="true">Loading…</p> : null}
      {list.data && list.data.length === 0 ? <p class="muted">No suppression: every finding counts.</p> : null}
      {list.data && list.data.length > 0 ? (
        <TableScroll label="Suppressions">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Vulnerability</th>
                <th scope="col">Covers</th>
                <th scope="col">Status</th>
                <th scope="col">Reason</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((s) => (
                <tr key={s.id} class={s.state === 'expired' ? 'fixed' : ''}>
                  <th scope="row" class="mono">
                    {s.vulnerability}
                  </th>
                  <td>
                    {scopeOf(s)}
                    {s.configId ? (
                      <div class="small">
                        <a href={configHref(s.configId)}>one configuration</a>
                      </div>
                    ) : null}
                  </td>
                  <td>
                    {s.status.replace(/_/g, ' ')}
                    {s.justification ? <div class="small muted">{s.justification.replace(/_/g, ' ')}</div> : null}
                  </td>
                  <td>
                    {s.reason}
                    <div class="small muted">
                      by {s.createdBy ?? 'unknown'}, {formatTime(s.createdAt)}
                    </div>
                  </td>
                  <td>
                    {s.state}
                    <div class="small muted">{s.state === 'expired' ? `since ${formatTime(s.expiredAt ?? s.expiresAt)}` : s.expiresAt ? `until ${formatTime(s.expiresAt)}` : 'no expiry'}</div>
                  </td>
                  <td class="row-actions">
                    <button type="button" onClick={() => setEditing(s)}>
                      Edit<span class="visually-hidden"> {s.vulnerability}</span>
                    </button>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => {
                        if (confirm(`Delete the suppression of ${s.vulnerability}? The findings it covers count again.`))
                          void act(async () => (await api('DELETE', `/suppressions/${encodeURIComponent(s.id)}`), 'Suppression deleted.'));
                      }}
                    >
                      Delete<span class="visually-hidden"> {s.vulnerability}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
    </>
  );
}
