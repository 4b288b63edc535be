import { useState } from 'preact/hooks';
import { api, fieldErrors, type Problem, problemFrom } from '../api';
import type { ScanConfig } from '../types';
import { describedBy, Field, FormActions } from './field';
import { ProblemView } from './problem-view';

interface Values {
  registry: string;
  region: string;
  repository: string;
  tags: string;
  schedule: string;
  scanner: string;
  platform: string;
}

function valuesOf(config: ScanConfig | null): Values {
  return {
    registry: config?.registry ?? '',
    region: config?.region ?? '',
    repository: config?.repository ?? '',
    tags: config?.tags?.join(', ') ?? '',
    schedule: config?.schedule ?? '',
    scanner: config?.scanner ?? '',
    platform: config?.platform ?? '',
  };
}

const TAGS_HINT = 'Separated by commas; globs with *; empty means every tag';

/** Tags as typed: separated by commas, spaces or lines; none means every tag. */
function tagsOf(text: string): string[] | null {
  const tags = text.split(/[\s,]+/).filter(Boolean);
  return tags.length === 0 ? null : tags;
}

/**
 * Creates (POST /configs) or edits (PATCH /configs/{id}) a configuration. Nothing is checked
 * here that the API checks: its problem is shown as it answers, each message beside the
 * field it names.
 */
export function ConfigForm({ config, onDone, onCancel }: { config: ScanConfig | null; onDone: (saved: ScanConfig) => void; onCancel: () => void }) {
  const [values, setValues] = useState(() => valuesOf(config));
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrors(problem);
  const prefix = config ? `edit-${config.id}` : 'new-config';
  const set = (key: keyof Values) => (event: Event) => setValues({ ...values, [key]: (event.currentTarget as HTMLInputElement).value });

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    try {
      const common = {
        tags: tagsOf(values.tags),
        ...(values.schedule.trim() ? { schedule: values.schedule.trim() } : config ? { schedule: null } : {}),
        ...(values.scanner ? { scanner: values.scanner } : {}),
        ...(values.platform.trim() ? { platform: values.platform.trim() } : {}),
      };
      const saved = config
        ? await api<ScanConfig>('PATCH', `/configs/${encodeURIComponent(config.id)}`, common)
        : await api<ScanConfig>('POST', '/configs', {
            registry: values.registry.trim(),
            repository: values.repository.trim(),
            ...(values.region.trim() ? { region: values.region.trim() } : {}),
            ...common,
          });
      setProblem(null);
      onDone(saved);
    } catch (err) {
      setProblem(problemFrom(err));
    } finally {
      setBusy(false);
    }
  }

  const input = (key: keyof Values, label: string, options: { hint?: string; disabled?: boolean; placeholder?: string } = {}) => {
    const id = `${prefix}-${key}`;
    return (
      <Field id={id} label={label} error={errors[key]} {...(options.hint ? { hint: options.hint } : {})}>
        <input
          {...describedBy(id, errors[key], options.hint)}
          name={key}
          value={values[key]}
          onInput={set(key)}
          disabled={options.disabled ?? false}
          placeholder={options.placeholder ?? ''}
          autocomplete="off"
          spellcheck={false}
        />
      </Field>
    );
  };

  return (
    <form class="card form" onSubmit={submit} aria-label={config ? 'Edit configuration' : 'Add a configuration'} noValidate>
      <h2>{config ? `Edit ${config.repository}` : 'Add a configuration'}</h2>
      {problem && Object.keys(errors).length === 0 ? <ProblemView problem={problem} /> : null}
      {problem && Object.keys(errors).length > 0 ? (
        <p class="error-text" role="alert">
          {problem.title}: see the fields marked below.
        </p>
      ) : null}
      <div class="form-grid">
        {input('registry', 'Registry', { disabled: config !== null, hint: '12-digit AWS account id or host[:port]', placeholder: 'ghcr.io' })}
        {input('region', 'Region', { disabled: config !== null, hint: 'AWS region, for an account id', placeholder: 'us-west-2' })}
        {input('repository', 'Repository', { disabled: config !== null, placeholder: 'team/app' })}
        <Field id={`${prefix}-tags`} label="Tags" error={errors['tags']} hint={TAGS_HINT}>
          <textarea {...describedBy(`${prefix}-tags`, errors['tags'], TAGS_HINT)} name="tags" rows={2} value={values.tags} onInput={set('tags')} spellcheck={false} />
        </Field>
        {input('schedule', 'Schedule', { hint: 'e.g. 6h or a cron expression; empty: the server default' })}
        <Field id={`${prefix}-scanner`} label="Scanner" error={errors['scanner']}>
          <select {...describedBy(`${prefix}-scanner`, errors['scanner'])} name="scanner" value={values.scanner} onChange={set('scanner')}>
            <option value="">default for the registry</option>
            <option value="ecr">ecr</option>
            <option value="builtin">builtin</option>
          </select>
        </Field>
        {input('platform', 'Platform', { hint: 'os/arch, default linux/amd64' })}
      </div>
      <FormActions label={config ? 'Save' : 'Add'} busy={busy} onCancel={onCancel} />
    </form>
  );
}
