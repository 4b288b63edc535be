import { CronExpressionParser } from 'cron-parser';
import type { ImageStatus } from './image.js';

export const SCANNER_IDS = ['ecr', 'builtin'] as const;
export type ScannerId = (typeof SCANNER_IDS)[number];

/** SPEC §1: lower-case path components joined by `/`. Length (2–256) is checked separately. */
export const REPOSITORY_PATTERN = '^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$';
/** A tag, or a glob over tags where `*` may stand anywhere. */
export const TAG_PATTERN = '^[A-Za-z0-9_*][A-Za-z0-9._*-]{0,127}$';
/**
 * A repository name, or a glob over names: `*` stands for any run of characters within
 * one path component, a whole `**` component for any number of components (`**` alone:
 * every repository the credentials can list).
 */
export const REPOSITORY_GLOB_PATTERN = '^[a-z0-9*]+(?:[._-][a-z0-9*]+)*(?:/[a-z0-9*]+(?:[._-][a-z0-9*]+)*)*$';
/** Most tags `newest` may ask for per repository: past it, name tags or use `pushedWithin`. */
export const MAX_NEWEST = 1000;
export const REGION_PATTERN = '^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$';
/** A 12-digit account id, or `host[:port]` made of DNS labels. */
export const REGISTRY_PATTERN =
  '^(?:[0-9]{12}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?)$';
export const PLATFORM_PATTERN = '^[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?$';
export const MAX_TAGS = 100;
/** What the built-in scanner picks from a multi-platform image when a configuration names none. */
export const DEFAULT_PLATFORM = 'linux/amd64';

/**
 * What each patterned field must look like, in words: the message a user gets when a
 * value breaks its pattern. The README's field table says the same.
 */
export const PATTERN_RULES: Readonly<Record<string, string>> = {
  registry: 'must be a 12-digit AWS account id or a registry host name[:port] (port 1 to 65535)',
  region: 'must be an AWS region name such as us-west-2',
  repository:
    'must be lower-case path components [a-z0-9]+([._-][a-z0-9]+)* joined by /, or a glob over them with * (within a component) and ** (any number of components)',
  exclude: 'must be a tag or a glob, as in tags',
  tags:
    'must be a tag or a glob: 1 to 128 characters from A-Z a-z 0-9 . _ - and *, not starting with . or -; ' +
    '* stands for any run of characters (none included), every other character for itself',
  platform: 'must be os/arch or os/arch/variant, such as linux/arm64',
};

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
  newest?: number | null;
  pushedWithin?: string | null;
  exclude?: string[] | null;
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
  // Optional so that configurations built before these existed read the same: absent is null.
  /** The N most recently pushed of the selected tags, per repository; null: no such limit. */
  newest?: number | null;
  /** Only tags pushed within this duration (`30d`); null: no such limit. */
  pushedWithin?: string | null;
  /** Tags or globs left out of the selection; null: none. */
  exclude?: string[] | null;
}

/** How far a scan of a large selection has got: images (digests) scanned of those selected. */
export interface ScanProgress {
  done: number;
  total: number;
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
  /** While it is `SCANNING`: images done of the run's total, once its images are listed; else null. */
  progress: ScanProgress | null;
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
  const port = /:([0-9]+)$/.exec(registry)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) {
    throw new ConfigRuleError('registry', `registry port must be from 1 to 65535, got ${port}`);
  }
  const region = input.region ?? null;
  if (isAccountId(registry) && !region) {
    throw new ConfigRuleError('region', 'region is required when registry is an AWS account id');
  }
  const shortest = isRepositoryGlob(input.repository) ? 1 : 2;
  if (input.repository.length < shortest || input.repository.length > 256) {
    throw new ConfigRuleError('repository', 'repository must be 2 to 256 characters long');
  }
  const tags = input.tags ?? null;
  if (tags && new Set(tags).size !== tags.length) {
    throw new ConfigRuleError('tags', 'tags must not repeat an entry');
  }
  const exclude = input.exclude ?? null;
  if (exclude && new Set(exclude).size !== exclude.length) {
    throw new ConfigRuleError('exclude', 'exclude must not repeat an entry');
  }
  const pushedWithin = input.pushedWithin ?? null;
  if (pushedWithin !== null && !(parseDuration(pushedWithin) ?? 0)) {
    throw new ConfigRuleError('pushedWithin', 'pushedWithin must be a duration such as "30d", "12h" or "1d12h"');
  }
  const schedule = input.schedule ?? null;
  if (schedule !== null) checkSchedule(schedule);
  const ecr = ecrRegistryOf({ registry, region });
  const scanner: ScannerId = input.scanner ?? (isAccountId(registry) ? 'ecr' : 'builtin');
  if (scanner === 'ecr' && !ecr) {
    throw new ConfigRuleError('scanner', 'scanner "ecr" needs an ECR registry (an account id with a region, or an ECR host)');
  }
  return {
    region,
    registry,
    repository: input.repository,
    tags,
    schedule,
    scanner,
    platform: input.platform ?? null,
    newest: input.newest ?? null,
    pushedWithin,
    exclude,
  };
}

