import { isAbsolute, resolve } from 'node:path';
import { parseProxyEntry } from './http/public-url.js';
import { MAX_SCHEDULE_MS, MIN_SCHEDULE_MS, parseDuration } from './domain/scan-config.js';

export type RunMode = 'all' | 'api' | 'scheduler';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  host: string;
  port: number;
  databaseUrl: string;
  databasePoolSize: number;
  databaseStatementTimeoutMs: number;
  schedule: string;
  concurrency: number;
  imageMemoryMb: number;
  leaseSeconds: number;
  apiToken: string | null;
  tokensFile: string | null;
  corsOrigins: string[];
  allowUnauthenticated: boolean;
  logLevel: LogLevel;
  osvSources: string[];
  insecureRegistries: string[];
  mode: RunMode;
  eventRetentionMs: number;
  publicUrl: string | null;
  webhookAllowPrivate: boolean;
  webhookTimeoutMs: number;
  trustedProxies: string[];
  registryConcurrency: number | null;
  maxImages: number;
  scanTimeoutMinutes: number;
  registryTimeoutSeconds: number;
  blobTimeoutMinutes: number;
  registryMinRate: number;
  registryRps: number;
  registryConnections: number;
  registryLimits: Readonly<Record<string, { rps: number; connections: number }>>;
  advisoryRematch: boolean;
  advisoryMaxAgeMs: number;
  readyRequiresFreshAdvisories: boolean;
  kevSource: string | null;
  epssSource: string | null;
  nvdSources: string[];
  databaseSecret: string | null;
  apiTokenSecret: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface Option<K extends keyof Config> {
  key: K;
  env: string | null;
  flag: string | null;
  default: string;
  /** A flag that takes no value (`--allow-unauthenticated`), meaning "true". */
  switch?: boolean;
  /** What a flag's value is, as help shows it (`--port N`). */
  placeholder?: string;
  doc: string;
  parse(raw: string, name: string): Config[K];
}

function option<K extends keyof Config>(spec: Option<K>): Option<K> {
  return spec;
}

