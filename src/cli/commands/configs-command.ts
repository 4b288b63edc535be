import { readFile } from 'node:fs/promises';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { ConfigRepresentation } from '../../http/schemas.js';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { formatTable, relativeTime, shorten, terminalWidth } from '../table.js';

const ConfigList = Type.Array(ConfigRepresentation);
type ConfigRepresentation = Static<typeof ConfigRepresentation>;

export const CONFIGS_HELP = `Usage:
  ecrscan configs list [--json]      list scan configurations
  ecrscan configs show ID [--json]   one configuration: images, statuses, errors
  ecrscan configs add FILE [--json]  register the configuration in FILE (JSON;
                                     - reads stdin)
  ecrscan configs set ID [--tags LIST] [--schedule DURATION] [--scanner NAME]
                        [--platform OS/ARCH] [--newest N] [--exclude LIST]
                        [--pushed-within DURATION]
      change a configuration in place, keeping its findings; "default" returns
      a field to its default ("--tags all": every tagged image)
  ecrscan configs rm ID              remove a configuration and its findings

ID is a configuration's id, or its start when no other id shares it (as
"configs list" shows it).

FILE holds the original demo's JSON, accepted as is:
  {"region": "us-west-2", "registry": "123456789012",
   "repository": "amazonlinux", "tags": ["2018.03"]}

  registry    a 12-digit AWS account id (ECR), or a registry host name[:port]
              such as ghcr.io or 127.0.0.1:5000
  region      AWS region; required for an account-id registry
  repository  lower-case path components joined by / (test/ubuntu), 2 to 256
              characters; or a glob: "team/*", "*/api", "**" (every
              repository the credentials can list)
  tags        optional; tags or globs with * ("1.*"), at most 100; absent or
              null: every tagged image
  newest      optional; only the N most recently pushed of those, per
              repository (1 to 1000)
  pushedWithin optional; only tags pushed within a duration ("30d")
  exclude     optional; tags or globs left out ("*-rc*")
  schedule    optional; a duration ("6h", at least "5m") or a 5-field cron
              expression (UTC); default: the server's ECRSCAN_SCHEDULE
  scanner     optional; "ecr" (the default for an account id) or "builtin"
              (the default for a host)
  platform    optional; os/arch[/variant] of multi-platform images (default
              linux/amd64)

Options:
  --url URL   the server (or ECRSCANAPI_URL)
  --json      the API's JSON, with error texts in full`;

const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHORT_ID = 8;

/** What `configs set` changes: each flag given, as typed. */
export interface ConfigChangeFlags {
  tags?: string | undefined;
  schedule?: string | undefined;
  scanner?: string | undefined;
  platform?: string | undefined;
  newest?: string | undefined;
  pushedWithin?: string | undefined;
  exclude?: string | undefined;
}

export async function configsCommand(
  client: ApiClient,
  args: string[],
  options: { json: boolean; changes: ConfigChangeFlags },
  out: (text: string) => void,
): Promise<void> {
  const { json } = options;
  const [action, target, ...rest] = args;
  if (rest.length > 0) throw new CliError(`unexpected argument "${rest[0]}"\n${CONFIGS_HELP}`, 2);
  switch (action) {
    case 'list':
    case 'ls':
      return listConfigs(client, json, out);
    case 'show':
      if (!target) throw new CliError('configs show needs the ID of a configuration', 2);
      return showConfig(client, await resolveConfigId(client, target), json, out);
    case 'set':
      if (!target) throw new CliError('configs set needs the ID of a configuration', 2);
      return setConfig(client, await resolveConfigId(client, target), options.changes, json, out);
    case 'add':
      if (!target) throw new CliError('configs add needs a FILE with the configuration as JSON', 2);
      return addConfig(client, target, json, out);
    case 'rm':
    case 'delete': {
      if (!target) throw new CliError('configs rm needs the ID of a configuration', 2);
      const id = await resolveConfigId(client, target);
      await client.request('DELETE', `/configs/${encodeURIComponent(id)}`);
      out(`removed ${id}`);
      return;
    }
    default:
      throw new CliError(action ? `unknown configs action "${action}"\n${CONFIGS_HELP}` : CONFIGS_HELP, 2);
  }
}

