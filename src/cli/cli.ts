import { parseArgs } from 'node:util';
import { VERSION } from '../version.js';
import { apiUrl, createApiClient } from './api-client.js';
import { CliError } from './cli-error.js';
import { ADVISORIES_HELP, advisoriesCommand } from './commands/advisories-command.js';
import { CHECK_FLAGS, CHECK_HELP, checkCommand } from './commands/check-command.js';
import { CONFIGS_HELP, configsCommand } from './commands/configs-command.js';
import { EVENTS_HELP, eventsCommand } from './commands/events-command.js';
import { FINDINGS_FLAGS, FINDINGS_HELP, findingsCommand } from './commands/findings-command.js';
import { SCAN_HELP, scanCommand } from './commands/scan-command.js';
import { SERVE_FLAGS, SERVE_HELP, serveCommand } from './commands/serve-command.js';
import { SUBSCRIPTIONS_FLAGS, SUBSCRIPTIONS_HELP, subscriptionsCommand } from './commands/subscriptions-command.js';
import { SUMMARY_HELP, summaryCommand } from './commands/summary-command.js';
import { SUPPRESSIONS_HELP, suppressionsCommand } from './commands/suppressions-command.js';
import { imageMain } from './image/image-entry.js';
import { IMAGE_HELP } from './image/image-options.js';
import { type CliOutcome, runAsProgram, runCommand } from './outcome.js';

const HELP = `ecrscan ${VERSION}: continuous vulnerability scanning of container images

Usage:
  ecrscan serve [options]                  run the service (API and scheduler)
  ecrscan configs list|show ID|add FILE|set ID|rm ID
  ecrscan findings ID [--severity LIST] [--status STATUS] [--json]
  ecrscan summary [--json|--text]          findings by severity for every image
  ecrscan scan ID [--no-wait] [--timeout SECONDS]
                                           rescan now, with progress
  ecrscan events [--follow]                what the scans changed: findings new
                                           and fixed, failures
  ecrscan subscriptions list|add URL|rm ID|test ID
  ecrscan suppressions list|apply FILE|rm ID
                                           ignore vulnerabilities with a reason
                                           and an expiry (FILE: YAML, by id)
  ecrscan advisories [import [SOURCE]]  advisory data per source; import it now
  ecrscan image REF|--input PATH [--format F] [--exit-code N]
                                           scan one image here, without a
                                           server; reports as table, json,
                                           sarif, cyclonedx, spdx or csv
  ecrscan check ID --fail-on SEVERITY      a pipeline gate on a configuration's
                                           open findings

Client commands talk to the server at --url URL, else $ECRSCANAPI_URL, else
http://127.0.0.1:8080, sending $ECRSCAN_API_TOKEN as a bearer token when set.
Run "ecrscan COMMAND --help" for a command's options.`;

const HELPS: Record<string, string> = {
  serve: SERVE_HELP,
  configs: CONFIGS_HELP,
  findings: FINDINGS_HELP,
  summary: SUMMARY_HELP,
  scan: SCAN_HELP,
  events: EVENTS_HELP,
  subscriptions: SUBSCRIPTIONS_HELP,
  suppressions: SUPPRESSIONS_HELP,
  advisories: ADVISORIES_HELP,
  image: IMAGE_HELP,
  check: CHECK_HELP,
};

export async function main(argv: string[], env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<void> {
  // A command line of its own: `ecrscan image` takes no client or server flags.
  if (argv[0] === 'image') return imageMain(argv.slice(1), env, out);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        url: { type: 'string' },
        json: { type: 'boolean' },
        text: { type: 'boolean' },
        'no-wait': { type: 'boolean' },
        timeout: { type: 'string' },
        status: { type: 'string' },
        tags: { type: 'string' },
        scanner: { type: 'string' },
        platform: { type: 'string' },
        newest: { type: 'string' },
        'pushed-within': { type: 'string' },
        exclude: { type: 'string' },
        'api-only': { type: 'boolean' },
        'scheduler-only': { type: 'boolean' },
        config: { type: 'string' },
        type: { type: 'string' },
        severity: { type: 'string' },
        limit: { type: 'string' },
        follow: { type: 'boolean' },
        ...FINDINGS_FLAGS,
        ...SERVE_FLAGS,
        ...SUBSCRIPTIONS_FLAGS,
        ...CHECK_FLAGS,
      },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message} (run "ecrscan --help" for usage)`, 2);
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.version) return out(VERSION);
  if (!command) {
    out(HELP);
    if (!values.help) throw new CliError('no command given', 2);
    return;
  }
  if (values.help) return out(HELPS[command] ?? HELP);
  if (command === 'serve') return serveCommand(values, env);
  const client = createApiClient(apiUrl(values.url, env), env['ECRSCAN_API_TOKEN'] || undefined);
  switch (command) {
    case 'configs':
      return configsCommand(
        client,
        args,
        {
          json: values.json === true,
          changes: {
            tags: values.tags,
            schedule: stringFlag((values as Record<string, unknown>)['schedule']),
            scanner: values.scanner,
            platform: values.platform,
            newest: values.newest,
            pushedWithin: values['pushed-within'],
            exclude: values.exclude,
          },
        },
        out,
      );
    case 'findings':
      return findingsCommand(
        client,
        args,
        {
          severity: values.severity,
          status: values.status,
          json: values.json === true,
          kev: values.kev === true,
          fixable: values.fixable === true,
          minEpss: values['min-epss'],
          sort: values.sort,
        },
        out,
      );
    case 'summary':
      return summaryCommand(client, values.json ? 'json' : values.text ? 'text' : 'table', out);
    case 'scan':
      return scanCommand(client, args[0], { wait: !values['no-wait'], timeoutMs: parseTimeout(values.timeout) }, out);
    case 'events':
      return eventsCommand(
        client,
        {
          config: values.config,
          type: values.type,
          severity: values.severity,
          kev: values.kev === true,
          fixable: values.fixable === true,
          ...(values['min-epss'] === undefined ? {} : { minEpss: values['min-epss'] }),
          limit: values.limit,
          follow: values.follow === true,
          json: values.json === true,
        },
        out,
      );
    case 'subscriptions':
      return subscriptionsCommand(
        client,
        args,
        { json: values.json === true, format: values.format, timeoutMs: values.timeout === undefined ? 30_000 : parseTimeout(values.timeout) },
        out,
      );
    case 'suppressions':
      return suppressionsCommand(client, args, values.json === true, out);
    case 'advisories':
      return advisoriesCommand(client, args, values.json === true, env, out);
    case 'check':
      return checkCommand(client, args, values['fail-on'], out);
    default:
      throw new CliError(`unknown command "${command}"; run "ecrscan --help"`, 2);
  }
}

function stringFlag(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseTimeout(raw: string | undefined): number {
  if (raw === undefined) return 900_000;
  if (!/^[0-9]{1,6}$/.test(raw) || Number(raw) === 0) throw new CliError(`--timeout must be a number of seconds, got "${raw}"`, 2);
  return Number(raw) * 1000;
}

export type { CliOutcome } from './outcome.js';

/** Runs one command line and collects what a terminal would show; failures users can cause become one line and a non-zero code. */
export async function execute(argv: string[], env: NodeJS.ProcessEnv, write: (text: string) => void = () => undefined): Promise<CliOutcome> {
  return runCommand((out) => main(argv, env, out), write);
}

/** Runs the CLI as a program. */
export async function runCli(): Promise<void> {
  await runAsProgram((out) => main(process.argv.slice(2), process.env, out));
}