function integer(min: number, max: number) {
  return (raw: string, name: string): number => {
    const value = Number(raw);
    if (!/^[0-9]+$/.test(raw.trim()) || value < min || value > max) {
      throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
}

/** A duration of at least an hour, in milliseconds; `example` shows the form in the error. */
function durationOfAnHourOrMore(example: string) {
  return (raw: string, name: string): number => {
    const ms = parseDuration(raw.trim());
    if (ms === null || ms < 3_600_000) throw new ConfigError(`${name} must be a duration of at least 1h such as "${example}", got "${raw}"`);
    return ms;
  };
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function registryLimits(raw: string, name: string): Readonly<Record<string, { rps: number; connections: number }>> {
  const limits: Record<string, { rps: number; connections: number }> = {};
  for (const entry of list(raw)) {
    const match = /^([A-Za-z0-9.-]+(?::[0-9]{1,5})?)=([0-9]{1,5})\/([0-9]{1,4})$/.exec(entry);
    const rps = Number(match?.[2]);
    const connections = Number(match?.[3]);
    if (!match?.[1] || rps < 1 || connections < 1) {
      throw new ConfigError(`${name} entries must be host[:port]=RPS/CONNECTIONS with both at least 1, such as ghcr.io=10/4; got "${entry}"`);
    }
    limits[match[1].toLowerCase()] = { rps, connections };
  }
  return Object.freeze(limits);
}

/** A file path, or an https URL: a plain-http download could be altered on the way. */
function sourceLocation(raw: string, name: string): string {
  const value = raw.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !/^https:\/\//i.test(value)) throw new ConfigError(`${name} must be a file or an https:// URL, got "${raw}"`);
  return value;
}

function secretArn(raw: string, name: string): string | null {
  const arn = raw.trim();
  if (arn === '') return null;
  if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$/.test(arn)) {
    throw new ConfigError(`${name} must be the ARN of a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME), got "${raw}"`);
  }
  return arn;
}

function boolean(raw: string, name: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off|)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/**
 * The one table behind environment variables, CLI flags, defaults and the README's
 * configuration section: add an option here and it exists everywhere.
 */
export const OPTIONS = [
  option({ key: 'host', env: 'HOST', flag: 'host', placeholder: 'ADDRESS', default: '127.0.0.1', doc: 'Address to listen on.', parse: (raw) => raw.trim() }),
  option({ key: 'port', env: 'PORT', flag: 'port', placeholder: 'N', default: '8080', doc: 'Port to listen on (0 picks a free one).', parse: integer(0, 65535) }),
  option({
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    flag: 'database-url', placeholder: 'URL|PATH',
    default: './data/ecrscan.db',
    doc: 'A SQLite file path, or a `postgres://` URL for PostgreSQL.',
    parse: (raw, name) => {
      if (raw.trim() === '') throw new ConfigError(`${name} must not be empty`);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !/^postgres(ql)?:\/\//.test(raw)) {
        throw new ConfigError(`${name} must be a file path or a postgres:// URL, got a ${raw.split(':')[0]} URL`);
      }
      return /^postgres(ql)?:\/\//.test(raw) || raw === ':memory:' || isAbsolute(raw) ? raw : resolve(raw);
    },
  }),
  option({ key: 'databasePoolSize', env: 'DATABASE_POOL_SIZE', flag: null, default: '10', doc: 'PostgreSQL connections per process.', parse: integer(1, 200) }),
  option({
    key: 'databaseStatementTimeoutMs',
    env: 'DATABASE_STATEMENT_TIMEOUT_MS',
    flag: null,
    default: '30000',
    doc: 'PostgreSQL statement timeout in milliseconds.',
    parse: integer(100, 3_600_000),
  }),
  option({
    key: 'schedule',
    env: 'ECRSCAN_SCHEDULE',
    flag: 'schedule', placeholder: 'DURATION',
    default: '24h',
    doc: 'Default rescan interval of configurations without a `schedule` (`5m` to `366d`).',
    parse: (raw, name) => {
      const ms = parseDuration(raw.trim());
      if (ms === null || ms < MIN_SCHEDULE_MS || ms > MAX_SCHEDULE_MS) {
        throw new ConfigError(`${name} must be a duration from 5m to 366d such as "6h" or "1d", got "${raw}"`);
      }
      return raw.trim();
    },
  }),
  option({ key: 'concurrency', env: 'ECRSCAN_CONCURRENCY', flag: 'concurrency', placeholder: 'N', default: '4', doc: 'Images scanned at once, across all configurations.', parse: integer(1, 256) }),
  option({
    key: 'registryConcurrency',
    env: 'ECRSCAN_REGISTRY_CONCURRENCY',
    flag: null,
    default: '',
    doc: 'Of `ECRSCAN_CONCURRENCY`, the images one registry may have in flight at once, so that a stalled registry cannot hold every slot. Unset: all but one (at least one).',
    parse: (raw, name) => (raw.trim() === '' ? null : integer(1, 256)(raw, name)),
  }),
  option({
    key: 'maxImages',
    env: 'ECRSCAN_MAX_IMAGES',
    flag: null,
    default: '1000',
    doc: 'Images one configuration may scan in a run; past it the scan is `PARTIAL` and `lastError` says how many tags were left out and which.',
    parse: integer(1, 1_000_000),
  }),
  option({
    key: 'scanTimeoutMinutes',
    env: 'ECRSCAN_SCAN_TIMEOUT_MINUTES',
    flag: null,
    default: '60',
    doc: "Longest a configuration's scan may take; past it the scan stops and ends as `FAILED`.",
    parse: integer(1, 7 * 24 * 60),
  }),
  option({
    key: 'registryTimeoutSeconds',
    env: 'ECRSCAN_REGISTRY_TIMEOUT_SECONDS',
    flag: null,
    default: '30',
    doc: 'Built-in scanner: the deadline of each registry request (headers, and the whole body of manifests and tag lists), and the longest silence while a layer downloads.',
    parse: integer(1, 3600),
  }),
  option({
    key: 'blobTimeoutMinutes',
    env: 'ECRSCAN_BLOB_TIMEOUT_MINUTES',
    flag: null,
    default: '15',
    doc: 'Built-in scanner: the deadline of one layer download in all.',
    parse: integer(1, 24 * 60),
  }),
  option({
    key: 'registryMinRate',
    env: 'ECRSCAN_REGISTRY_MIN_RATE',
    flag: null,
    default: '16384',
    doc: 'Built-in scanner: the slowest a layer may arrive, in bytes per second of waiting for the registry, checked once `ECRSCAN_REGISTRY_TIMEOUT_SECONDS` of waiting has passed.',
    parse: integer(1, 1_000_000_000),
  }),
  option({
    key: 'registryRps',
    env: 'ECRSCAN_REGISTRY_RPS',
    flag: null,
    default: '50',
    doc: "Requests per second the service sends one registry host (an ECR region's API counts as one), across all configurations; on PostgreSQL the processes scanning at once split it.",
    parse: integer(1, 10_000),
  }),
  option({
    key: 'registryConnections',
    env: 'ECRSCAN_REGISTRY_CONNECTIONS',
    flag: null,
    default: '16',
    doc: 'Requests one registry host has in flight at once from this process (a layer download holds one until it ends).',
    parse: integer(1, 1000),
  }),
  option({
    key: 'registryLimits',
    env: 'ECRSCAN_REGISTRY_LIMITS',
    flag: null,
    default: '',
    doc: 'Per-host exceptions to the two above, comma-separated `host[:port]=RPS/CONNECTIONS` (`ghcr.io=10/4,registry.local:5000=200/32`).',
    parse: registryLimits,
  }),
  option({
    key: 'imageMemoryMb',
    env: 'ECRSCAN_IMAGE_MEMORY_MB',
    flag: null,
    default: '96',
    doc: 'Memory one image analysis of the built-in scanner may use, in MiB: its worker heap, and again the files and decoder windows it holds; an image over it fails with that error.',
    parse: integer(32, 65_536),
  }),
  option({
    key: 'leaseSeconds',
    env: 'ECRSCAN_LEASE_SECONDS',
    flag: null,
    default: '120',
    doc: 'How long a claimed scan stays leased without renewal before another process may take it over.',
    parse: integer(10, 86_400),
  }),
  option({
    key: 'apiToken',
    env: 'ECRSCAN_API_TOKEN',
    flag: null,
    default: '',
    doc: 'An admin token: when set (or with `ECRSCAN_TOKENS_FILE`), every request but `/healthz` and `/readyz` needs a token, as `Authorization: Bearer <token>` or as the password of HTTP Basic authentication.',
    parse: (raw, name) => {
      if (raw === '') return null;
      if (raw.length < 16) throw new ConfigError(`${name} must be at least 16 characters long`);
      return raw;
    },
  }),
  option({
    key: 'tokensFile',
    env: 'ECRSCAN_TOKENS_FILE',
    flag: 'tokens-file', placeholder: 'FILE',
    default: '',
    doc: 'A JSON file of named tokens, each with a role (`read`, `write` or `admin`) and the SHA-256 of the token, never the token itself (see "Tokens and roles").',
    parse: (raw) => (raw.trim() === '' ? null : resolve(raw.trim())),
  }),
  option({
    key: 'corsOrigins',
    env: 'ECRSCAN_CORS_ORIGINS',
    flag: null,
    default: '',
    doc: 'Comma-separated origins (`https://dash.example.com`) allowed to call the API from a browser; `*` allows every origin the read-only methods. Unset: no CORS.',
    parse: (raw, name) => {
      const origins = list(raw);
      const bad = origins.find((origin) => origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin));
      if (bad !== undefined) throw new ConfigError(`${name} must list origins such as https://dash.example.com or *, got "${bad}"`);
      return origins;
    },
  }),
  option({
    key: 'allowUnauthenticated',
    env: 'ECRSCAN_ALLOW_UNAUTHENTICATED',
    flag: 'allow-unauthenticated',
    default: 'false',
    switch: true,
    doc: 'Allow listening on a non-loopback address without an API token.',
    parse: boolean,
  }),
  option({
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: 'log-level', placeholder: 'LEVEL',
    default: 'info',
    doc: 'fatal, error, warn, info, debug, trace or silent.',
    parse: (raw, name) => {
      const levels: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
      const level = levels.find((candidate) => candidate === raw.trim().toLowerCase());
      if (!level) throw new ConfigError(`${name} must be one of ${levels.join(', ')}, got "${raw}"`);
      return level;
    },
  }),
  option({
    key: 'osvSources',
    env: 'ECRSCAN_OSV_SOURCES',
    flag: null,
    default: '',
    doc: 'Comma-separated OSV advisory sources for the built-in scanner: directories or zip files of OSV JSON, or `https://` URLs of zips.',
    parse: list,
  }),
  option({
    key: 'insecureRegistries',
    env: 'ECRSCAN_INSECURE_REGISTRIES',
    flag: null,
    default: '',
    doc: 'Comma-separated `host[:port]` registries reached over plain HTTP.',
    parse: list,
  }),
  option({
    key: 'mode',
    env: 'ECRSCAN_MODE',
    flag: null,
    default: 'all',
    doc: '`all` (API and scheduler), `api` or `scheduler`; `ecrscan serve --api-only` / `--scheduler-only` set it too.',
    parse: (raw, name) => {
      const mode = raw.trim();
      if (mode !== 'all' && mode !== 'api' && mode !== 'scheduler') throw new ConfigError(`${name} must be all, api or scheduler, got "${raw}"`);
      return mode;
    },
  }),
  option({
    key: 'eventRetentionMs',
    env: 'ECRSCAN_EVENT_RETENTION',
    flag: null,
    default: '90d',
    doc: 'How long the event log keeps events (a duration, at least `1h`); older ones are pruned in batches every hour.',
    parse: durationOfAnHourOrMore('30d'),
  }),
  option({
    key: 'publicUrl',
    env: 'ECRSCAN_PUBLIC_URL',
    flag: null,
    default: '',
    doc: 'The URL clients reach the service at (`https://scan.example.com`); links in feeds, paging and webhook messages are built on it. Unset: feeds use the forwarded host of a trusted proxy, else the address the connection reached, never the `Host` header; webhook messages use `http://HOST:PORT`.',
    parse: (raw, name) => {
      const text = raw.trim().replace(/\/+$/, '');
      if (text === '') return null;
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new ConfigError(`${name} must be an absolute http:// or https:// URL, got "${raw}"`);
      }
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
        throw new ConfigError(`${name} must be an http:// or https:// URL without query, fragment or credentials, got "${raw}"`);
      }
      return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    },
  }),
  option({
    key: 'trustedProxies',
    env: 'ECRSCAN_TRUSTED_PROXIES',
    flag: null,
    default: '',
    doc: 'Comma-separated proxy addresses or CIDR ranges whose `X-Forwarded-Host` and `X-Forwarded-Proto` are believed when `ECRSCAN_PUBLIC_URL` is unset.',
    parse: (raw, name) => {
      const entries = list(raw);
      const bad = entries.find((entry) => parseProxyEntry(entry) === null);
      if (bad !== undefined) throw new ConfigError(`${name} must list IP addresses or CIDR ranges, got "${bad}"`);
      return entries;
    },
  }),
  option({
    key: 'webhookAllowPrivate',
    env: 'ECRSCAN_WEBHOOK_ALLOW_PRIVATE',
    flag: null,
    default: 'false',
    doc: 'Allow webhook URLs that are or resolve to loopback, private or link-local addresses (on-premise receivers, tests).',
    parse: boolean,
  }),
  option({
    key: 'webhookTimeoutMs',
    env: 'ECRSCAN_WEBHOOK_TIMEOUT_MS',
    flag: null,
    default: '10000',
    doc: 'How long a webhook receiver has to answer, in milliseconds, before the attempt counts as failed.',
    parse: integer(100, 120_000),
  }),
  option({
    key: 'advisoryRematch',
    env: 'ECRSCAN_ADVISORY_REMATCH',
    flag: null,
    default: 'true',
    doc: 'Re-match the built-in scanner\'s stored inventories as soon as an advisory import changes what they match, rather than at the next scheduled scan only.',
    parse: boolean,
  }),
  option({
    key: 'advisoryMaxAgeMs',
    env: 'ECRSCAN_ADVISORY_MAX_AGE',
    flag: null,
    default: '48h',
    doc: 'Advisory data last imported longer ago than this (a duration, at least `1h`) is stale: `GET /advisories` and the summary say so, and `/readyz` fails when `ECRSCAN_READYZ_ADVISORIES` is set.',
    parse: durationOfAnHourOrMore('48h'),
  }),
  option({
    key: 'readyRequiresFreshAdvisories',
    env: 'ECRSCAN_READYZ_ADVISORIES',
    flag: null,
    default: 'false',
    doc: 'Make `/readyz` fail while a configured advisory source is stale (see `ECRSCAN_ADVISORY_MAX_AGE`).',
    parse: boolean,
  }),
  option({
    key: 'kevSource',
    env: 'ECRSCAN_KEV_SOURCE',
    flag: null,
    default: '',
    doc: "CISA's Known Exploited Vulnerabilities catalogue in its JSON form: a file, or an `https://` URL such as `https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json`. Findings of listed CVEs gain `kev`.",
    parse: (raw, name) => (raw.trim() === '' ? null : sourceLocation(raw, name)),
  }),
  option({
    key: 'epssSource',
    env: 'ECRSCAN_EPSS_SOURCE',
    flag: null,
    default: '',
    doc: "FIRST's daily EPSS scores, the CSV (gzipped or not) with its `#model_version` line: a file, or an `https://` URL such as `https://epss.empiricalsecurity.com/epss_scores-current.csv.gz`. Findings gain `epss`.",
    parse: (raw, name) => (raw.trim() === '' ? null : sourceLocation(raw, name)),
  }),
  option({
    key: 'nvdSources',
    env: 'ECRSCAN_NVD_SOURCES',
    flag: null,
    default: '',
    doc: "Comma-separated NVD CVE records in the CVE API 2.0 JSON format (API answers or single records, gzipped or not): files or `https://` URLs. Findings whose advisory has no severity take NVD's CVSS base score and its severity (`severitySource: \"nvd\"`).",
    parse: (raw, name) => list(raw).map((item) => sourceLocation(item, name)),
  }),
  option({
    key: 'databaseSecret',
    env: 'ECRSCAN_DATABASE_SECRET',
    flag: null,
    default: '',
    doc: 'AWS Lambda: the ARN of a Secrets Manager secret in the RDS format (`host`, `port`, `username`, `password`, `dbname`), read at cold start; it sets `DATABASE_URL`.',
    parse: secretArn,
  }),
  option({
    key: 'apiTokenSecret',
    env: 'ECRSCAN_API_TOKEN_SECRET',
    flag: null,
    default: '',
    doc: 'AWS Lambda: the ARN of a Secrets Manager secret whose string is the API token, read at cold start; it sets `ECRSCAN_API_TOKEN`.',
    parse: secretArn,
  }),
] as const;

