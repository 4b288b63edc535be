import { useState } from 'preact/hooks';
import { api, fieldErrors, type Problem, problemFrom } from '../api';
import { ActionStatus, useActions } from '../components/action-status';
import { describedBy, Field, FormActions } from '../components/field';
import { ProblemView } from '../components/problem-view';
import { SEVERITIES, formatTime } from '../format';
import type { Subscription } from '../types';
import { useApi } from '../use-api';
import { TableScroll } from '../components/table-scroll';

interface Values {
  url: string;
  format: string;
  digest: string;
  minSeverity: string;
  fixableOnly: boolean;
  description: string;
}

function SubscriptionForm({ subscription, onDone, onCancel }: { subscription: Subscription | null; onDone: (saved: Subscription) => void; onCancel: () => void }) {
  const [values, setValues] = useState<Values>({
    url: '',
    format: subscription?.format ?? 'json',
    digest: subscription?.digest ?? 'run',
    minSeverity: subscription?.filters.minSeverity ?? '',
    fixableOnly: subscription?.filters.fixableOnly ?? false,
    description: subscription?.description ?? '',
  });
  const [problem, setProblem] = useState<Problem | null>(null);
  const errors = fieldErrors(problem);
  const prefix = subscription ? `edit-${subscription.id}` : 'new-subscription';

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const filters = { ...(subscription?.filters ?? {}), minSeverity: values.minSeverity || null, fixableOnly: values.fixableOnly };
    const body = {
      // The API shows back only the URL's origin; leaving the field empty keeps the stored URL.
      ...(values.url.trim() || !subscription ? { url: values.url.trim() } : {}),
      format: values.format,
      digest: values.digest,
      filters,
      description: values.description.trim() || null,
    };
    try {
      const saved = subscription
        ? await api<Subscription>('PATCH', `/subscriptions/${subscription.id}`, body)
        : await api<Subscription>('POST', '/subscriptions', body);
      onDone(saved);
    } catch (err) {
      setProblem(problemFrom(err));
    }
  }
  const id = (key: string): string => `${prefix}-${key}`;
  const urlHint = subscription ? `now ${subscription.url}…; leave empty to keep it` : undefined;
  return (
    <form class="card form" onSubmit={submit} noValidate aria-label={subscription ? 'Edit subscription' : 'Add a subscription'}>
      <h2>{subscription ? 'Edit subscription' : 'Add a subscription'}</h2>
      {problem && Object.keys(errors).length === 0 ? <ProblemView problem={problem} /> : null}
      <div class="form-grid">
        <Field id={id('url')} label="Webhook URL" error={errors['url']} {...(urlHint ? { hint: urlHint } : {})}>
          <input {...describedBy(id('url'), errors['url'], urlHint)} value={values.url} onInput={(e) => setValues({ ...values, url: e.currentTarget.value })} autocomplete="off" />
        </Field>
        <Field id={id('format')} label="Format" error={errors['format']}>
          <select {...describedBy(id('format'), errors['format'])} value={values.format} onChange={(e) => setValues({ ...values, format: e.currentTarget.value })}>
            <option value="json">json</option>
            <option value="slack">slack</option>
            <option value="cloudevents">cloudevents</option>
          </select>
        </Field>
        <Field id={id('digest')} label="Send" error={errors['digest']}>
          <select {...describedBy(id('digest'), errors['digest'])} value={values.digest} onChange={(e) => setValues({ ...values, digest: e.currentTarget.value })}>
            <option value="run">after each scan</option>
            <option value="hourly">hourly digest</option>
            <option value="daily">daily digest</option>
          </select>
        </Field>
        <Field id={id('minSeverity')} label="Lowest severity" error={errors['filters']}>
          <select {...describedBy(id('minSeverity'), errors['filters'])} value={values.minSeverity} onChange={(e) => setValues({ ...values, minSeverity: e.currentTarget.value })}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field id={id('description')} label="Description" error={errors['description']}>
          <input {...describedBy(id('description'), errors['description'])} value={values.description} onInput={(e) => setValues({ ...values, description: e.currentTarget.value })} />
        </Field>
        <div class="field">
          <label>
            <input type="checkbox" checked={values.fixableOnly} onChange={(e) => setValues({ ...values, fixableOnly: e.currentTarget.checked })} /> fixable findings only
          </label>
        </div>
      </div>
      <FormActions label={subscription ? 'Save' : 'Subscribe'} onCancel={onCancel} />
    </form>
  );
}

export function SubscriptionsPage() {
  const list = useApi<Subscription[]>('/subscriptions');
  const [editing, setEditing] = useState<Subscription | 'new' | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const { notice, problem, act } = useActions(() => list.reload());
  if (list.problem) return <ProblemView problem={list.problem} />;

  return (
    <>
      <div class="section-head">
        <h1>Subscriptions</h1>
        <button type="button" class="primary" onClick={() => setEditing('new')}>
          Add subscription
        </button>
      </div>
      {editing ? (
        <SubscriptionForm
          subscription={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onDone={(saved) => {
            setEditing(null);
            setSecret(saved.secret ?? null);
            void act(async () => 'Subscription saved.');
          }}
        />
      ) : null}
      {secret ? (
        <div class="card" role="status">
          <p>The signing secret, shown this once (receivers verify messages with it):</p>
          <p class="mono secret">{secret}</p>
          <button type="button" onClick={() => setSecret(null)}>
            I have kept it
          </button>
        </div>
      ) : null}
      <ActionStatus notice={notice} problem={problem} />
      {list.data && list.data.length === 0 ? <p class="muted">No subscription: add a webhook to be told of new and fixed findings.</p> : null}
      {list.data && list.data.length > 0 ? (
        <TableScroll label="Subscriptions">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Receiver</th>
                <th scope="col">Format</th>
                <th scope="col">Sends</th>
                <th scope="col">Filters</th>
                <th scope="col">Health</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((s) => (
                <tr key={s.id}>
                  <th scope="row">
                    <span class="mono">{s.url}</span>
                    {s.description ? <div class="small muted">{s.description}</div> : null}
                  </th>
                  <td>{s.format}</td>
                  <td>{s.digest}</td>
                  <td>
                    {s.filters.minSeverity ? `${s.filters.minSeverity} and above` : 'any severity'}
                    {s.filters.fixableOnly ? ', fixable only' : ''}
                  </td>
                  <td>
                    <span class={s.status === 'failing' ? 'error-text' : ''}>{s.status}</span>
                    <div class="small muted">last delivery {formatTime(s.lastDeliveryAt)}</div>
                  </td>
                  <td class="row-actions">
                    <button type="button" onClick={() => void act(async () => (await api('POST', `/subscriptions/${s.id}/test`), 'Test message queued.'))} >
                      Test<span class="visually-hidden"> {s.url}</span>
                    </button>
                    <button type="button" onClick={() => setEditing(s)} >
                      Edit<span class="visually-hidden"> {s.url}</span>
                    </button>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => {
                        if (confirm(`Delete the subscription to ${s.url}?`)) void act(async () => (await api('DELETE', `/subscriptions/${s.id}`), 'Subscription deleted.'));
                      }}
                    >
                      Delete<span class="visually-hidden"> {s.url}</span>
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