const DURATION = /^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?$/;
const MINUTE_MS = 60_000;
export const MIN_SCHEDULE_MS = 5 * MINUTE_MS;
/** The longest schedule: a year, so that every next date is a real one (`100000000d` is not). */
export const MAX_SCHEDULE_MS = 366 * 24 * 60 * MINUTE_MS;

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
    if (duration > MAX_SCHEDULE_MS) throw new ConfigRuleError('schedule', 'schedule must be at most a year (366d)');
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
  if (!firesYearly(schedule)) {
    throw new ConfigRuleError('schedule', 'schedule must fire at least once a year (a cron date such as 29 or 30 February does not)');
  }
}

/** Whether a cron schedule's runs are never more than a year apart: two runs after a fixed date tell. */
function firesYearly(schedule: string): boolean {
  const start = new Date('2026-01-01T00:00:00Z');
  try {
    const runs = CronExpressionParser.parse(schedule, { currentDate: start, tz: 'UTC' });
    const first = runs.next().toDate();
    const second = runs.next().toDate();
    return first.getTime() - start.getTime() <= MAX_SCHEDULE_MS && second.getTime() - first.getTime() <= MAX_SCHEDULE_MS;
  } catch {
    return false;
  }
}

/** When a configuration with this schedule is next due after `from`. */
export function nextRunAfter(schedule: string, from: Date): Date {
  const duration = parseDuration(schedule);
  if (duration !== null) return new Date(from.getTime() + duration);
  return CronExpressionParser.parse(schedule, { currentDate: from, tz: 'UTC' }).next().toDate();
}

/**
 * Matches a tag against a configured entry, where `*` stands for any run of characters
 * (none included) and every other character for itself. No regular expression is built
 * from the pattern: the pattern is cut at its `*`s, the first piece must start the tag,
 * the last must end it, and the pieces between are found left to right, each at its
 * first place after the previous one. Taking the first place is always right for `*`-only
 * globs (a later place leaves less room for the rest), so nothing is ever retried and the
 * work is bounded by tag length × pattern length, whatever the pattern
 * (`*a*a*a*a*a*a*a*a*a*b` included).
 */
export function tagMatches(pattern: string, tag: string): boolean {
  if (!pattern.includes('*')) return pattern === tag;
  const pieces = pattern.split('*');
  const first = pieces[0] ?? '';
  const last = pieces[pieces.length - 1] ?? '';
  if (tag.length < first.length + last.length) return false;
  if (!tag.startsWith(first) || !tag.endsWith(last)) return false;
  let from = first.length;
  const end = tag.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] ?? '';
    if (piece === '') continue;
    const at = tag.indexOf(piece, from);
    if (at < 0 || at + piece.length > end) return false;
    from = at + piece.length;
  }
  return true;
}

export function isTagGlob(entry: string): boolean {
  return entry.includes('*');
}

export function isRepositoryGlob(repository: string): boolean {
  return repository.includes('*');
}

/**
 * Matches a repository name against a glob: component by component, `*` within one
 * component as in `tagMatches`, a `**` component for any number of components (none
 * included). Memoised over (glob component, name component), so the work is bounded by
 * their product whatever the number of `**`.
 */
export function repositoryMatches(glob: string, name: string): boolean {
  if (!isRepositoryGlob(glob)) return glob === name;
  const pattern = glob.split('/');
  const parts = name.split('/');
  const memo = new Map<number, boolean>();
  function from(p: number, n: number): boolean {
    const key = p * (parts.length + 1) + n;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (p === pattern.length) result = n === parts.length;
    else if (pattern[p] === '**') result = from(p + 1, n) || (n < parts.length && from(p, n + 1));
    else result = n < parts.length && tagMatches(pattern[p] ?? '', parts[n] ?? '') && from(p + 1, n + 1);
    memo.set(key, result);
    return result;
  }
  return from(0, 0);
}

/**
 * How a configuration names one image among its own: the tag alone when it names one
 * repository (as the demo did), `repository:tag` when its repository is a glob. Neither a
 * repository nor a tag may hold a `:`, so the key always splits back.
 */
export function imageKeyOf(config: Pick<ScanConfig, 'repository'>, repository: string, tag: string): string {
  return isRepositoryGlob(config.repository) ? `${repository}:${tag}` : tag;
}

/** The repository and tag an image key names (see `imageKeyOf`). */
export function splitImageKey(config: Pick<ScanConfig, 'repository'>, key: string): { repository: string; tag: string } {
  const at = key.lastIndexOf(':');
  if (!isRepositoryGlob(config.repository) || at < 0) return { repository: config.repository, tag: key };
  return { repository: key.slice(0, at), tag: key.slice(at + 1) };
}
