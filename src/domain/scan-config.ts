import { CronExpressionParser } from 'cron-parser';
import type { ImageStatus } from './image.js';

export const SCANNER_IDS = ['ecr', 'builtin'] as const;
export type ScannerId = (typeof SCANNER_IDS)[number];

/** SPEC §1: lower-case path components joined by `/`. Length (2–256) is checked separately. */
export const REPOSITORY_PATTERN = '^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$';
/** A tag, or a glob over tags where `*` may stand anywhere. */
export const TAG_PATTERN = '^[A-Za-z0-9_*][A-Za-z0-9._*-]{0,127}$';
export const REGION_PATTERN = '^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$';
/** A 12-digit account id, or `host[:port]` made of DNS labels. */
export const REGISTRY_PATTERN =
  '^(?:[0-9]{12}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?)$';
export const PLATFORM_PATTERN = '^[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?$';
export const MAX_TAGS = 100;
/** What the built-in scanner picks from a multi-platform image when a configuration names none. */
export const DEFAULT_PLATFORM = 'linux/amd64';

const ECR_HOST = /^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** What a user registers (SPEC §1), after the HTTP schema has checked each field's shape. */
export interface ScanConfigInput {
  region?: string | null;
  registry: string;
  repository: string;
  tags?: string[] | null;
  schedule?: string | null;
  scanner?: ScannerId | null;
  platform?: string | null;
}

export interface ScanConfig {
  id: string;
  created: Date;
  region: string | null;
  registry: string;
  repository: string;
  tags: string[] | null;
  schedule: string | null;
  scanner: ScannerId;
  platform: string | null;
}

export const CONFIG_STATUSES = ['NEW', 'QUEUED', 'SCANNING', 'COMPLETE', 'PARTIAL', 'FAILED'] as const;
export type ConfigStatus = (typeof CONFIG_STATUSES)[number];

export interface ConfigState extends ScanConfig {
  /** The name of the token that registered it; null without tokens. */
  createdBy: string | null;
  status: ConfigStatus;
  lastScan: Date | null;
  nextScan: Date | null;
  lastError: string | null;
  /** Bumped by every change to the configuration's findings; feeds derive their ETag from it. */
  revision: number;
  images: ConfigImageStatus[];
}

export interface ConfigImageStatus {
  tag: string;
  digest: string | null;
  status: ImageStatus;
  /** Why the image's last scan did not complete; null when it did. */
  error: string | null;
}

/** A rule of SPEC §1 that a whole request breaks, naming the field at fault. */
export class ConfigRuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigRuleError';
  }
}

export function isAccountId(registry: string): boolean {
  return /^[0-9]{12}$/.test(registry);
}

/** Account and region of an ECR registry, whether named by account id or by its host. */
export function ecrRegistryOf(config: Pick<ScanConfig, 'registry' | 'region'>): { accountId: string; region: string } | null {
  if (isAccountId(config.registry) && config.region) return { accountId: config.registry, region: config.region };
  const match = ECR_HOST.exec(config.registry.split(':')[0] ?? '');
  if (!match) return null;
  return { accountId: match[1] ?? '', region: config.region ?? match[2] ?? '' };
}

/**
 * Checks the rules that span fields or go beyond a pattern, and fills in defaults.
 * Field shapes were already checked by the request schema.
 */
export function normaliseConfigInput(input: ScanConfigInput): Omit<ScanConfig, 'id' | 'created'> {
  const registry = input.registry;
  if (/^[0-9]+$/.test(registry) && !isAccountId(registry)) {
    throw new ConfigRuleError('registry', 'registry must be a 12-digit AWS account id or a registry host name[:port]');
  }
  const region = input.region ?? null;
  if (isAccountId(registry) && !region) {
    throw new ConfigRuleError('region', 'region is required when registry is an AWS account id');
  }
  if (input.repository.length < 2 || input.repository.length > 256) {
    throw new ConfigRuleError('repository', 'repository must be 2 to 256 characters long');
  }
  const tags = input.tags ?? null;
  if (tags && new Set(tags).size !== tags.length) {
    throw new ConfigRuleError('tags', 'tags must not repeat an entry');
  }
  const schedule = input.schedule ?? null;
  if (schedule !== null) checkSchedule(schedule);
  const ecr = ecrRegistryOf({ registry, region });
  const scanner: ScannerId = input.scanner ?? (isAccountId(registry) ? 'ecr' : 'builtin');
  if (scanner === 'ecr' && !ecr) {
    throw new ConfigRuleError('scanner', 'scanner "ecr" needs an ECR registry (an account id with a region, or an ECR host)');
  }
  return { region, registry, repository: input.repository, tags, schedule, scanner, platform: input.platform ?? null };
}

const DURATION = /^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?$/;
const MINUTE_MS = 60_000;
export const MIN_SCHEDULE_MS = 5 * MINUTE_MS;

/** Parses `30m`, `6h`, `1d`, `1h30m`; returns null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match || text === '') return null;
  const [, days, hours, minutes] = match;
  return ((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes ?? 0)) * MINUTE_MS;
}

function checkSchedule(schedule: string): void {
  const duration = parseDuration(schedule);
  if (duration !== null) {
    if (duration < MIN_SCHEDULE_MS) throw new ConfigRuleError('schedule', 'schedule must be at least 5 minutes');
    return;
  }
  if (schedule.trim().split(/\s+/).length !== 5) {
    throw new ConfigRuleError('schedule', 'schedule must be a duration like "6h" or a 5-field cron expression');
  }
  try {
    CronExpressionParser.parse(schedule);
  } catch (err) {
    throw new ConfigRuleError('schedule', `schedule is not a valid cron expression: ${(err as Error).message}`);
  }
}

/** When a configuration with this schedule is next due after `from`. */
export function nextRunAfter(schedule: string, from: Date): Date {
  const duration = parseDuration(schedule);
  if (duration !== null) return new Date(from.getTime() + duration);
  return CronExpressionParser.parse(schedule, { currentDate: from, tz: 'UTC' }).next().toDate();
}

/** Matches a tag against a configured entry, where `*` stands for any run of characters. */
export function tagMatches(pattern: string, tag: string): boolean {
  if (!pattern.includes('*')) return pattern === tag;
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return regex.test(tag);
}

export function isTagGlob(entry: string): boolean {
  return entry.includes('*');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
