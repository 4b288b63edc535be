import { setTimeout as sleep } from 'node:timers/promises';
import { Value } from 'typebox/value';
import { ConfigRepresentation, ScanAccepted } from '../../http/schemas.js';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { resolveConfigId } from './configs-command.js';

export const SCAN_HELP = `Usage:
  ecrscan scan ID [--no-wait] [--timeout SECONDS]
      rescan a configuration now and follow its progress

Options:
  --url URL            the server (or ECRSCANAPI_URL)
  --no-wait            queue the scan and return
  --timeout SECONDS    how long to follow it (default 900)`;

const FINISHED = new Set(['COMPLETE', 'PARTIAL', 'FAILED']);

export async function scanCommand(
  client: ApiClient,
  given: string | undefined,
  options: { wait: boolean; timeoutMs: number; pollMs?: number },
  out: (text: string) => void,
): Promise<void> {
  if (!given) throw new CliError(`scan needs the ID of a configuration\n${SCAN_HELP}`, 2);
  const id = await resolveConfigId(client, given);
  const accepted = await client.request('POST', `/configs/${encodeURIComponent(id)}/scan`);
  if (!Value.Check(ScanAccepted, accepted.body)) throw new CliError('the server answered with an unexpected scan receipt');
  out(`scan ${accepted.body.runId} queued`);
  if (!options.wait) return;
  const requestedAt = Date.parse(accepted.body.requestedAt);
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    await sleep(options.pollMs ?? 1000);
    const { body } = await client.request('GET', `/configs/${encodeURIComponent(id)}`);
    if (!Value.Check(ConfigRepresentation, body)) throw new CliError('the server answered with an unexpected configuration');
    const line = progressLine(body);
    if (line !== last) out(line);
    last = line;
    const lastScan = body.lastScan ? Date.parse(body.lastScan) : 0;
    if (FINISHED.has(body.status) && lastScan >= requestedAt) {
      if (body.status === 'FAILED') throw new CliError(`scan failed: ${body.lastError ?? 'no reason given'}`);
      out(body.lastError ? `scan finished ${body.status}: ${body.lastError}` : `scan finished ${body.status}`);
      return;
    }
  }
  throw new CliError(`the scan did not finish within ${Math.round(options.timeoutMs / 1000)} s; it goes on in the server`);
}

/** The running scan's own count once it has listed its images; the stored images' otherwise. */
function progressLine(body: { status: string; progress: { done: number; total: number } | null; images: { status: string }[] }): string {
  if (body.progress) return `${body.status}: ${body.progress.done}/${body.progress.total} images`;
  if (body.status === 'SCANNING') return 'SCANNING: listing images';
  return `${body.status}: ${body.images.filter((image) => image.status !== 'PENDING').length}/${body.images.length} images`;
}
