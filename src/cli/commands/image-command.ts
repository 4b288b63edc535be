import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config.js';
import type { Finding } from '../../domain/finding.js';
import { SEVERITIES, type Severity } from '../../domain/severity.js';
import { DEFAULT_PLATFORM, parsePlatform, type Platform } from '../../scanners/builtin/registry/platform.js';
import { type IgnoreEntry, IgnoreFileError, parseIgnoreFile } from '../../triage/ignore-file.js';
import { covers } from '../../triage/suppression.js';
import { VERSION } from '../../version.js';
import { CliError } from '../cli-error.js';
import { parseImageReference } from '../image/image-reference.js';
import { renderImageReport, IMAGE_FORMATS, type ImageFormat } from '../image/image-report.js';
import { ADVISORY_REFRESH_MS, SCAN_ERROR_EXIT } from '../image/image-options.js';
import { scanLocally, type ScanTarget } from '../image/local-scan.js';
import { silentProgress, terminalProgress } from '../image/scan-progress.js';

export interface ImageCommandFlags {
  format: string | undefined;
  severity: string | undefined;
  exitCode: string | undefined;
  ignoreUnfixed: boolean;
  output: string | undefined;
  input: string | undefined;
  platform: string | undefined;
  cacheDir: string | undefined;
  ignoreFile: string | undefined;
}

export async function imageCommand(args: string[], flags: ImageCommandFlags, env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<void> {
  const target = targetOf(args, flags.input);
  const format = formatOf(flags.format);
  const severities = severitiesOf(flags.severity);
  const exitCode = exitCodeOf(flags.exitCode);
  const platform = platformOf(flags.platform);
  const ignored = flags.ignoreFile === undefined ? [] : await readIgnoreFile(flags.ignoreFile, new Date());
  const config = loadConfig(env);
  const progress = process.stderr.isTTY ? terminalProgress(process.stderr) : silentProgress;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new CliError('interrupted', 130));
  process.once('SIGINT', onSignal);
  let result;
  try {
    result = await scanLocally(target, {
      cacheDir: flags.cacheDir ?? defaultCacheDir(env),
      osvSources: config.osvSources,
      advisoryMaxAgeMs: ADVISORY_REFRESH_MS,
      insecureRegistries: config.insecureRegistries,
      platform,
      imageMemoryMb: config.imageMemoryMb,
      env,
      progress,
      signal: controller.signal,
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
  const place = placeOf(target);
  const findings = result.outcome.findings.filter(
    (finding) => severities.has(finding.severity) && !(flags.ignoreUnfixed && !finding.fixedVersion) && !isIgnored(finding, place, ignored),
  );
  const report = await renderImageReport(format, { ...result, findings }, { name: 'ecrscan', version: VERSION });
  if (flags.output !== undefined) {
    try {
      await writeFile(flags.output, report);
    } catch (err) {
      throw new CliError(`cannot write ${flags.output}: ${err instanceof Error ? err.message : String(err)}`, SCAN_ERROR_EXIT);
    }
  } else {
    out(report.replace(/\n$/, ''));
  }
  if (exitCode !== 0 && findings.length > 0) throw new CliError(describeFailing(findings), exitCode);
  // OS packages left unmatched: "no findings" would say nothing, so a gate must not pass.
  if (result.outcome.status !== 'COMPLETE' && !isSbom(format)) throw new CliError(result.outcome.error ?? `the scan ended ${result.outcome.status}`, SCAN_ERROR_EXIT);
}

/** The entries of an ignore file that are active now; a file that cannot be read or is not valid is a usage error. */
async function readIgnoreFile(file: string, now: Date): Promise<IgnoreEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read --ignore-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
  try {
    return parseIgnoreFile(text).filter((entry) => entry.expiresAt === null || entry.expiresAt.getTime() > now.getTime());
  } catch (err) {
    if (err instanceof IgnoreFileError) throw new CliError(`--ignore-file ${file}: ${err.message}`, 2);
    throw err;
  }
}

/** Where the image is, as suppressions scope it: an archive has no repository or tag, and no scan here has a configuration. */
function placeOf(target: ScanTarget): { repository: string; tag: string } {
  if (target.kind !== 'registry') return { repository: '', tag: '' };
  return { repository: target.reference.repository, tag: target.reference.tag ?? '' };
}

function isIgnored(finding: Finding, place: { repository: string; tag: string }, entries: readonly IgnoreEntry[]): boolean {
  const coverable = { name: finding.name, aliases: finding.aliases, package: finding.package ?? '', configId: '', ...place };
  return entries.some((entry) => covers(entry, coverable));
}

function targetOf(args: string[], input: string | undefined): ScanTarget {
  if (args.length > 1) throw new CliError(`image takes one image reference, got ${args.length} (run "ecrscan image --help" for usage)`, 2);
  const [ref] = args;
  if (input !== undefined && ref !== undefined) throw new CliError('give an image reference or --input PATH, not both', 2);
  if (input !== undefined) return { kind: 'archive', path: input };
  if (ref === undefined) throw new CliError('image needs an image reference (registry/repository:tag) or --input PATH (run "ecrscan image --help" for usage)', 2);
  return { kind: 'registry', reference: parseImageReference(ref) };
}

function formatOf(raw: string | undefined): ImageFormat {
  const format = raw ?? 'table';
  if (!(IMAGE_FORMATS as readonly string[]).includes(format)) throw new CliError(`--format takes ${IMAGE_FORMATS.join(', ')}, got "${format}"`, 2);
  return format as ImageFormat;
}

function severitiesOf(raw: string | undefined): Set<Severity> {
  if (raw === undefined) return new Set(SEVERITIES);
  const wanted = raw.split(',').map((item) => item.trim().toUpperCase());
  const unknown = wanted.find((item) => !(SEVERITIES as readonly string[]).includes(item));
  if (unknown !== undefined) throw new CliError(`--severity takes ${SEVERITIES.join(', ')} (any case, comma-separated), got "${unknown}"`, 2);
  return new Set(wanted as Severity[]);
}

function exitCodeOf(raw: string | undefined): number {
  if (raw === undefined) return 0;
  if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) > 125) throw new CliError(`--exit-code must be a number from 0 to 125, got "${raw}"`, 2);
  const code = Number(raw);
  if (code === 2 || code === SCAN_ERROR_EXIT) throw new CliError(`--exit-code ${code} would be taken for a ${code === 2 ? 'usage' : 'scan'} error; choose another`, 2);
  return code;
}

function platformOf(raw: string | undefined): Platform {
  if (raw === undefined) return DEFAULT_PLATFORM;
  try {
    return parsePlatform(raw);
  } catch {
    throw new CliError(`--platform must be os/architecture[/variant] (linux/arm64), got "${raw}"`, 2);
  }
}

function isSbom(format: ImageFormat): boolean {
  return format === 'cyclonedx' || format === 'spdx';
}

/** `$XDG_CACHE_HOME/ecrscan`, else `~/.cache/ecrscan`. */
function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'ecrscan');
}

function describeFailing(findings: readonly Finding[]): string {
  const counts = SEVERITIES.map((severity) => [severity, findings.filter((finding) => finding.severity === severity).length] as const).filter(([, n]) => n > 0);
  return `${findings.length} finding${findings.length === 1 ? '' : 's'} (${counts.map(([severity, n]) => `${severity}: ${n}`).join(', ')})`;
}
