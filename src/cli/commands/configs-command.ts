import { readFile } from 'node:fs/promises';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { ConfigRepresentation } from '../../http/schemas.js';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { formatTable } from '../table.js';

const ConfigList = Type.Array(ConfigRepresentation);
type ConfigRepresentation = Static<typeof ConfigRepresentation>;

export const CONFIGS_HELP = `Usage:
  ecrscan configs list [--json]     list scan configurations
  ecrscan configs add FILE          register the configuration in FILE (JSON; - reads stdin)
  ecrscan configs rm ID             remove a configuration and its findings

Options: --url URL (or ECRSCANAPI_URL), --json`;

export async function configsCommand(client: ApiClient, args: string[], json: boolean, out: (text: string) => void): Promise<void> {
  const [action, target, ...rest] = args;
  if (rest.length > 0) throw new CliError(`unexpected argument "${rest[0]}"\n${CONFIGS_HELP}`, 2);
  switch (action) {
    case 'list':
    case 'ls':
      return listConfigs(client, json, out);
    case 'add':
      if (!target) throw new CliError('configs add needs a FILE with the configuration as JSON', 2);
      return addConfig(client, target, json, out);
    case 'rm':
    case 'delete':
      if (!target) throw new CliError('configs rm needs the ID of a configuration', 2);
      await client.request('DELETE', `/configs/${encodeURIComponent(target)}`);
      out(`removed ${target}`);
      return;
    default:
      throw new CliError(action ? `unknown configs action "${action}"\n${CONFIGS_HELP}` : CONFIGS_HELP, 2);
  }
}

async function listConfigs(client: ApiClient, json: boolean, out: (text: string) => void): Promise<void> {
  const { body, text } = await client.request('GET', '/configs/');
  if (!Value.Check(ConfigList, body)) throw new CliError('the server answered with an unexpected configuration list');
  if (json) return out(text);
  if (body.length === 0) return out('no scan configurations; add one with "ecrscan configs add FILE"');
  out(formatTable(['ID', 'REPOSITORY', 'REGISTRY', 'TAGS', 'SCANNER', 'STATUS', 'LAST SCAN'], body.map(configRow)));
}

function configRow(config: ConfigRepresentation): string[] {
  return [
    config.id,
    config.repository,
    config.region ? `${config.registry} (${config.region})` : config.registry,
    config.tags ? config.tags.join(',') : '(all)',
    config.scanner,
    config.status,
    config.lastScan ?? '-',
  ];
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