export type ConfigOverrides = Partial<Record<keyof Config, string>>;

/**
 * Reads the configuration from the environment, overridden by CLI flags. Pure: the
 * caller passes both in; the result is validated and frozen.
 */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: ConfigOverrides = {}): Readonly<Config> {
  const values: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    const fromFlag = overrides[spec.key];
    const fromEnv = spec.env ? env[spec.env] : undefined;
    const raw = fromFlag ?? fromEnv ?? spec.default;
    const name = fromFlag !== undefined && spec.flag ? `--${spec.flag}` : (spec.env ?? spec.key);
    values[spec.key] = spec.parse(raw, name);
  }
  const config = values as unknown as Config;
  const tokens = config.apiToken !== null || config.tokensFile !== null;
  if (!isLoopback(config.host) && !tokens && !config.allowUnauthenticated && config.mode !== 'scheduler') {
    throw new ConfigError(
      `refusing to listen on ${config.host} without ECRSCAN_API_TOKEN or ECRSCAN_TOKENS_FILE; set one or ECRSCAN_ALLOW_UNAUTHENTICATED=true`,
    );
  }
  return Object.freeze(config);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
}

/** The README's configuration table, generated from OPTIONS so that the two cannot drift apart. */
export function configurationTable(): string {
  const rows = OPTIONS.map((spec) => {
    const names = [spec.env ? `\`${spec.env}\`` : null, spec.flag ? `\`--${spec.flag}\`` : null].filter(Boolean).join(' / ');
    const fallback = spec.default === '' ? '(unset)' : `\`${spec.default}\``;
    return `| ${names} | ${fallback} | ${spec.doc} |`;
  });
  return ['| variable / flag | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
