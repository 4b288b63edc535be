import type { Finding } from '../../src/domain/finding.js';
import type { Severity } from '../../src/domain/severity.js';

/**
 * Findings shaped like a Debian-based image's scan: CVE ids, real-looking package names
 * and versions, descriptions of 200–240 characters, CVSS on most, and a severity mix of
 * few CRITICAL and mostly MEDIUM and LOW. Deterministic, so that every run and every
 * cached database hold the same data.
 */

/** mulberry32: small, fast and deterministic. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PACKAGES = [
  'openssl', 'libssl3', 'libc6', 'glibc', 'zlib1g', 'libxml2', 'curl', 'libcurl4', 'expat', 'libexpat1', 'bash', 'coreutils',
  'tar', 'gzip', 'xz-utils', 'liblzma5', 'libsqlite3-0', 'sqlite3', 'perl-base', 'python3.11', 'libpython3.11', 'systemd',
  'libsystemd0', 'libudev1', 'util-linux', 'libblkid1', 'libmount1', 'e2fsprogs', 'libgnutls30', 'libgcrypt20', 'libtasn1-6',
  'libidn2-0', 'libpcre2-8-0', 'libpcre3', 'ncurses-base', 'libncursesw6', 'libtinfo6', 'login', 'passwd', 'shadow', 'sudo',
  'openssh-client', 'krb5-locales', 'libkrb5-3', 'libgssapi-krb5-2', 'libldap-2.5-0', 'libsasl2-2', 'libnghttp2-14', 'libssh2-1',
  'libzstd1', 'libbz2-1.0', 'libtiff6', 'libpng16-16', 'libjpeg62-turbo', 'libwebp7', 'libfreetype6', 'fontconfig', 'libx11-6',
  'imagemagick', 'ghostscript', 'git', 'vim-tiny', 'less', 'procps', 'apt', 'libapt-pkg6.0', 'dpkg', 'gnupg', 'gpgv', 'libksba8',
  'libnss3', 'ca-certificates', 'wget', 'busybox', 'musl', 'apk-tools', 'libcrypto3', 'libretls', 'nodejs', 'npm', 'openjdk-17-jre',
  'libicu72', 'libde265-0', 'libheif1', 'libaom3', 'libdav1d6', 'libvpx7', 'ffmpeg', 'libavcodec59', 'nginx', 'libnginx-mod-http',
  'apache2', 'libapr1', 'libaprutil1', 'postgresql-client-15', 'libpq5', 'mariadb-client', 'libmariadb3', 'redis-tools',
];

const SEVERITY_MIX: Array<[Severity, number]> = [
  ['CRITICAL', 0.05],
  ['HIGH', 0.2],
  ['MEDIUM', 0.4],
  ['LOW', 0.25],
  ['INFORMATIONAL', 0.05],
  ['UNDEFINED', 0.05],
];

const SCORE_RANGE: Record<Severity, [number, number]> = {
  CRITICAL: [9, 10],
  HIGH: [7, 8.9],
  MEDIUM: [4, 6.9],
  LOW: [0.1, 3.9],
  INFORMATIONAL: [0, 0],
  UNDEFINED: [0, 0],
};

const FLAWS = [
  'a heap-based buffer overflow',
  'an out-of-bounds read',
  'a use-after-free',
  'an integer overflow',
  'a NULL pointer dereference',
  'uncontrolled recursion',
  'an infinite loop',
  'improper certificate validation',
  'a double free',
  'a race condition',
];
const VECTORS = [
  'a crafted file',
  'a crafted network packet',
  'a long header value',
  'a malformed archive',
  'a crafted certificate chain',
  'specially crafted input data',
];
const IMPACTS = [
  'cause a denial of service (application crash)',
  'execute arbitrary code',
  'obtain sensitive information from process memory',
  'bypass intended access restrictions',
  'cause a denial of service (CPU consumption)',
];

const CVSS_VECTORS = [
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
  'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H',
  'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N',
];

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)] as T;
}

function pickSeverity(next: () => number): Severity {
  let roll = next();
  for (const [severity, share] of SEVERITY_MIX) {
    roll -= share;
    if (roll < 0) return severity;
  }
  return 'MEDIUM';
}

function versionOf(next: () => number): string {
  return `${1 + Math.floor(next() * 3)}.${Math.floor(next() * 20)}.${Math.floor(next() * 30)}-${1 + Math.floor(next() * 5)}+deb12u${1 + Math.floor(next() * 4)}`;
}

function describe(name: string, pkg: string, fixed: string | null, next: () => number): string {
  const text =
    `${pick(FLAWS, next)} in ${pkg}${fixed ? ` before ${fixed}` : ''} allows remote attackers to ${pick(IMPACTS, next)} ` +
    `via ${pick(VECTORS, next)}. This issue (${name}) affects the parsing code path reached by default configurations.`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The finding of one key: the key picks the CVE, the package and every other field, so
 * that the same key always gives the same finding, as a rescan of an unchanged image does.
 */
export function syntheticFinding(key: number): Finding {
  const next = createRandom(Math.imul(key + 1, 0x9e3779b1));
  const year = 2015 + (key % 11);
  // 7919 is coprime to 89,999: keys below that give distinct CVE numbers.
  const name = `CVE-${year}-${String(10_000 + ((key * 7919) % 89_999)).padStart(5, '0')}`;
  const pkg = PACKAGES[key % PACKAGES.length] as string;
  const severity = pickSeverity(next);
  const version = versionOf(next);
  // Seven in ten have a fix: the installed version with a later Debian security update.
  const fixedVersion = next() < 0.7 ? version.replace(/u([0-9]+)$/, (_, n: string) => `u${Number(n) + 1}`) : null;
  const [low, high] = SCORE_RANGE[severity];
  const scored = low > 0 && next() < 0.8;
  return {
    name,
    severity,
    package: pkg,
    version,
    fixedVersion,
    uri: `https://security-tracker.debian.org/tracker/${name}`,
    description: describe(name, pkg, fixedVersion, next),
    cvss: scored ? { score: Math.round((low + next() * (high - low)) * 10) / 10, vector: pick(CVSS_VECTORS, next) } : null,
    aliases: next() < 0.2 ? [`DSA-${5000 + Math.floor(next() * 900)}-1`] : [],
    path: null,
  };
}

/** The findings of `keys`: one image's scan. */
export function syntheticFindings(keys: Iterable<number>): Finding[] {
  return Array.from(keys, syntheticFinding);
}