async function fetchConfigs(client: ApiClient): Promise<{ configs: ConfigRepresentation[]; text: string }> {
  const { body, text } = await client.request('GET', '/configs/');
  if (!Value.Check(ConfigList, body)) throw new CliError('the server answered with an unexpected configuration list');
  return { configs: body, text };
}

/**
 * A full id as given; else the one configuration whose id starts with it. Anything else
 * goes to the server as given, whose answer (404) then says it is unknown.
 */
/** `newest`, `pushedWithin` and `exclude`, shown only when set. */
function selectionFields(body: { newest: number | null; pushedWithin: string | null; exclude: string[] | null }): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  if (body.newest !== null) fields.push(['newest', `the ${body.newest} most recently pushed per repository`]);
  if (body.pushedWithin !== null) fields.push(['pushed', `within ${body.pushedWithin}`]);
  if (body.exclude !== null) fields.push(['exclude', body.exclude.join(', ')]);
  return fields;
}

export async function resolveConfigId(client: ApiClient, given: string): Promise<string> {
  if (FULL_ID.test(given) || given.length < 4) return given;
  const { configs } = await fetchConfigs(client);
  const matches = configs.filter((config) => config.id.startsWith(given.toLowerCase()));
  if (matches.length > 1) throw new CliError(`"${given}" is the start of ${matches.length} configuration ids; give more of it`, 2);
  return matches[0]?.id ?? given;
}

async function listConfigs(client: ApiClient, json: boolean, out: (text: string) => void): Promise<void> {
  const { configs, text } = await fetchConfigs(client);
  if (json) return out(text);
  if (configs.length === 0) return out('no scan configurations; add one with "ecrscan configs add FILE"');
  const now = new Date();
  out(
    formatTable(
      ['ID', 'REPOSITORY', 'TAGS', 'SCANNER', 'STATUS', 'NEXT SCAN', 'LAST ERROR'],
      configs.map((config) => configRow(config, now)),
      { width: terminalWidth(), shrink: [6, 2, 1] },
    ),
  );
}

function whereOf(config: ConfigRepresentation): string {
  return config.region ? `${config.registry} (${config.region})` : config.registry;
}

function nextScanOf(config: ConfigRepresentation, now: Date): string {
  if (config.status === 'SCANNING' || config.status === 'QUEUED') return config.status.toLowerCase();
  if (config.nextScan !== null && Date.parse(config.nextScan) <= now.getTime()) return 'due';
  return relativeTime(config.nextScan, now);
}

function configRow(config: ConfigRepresentation, now: Date): string[] {
  return [
    config.id.slice(0, SHORT_ID),
    config.repository,
    config.tags ? config.tags.join(',') : '(all)',
    config.scanner,
    config.status,
    nextScanOf(config, now),
    config.lastError ?? '-',
  ];
}

async function showConfig(client: ApiClient, id: string, json: boolean, out: (text: string) => void): Promise<void> {
  const { body, text } = await client.request('GET', `/configs/${encodeURIComponent(id)}`);
  if (json) return out(text);
  if (!Value.Check(ConfigRepresentation, body)) throw new CliError('the server answered with an unexpected configuration');
  const now = new Date();
  const width = terminalWidth();
  const fields: Array<[string, string]> = [
    ['id', body.id],
    ['repository', body.repository],
    ['registry', whereOf(body)],
    ['tags', body.tags ? body.tags.join(', ') : '(every tagged image)'],
    ...selectionFields(body),
    ['scanner', body.scanner],
    ['platform', body.platform],
    ['schedule', body.schedule],
    ['status', body.status],
    ['last scan', body.lastScan ? `${body.lastScan} (${relativeTime(body.lastScan, now)})` : 'never'],
    ['next scan', body.nextScan ? `${body.nextScan} (${nextScanOf(body, now)})` : '-'],
  ];
  if (body.progress) fields.push(['progress', `${body.progress.done}/${body.progress.total} images`]);
  if (body.lastError) fields.push(['last error', body.lastError]);
  const lines = fields.map(([name, value]) => `${`${name}:`.padEnd(12)}${shorten(value, Math.max(width - 12, 20))}`);
  if (body.images.length === 0) {
    lines.push('', 'no images yet');
  } else {
    // A repository glob spans several repositories: each image names its own.
    const several = new Set(body.images.map((image) => image.repository)).size > 1 || body.repository.includes('*');
    const rows = body.images.map((image) => [
      ...(several ? [image.repository] : []),
      image.tag,
      image.digest ? image.digest.replace(/^sha256:/, '').slice(0, 12) : '-',
      image.status,
      image.error ?? '',
    ]);
    const header = [...(several ? ['REPOSITORY'] : []), 'TAG', 'DIGEST', 'STATUS', 'ERROR'];
    lines.push('', formatTable(header, rows, { width, shrink: several ? [4, 0, 1] : [3, 0] }));
  }
  out(lines.join('\n'));
}

/** The PATCH body of `configs set`: "default" (and "all" for tags) become null. */
function patchOf(flags: ConfigChangeFlags): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const orDefault = (value: string): string | null => (value === 'default' ? null : value);
  if (flags.tags !== undefined) {
    patch['tags'] = flags.tags === 'all' || flags.tags === 'default' ? null : flags.tags.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  }
  if (flags.schedule !== undefined) patch['schedule'] = orDefault(flags.schedule);
  if (flags.scanner !== undefined) patch['scanner'] = orDefault(flags.scanner);
  if (flags.platform !== undefined) patch['platform'] = orDefault(flags.platform);
  if (flags.newest !== undefined) {
    if (flags.newest !== 'default' && !/^[0-9]{1,9}$/.test(flags.newest)) throw new CliError(`--newest must be a whole number or "default", got "${flags.newest}"`, 2);
    patch['newest'] = flags.newest === 'default' ? null : Number(flags.newest);
  }
  if (flags.pushedWithin !== undefined) patch['pushedWithin'] = orDefault(flags.pushedWithin);
  if (flags.exclude !== undefined) {
    patch['exclude'] = flags.exclude === 'default' ? null : flags.exclude.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  }
  return patch;
}

async function setConfig(client: ApiClient, id: string, flags: ConfigChangeFlags, json: boolean, out: (text: string) => void): Promise<void> {
  const patch = patchOf(flags);
  if (Object.keys(patch).length === 0) {
    throw new CliError('configs set needs at least one of --tags, --schedule, --scanner, --platform, --newest, --pushed-within, --exclude', 2);
  }
  const { body, text } = await client.request('PATCH', `/configs/${encodeURIComponent(id)}`, { body: patch });
  if (json) return out(text);
  if (!Value.Check(ConfigRepresentation, body)) throw new CliError('the server answered with an unexpected configuration');
  const tags = body.tags ? body.tags.join(',') : '(all)';
  out(`changed ${body.id}: tags ${tags}, schedule ${body.schedule}, scanner ${body.scanner}, platform ${body.platform}`);
}

async function addConfig(client: ApiClient, file: string, json: boolean, out: (text: string) => void): Promise<void> {
  let raw: string;
  try {
    raw = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new CliError(`${file} is not valid JSON`);
  }
  const created = await client.request('POST', '/configs/', { body });
  if (json) return out(created.text);
  if (!Value.Check(ConfigRepresentation, created.body)) throw new CliError('the server answered with an unexpected configuration');
  out(`added ${created.body.id} (${created.body.repository}); first scan queued`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
