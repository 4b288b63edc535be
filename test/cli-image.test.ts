import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type CliOutcome, execute } from '../src/cli/cli.js';
import { runCli } from './support/cli-process.js';
import { type CountingProxy, startCountingProxy } from './support/counting-proxy.js';
import { cycloneDxErrors, sarifErrors, spdxErrors } from './support/export-validators.js';
import { buildImage, buildLayer, type BuiltImage, type LayerItem, pushImage, tarOf } from './support/image-builder.js';
import { DEBIAN_12_OS_RELEASE, DEBIAN_12_VERSIONS_BELOW_FIXES } from './support/package-fixtures.js';
import { findRegistryBinary, freePort, startRegistry, warnRegistryMissing, type RegistryServer } from './support/registry-server.js';

/**
 * `ecrscan image` as users run it in a pipeline: its own process, no server, images from
 * the reference registry (behind a counting proxy, so that downloads are known) and from
 * local OCI layouts and docker save archives, advisories from the committed Debian 12 OSV
 * fixtures plus one record made here without a fix (the fixtures all have one), and a
 * local database directory kept between runs.
 */

const DEBIAN_FIXTURES = fileURLToPath(new URL('./fixtures/osv/debian-12/', import.meta.url));

const installed = findRegistryBinary() !== null;
if (!installed) warnRegistryMissing('test/cli-image.test.ts');

/** Made for this test: an advisory on Debian 12's `tar` that no version fixes yet. */
const UNFIXED_RECORD = {
  schema_version: '1.6.0',
  id: 'DEBIAN-CVE-2099-0001',
  modified: '2026-01-01T00:00:00Z',
  published: '2026-01-01T00:00:00Z',
  upstream: ['CVE-2099-0001'],
  details: 'A test advisory without a fix.',
  affected: [{ package: { ecosystem: 'Debian:12', name: 'tar' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
  database_specific: { severity: 'MEDIUM' },
};

function withVersions(status: string, versions: Readonly<Record<string, string>>): string {
  return status
    .split('\n\n')
    .map((stanza) => {
      const version = versions[/^Package: (\S+)/m.exec(stanza)?.[1] ?? ''];
      return version ? stanza.replace(/^Version: .*$/m, `Version: ${version}`) : stanza;
    })
    .join('\n\n');
}

interface JsonReport {
  image: { name: string; digest: string };
  status: string;
  findings: { name: string; severity: string; package: string; fixedVersion: string | null }[];
}

describe('ecrscan image', { skip: !installed && 'docker-registry not installed' }, () => {
  let registry: RegistryServer;
  let proxy: CountingProxy;
  let work: string;
  let osvDir: string;
  let cacheDir: string;
  let older: BuiltImage;
  let olderItems: LayerItem[];
  let env: NodeJS.ProcessEnv;

  const argv = (args: string[]): string[] => ['image', ...args, ...(args.includes('--cache-dir') ? [] : ['--cache-dir', cacheDir])];
  /** As its own process, the way a pipeline runs it. */
  const imageProcess = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof runCli> => runCli(argv(args), { ...env, ...extraEnv });
  /** The same command line run in this process: what a terminal would show, and the exit code, without a process start each. */
  const image = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliOutcome> => execute(argv(args), { ...process.env, ...env, ...extraEnv });

  before(async () => {
    registry = await startRegistry();
    proxy = await startCountingProxy(registry);
    work = await mkdtemp(join(tmpdir(), 'ecrscan-image-'));
    osvDir = join(work, 'osv');
    cacheDir = join(work, 'cache');
    await cp(DEBIAN_FIXTURES, osvDir, { recursive: true, filter: (source) => !/(README\.md|dpkg-status)$/.test(source) });
    await writeFile(join(osvDir, 'DEBIAN-CVE-2099-0001.json'), JSON.stringify(UNFIXED_RECORD));
    const status = await readFile(join(DEBIAN_FIXTURES, 'dpkg-status'), 'utf8');
    const base: LayerItem[] = [
      { path: 'usr/lib/os-release', content: DEBIAN_12_OS_RELEASE },
      { path: 'etc/os-release', symlink: '../usr/lib/os-release' },
    ];
    olderItems = [...base, { path: 'var/lib/dpkg/status', content: withVersions(status, DEBIAN_12_VERSIONS_BELOW_FIXES) }];
    older = buildImage([await buildLayer(olderItems)]);
    const current = buildImage([await buildLayer([...base, { path: 'var/lib/dpkg/status', content: status }])]);
    await pushImage({ url: registry.url }, 'debian/app', 'old', older);
    await pushImage({ url: registry.url }, 'debian/app', 'current', current);
    env = { ECRSCAN_OSV_SOURCES: osvDir, ECRSCAN_INSECURE_REGISTRIES: proxy.host, XDG_CACHE_HOME: join(work, 'xdg') };
  });

  after(async () => {
    await proxy?.close();
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('scans an image of a registry: every finding, nothing on stderr when piped, exit 0 without --exit-code', async () => {
    const run = await imageProcess([`${proxy.host}/debian/app:old`, '--format', 'json']);
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.equal(report.image.digest, older.manifest.digest);
    assert.equal(report.status, 'COMPLETE');
    const names = report.findings.map((finding) => `${finding.severity} ${finding.name} ${finding.package}`).sort();
    assert.deepEqual(names, [
      'HIGH CVE-2025-15467 libssl3',
      'HIGH CVE-2025-15467 openssl',
      'LOW CVE-2025-68160 libssl3',
      'LOW CVE-2025-68160 openssl',
      'MEDIUM CVE-2099-0001 tar',
      'UNDEFINED CVE-2022-37434 zlib1g',
      'UNDEFINED CVE-2022-48303 tar',
      'UNDEFINED CVE-2023-39804 tar',
      'UNDEFINED CVE-2025-4802 libc6',
      'UNDEFINED CVE-2026-31789 libssl3',
      'UNDEFINED CVE-2026-31789 openssl',
    ]);
  });

  it('a second run downloads no layer and imports no advisory: both are kept in the local database', async () => {
    const importedAt = (): unknown[] => {
      const db = new Database(join(cacheDir, 'ecrscan.db'), { readonly: true });
      try {
        return db.prepare('SELECT source, imported_at FROM osv_sources ORDER BY source').all();
      } finally {
        db.close();
      }
    };
    const before = { blobs: proxy.blobGets(), imports: importedAt() };
    assert.ok(before.blobs > 0, 'the first run downloaded the layers');
    const run = await image([`${proxy.host}/debian/app:old`, '--format', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as JsonReport).findings.length, 11);
    assert.equal(proxy.blobGets(), before.blobs);
    assert.deepEqual(importedAt(), before.imports);
  });

  it('exits with --exit-code when findings at the given severities remain, 0 when under the threshold', async () => {
    const over = await imageProcess([`${proxy.host}/debian/app:old`, '--severity', 'critical,high', '--exit-code', '4']);
    assert.equal(over.code, 4);
    assert.equal(over.stderr, 'ecrscan: 2 findings (HIGH: 2)\n');
    assert.match(over.stdout, /CVE-2025-15467/);
    assert.doesNotMatch(over.stdout, /CVE-2025-68160/, '--severity filters the report too');

    const under = await image([`${proxy.host}/debian/app:old`, '--severity', 'CRITICAL', '--exit-code', '4']);
    assert.equal(under.code, 0, under.stderr);
    assert.match(under.stdout, /no findings/);

    const current = await image([`${proxy.host}/debian/app:current`, '--severity', 'HIGH,LOW', '--exit-code', '1']);
    assert.equal(current.code, 0, current.stderr);
  });

  it('--ignore-unfixed leaves out findings that no version fixes', async () => {
    const all = await image([`${proxy.host}/debian/app:old`, '--severity', 'MEDIUM', '--exit-code', '5']);
    assert.equal(all.code, 5);
    const fixedOnly = await image([`${proxy.host}/debian/app:old`, '--severity', 'MEDIUM', '--exit-code', '5', '--ignore-unfixed']);
    assert.equal(fixedOnly.code, 0, fixedOnly.stderr);
  });

  it('--ignore-file leaves out findings its active suppressions cover, for this repository and tag', async () => {
    const file = (name: string, body: string): Promise<string> => writeFile(join(work, name), body).then(() => join(work, name));
    const waiver = await file(
      'ignore.yaml',
      [
        'suppressions:',
        '  - { id: waive-openssl, vulnerability: CVE-2025-15467, repository: debian/app, tag: old, status: accepted_risk, reason: not reachable }',
        '  - { id: other-tag, vulnerability: CVE-2025-68160, repository: debian/app, tag: current, status: accepted_risk, reason: another tag }',
        '  - { id: a-config, vulnerability: CVE-2025-68160, configId: 4471c156-29f5-40fe-883b-3cd26738d5a6, status: accepted_risk, reason: a configuration }',
      ].join('\n'),
    );
    const waived = await image([`${proxy.host}/debian/app:old`, '--severity', 'critical,high', '--exit-code', '4', '--ignore-file', waiver]);
    // Both HIGH findings are CVE-2025-15467 (two packages of one source): waived, the gate passes.
    assert.equal(waived.code, 0, waived.stderr);
    assert.doesNotMatch(waived.stdout, /CVE-2025-15467/);
    const medium = await image([`${proxy.host}/debian/app:old`, '--format', 'json', '--ignore-file', waiver]);
    assert.match(medium.stdout, /CVE-2025-68160/, 'entries for another tag or a configuration do not apply');

    const expired = await file('expired.yaml', 'suppressions:\n  - { id: old-waiver, vulnerability: CVE-2025-15467, status: accepted_risk, reason: was, expiresAt: 2020-01-01 }\n');
    const run = await image([`${proxy.host}/debian/app:old`, '--severity', 'high', '--exit-code', '4', '--ignore-file', expired]);
    assert.equal(run.stderr, 'ecrscan: 2 findings (HIGH: 2)\n', 'an expired suppression covers nothing');

    const broken = await file('broken.yaml', 'suppressions:\n  - { id: x, vulnerability: CVE-2025-15467 }\n');
    for (const bad of [broken, join(work, 'missing.yaml')]) {
      const refused = await image([`${proxy.host}/debian/app:old`, '--ignore-file', bad]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /^ecrscan: [^\n]*--ignore-file [^\n]+\n$/);
    }
  });

  it('writes SARIF, CycloneDX, SPDX and CSV that their schemas accept', async () => {
    const out = (name: string): string => join(work, name);
    const runs = await Promise.all([
      image([`${proxy.host}/debian/app:old`, '--format', 'sarif', '--output', out('report.sarif')]),
      image([`${proxy.host}/debian/app:old`, '--format', 'cyclonedx', '--output', out('bom.cdx.json')]),
      image([`${proxy.host}/debian/app:old`, '--format', 'spdx', '--output', out('bom.spdx.json')]),
      image([`${proxy.host}/debian/app:old`, '--format', 'csv', '--output', out('findings.csv')]),
    ]);
    for (const run of runs) assert.deepEqual([run.code, run.stdout, run.stderr], [0, '', '']);
    const sarif = JSON.parse(await readFile(out('report.sarif'), 'utf8')) as { runs: { results: unknown[] }[] };
    assert.deepEqual(sarifErrors(sarif), []);
    assert.equal(sarif.runs[0]?.results.length, 11);
    const cdx = await readFile(out('bom.cdx.json'), 'utf8');
    assert.equal(await cycloneDxErrors(cdx), null);
    const bom = JSON.parse(cdx) as { metadata: { component: { version: string } }; components: { purl?: string }[] };
    assert.equal(bom.metadata.component.version, older.manifest.digest);
    assert.ok(bom.components.some((component) => component.purl === `pkg:deb/debian/libssl3@${DEBIAN_12_VERSIONS_BELOW_FIXES['libssl3']?.replace('+', '%2B')}?distro=debian-12`));
    const spdx = JSON.parse(await readFile(out('bom.spdx.json'), 'utf8')) as { packages: unknown[] };
    assert.deepEqual(spdxErrors(spdx), []);
    assert.equal(spdx.packages.length, 2 + 5, 'the image, the OS and five packages');
    const csv = await readFile(out('findings.csv'), 'utf8');
    assert.equal(csv.trimEnd().split('\r\n').length, 1 + 11);
  });

  it('reads an OCI layout, as a directory and as a tar, and a docker save archive', async () => {
    const layout = join(work, 'layout');
    await writeLayout(layout, older);
    const layoutTar = join(work, 'layout.tar');
    await writeFile(layoutTar, await tarOf(layoutItems(older)));
    const legacy = join(work, 'docker-save.tar');
    await writeFile(legacy, await dockerSaveArchive(olderItems));
    for (const input of [layout, layoutTar, legacy]) {
      const run = await image(['--input', input, '--format', 'json', '--severity', 'HIGH', '--exit-code', '6']);
      assert.equal(run.code, 6, `${input}: ${run.stderr}`);
      const report = JSON.parse(run.stdout) as JsonReport;
      assert.deepEqual(report.findings.map((finding) => finding.package).sort(), ['libssl3', 'openssl'], input);
    }
  });

  it('a missing image, an unreachable registry and a broken archive are scan errors: one line, exit 3', async () => {
    const missing = await image([`${proxy.host}/debian/app:no-such-tag`]);
    const port = await freePort();
    const unreachable = await image([`127.0.0.1:${port}/debian/app:old`], { ECRSCAN_INSECURE_REGISTRIES: `127.0.0.1:${port}` });
    const broken = join(work, 'broken.tar');
    await writeFile(broken, 'not a tar at all'.repeat(64));
    const archive = await image(['--input', broken]);
    for (const [label, run] of [
      ['missing', missing],
      ['unreachable', unreachable],
      ['broken archive', archive],
    ] as const) {
      assert.equal(run.code, 3, `${label}: ${run.stderr}`);
      assert.match(run.stderr, /^ecrscan: [^\n]+\n$/, label);
      assert.equal(run.stdout, '', label);
    }
    assert.match(missing.stderr, /no-such-tag|not found|unknown/i);
  });

  it('without advisory data the scan fails rather than report the image clean', async () => {
    const run = await image([`${proxy.host}/debian/app:old`, '--cache-dir', join(work, 'empty-cache')], { ECRSCAN_OSV_SOURCES: '' });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /^ecrscan: no advisory data/);
  });

  it('bad flags and arguments: one line, exit 2, nothing scanned', async () => {
    const before = proxy.requests.length;
    const cases: [string[], RegExp][] = [
      [[`${proxy.host}/debian/app:old`, '--format', 'xml'], /--format takes table, json, sarif, cyclonedx, spdx, csv/],
      [[`${proxy.host}/debian/app:old`, '--exit-code', 'many'], /--exit-code must be a number/],
      [[`${proxy.host}/debian/app:old`, '--exit-code', '3'], /--exit-code 3 would be taken for a scan error/],
      [[`${proxy.host}/debian/app:old`, '--severity', 'urgent'], /--severity takes/],
      [[`${proxy.host}/debian/app:old`, '--platform', 'amd64'], /--platform must be/],
      [[`${proxy.host}/debian/app:old`, '--bogus'], /Unknown option '--bogus'/],
      [[], /image needs an image reference/],
      [['Upper/Case:1'], /not an image reference/],
      [[`${proxy.host}/debian/app:old`, '--input', work], /not both/],
    ];
    for (const [args, message] of cases) {
      const run = await image(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^ecrscan: [^\n]+\n$/, args.join(' '));
      assert.match(run.stderr, message);
    }
    assert.equal(proxy.requests.length, before, 'no registry request for bad input');
  });
});

/** The files of an OCI image layout holding one image. */
function layoutItems(image: BuiltImage): LayerItem[] {
  const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size }] };
  const blob = (digest: string): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  return [
    { path: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { path: 'index.json', content: JSON.stringify(index) },
    ...[image.manifest, image.config, ...image.layers].map((entry) => ({ path: blob(entry.digest), content: entry.bytes })),
  ];
}

async function writeLayout(dir: string, image: BuiltImage): Promise<void> {
  for (const item of layoutItems(image)) {
    if (!('content' in item)) continue;
    await mkdir(join(dir, item.path, '..'), { recursive: true });
    await writeFile(join(dir, item.path), item.content);
  }
}

/** The archive `docker save` wrote before Docker 25: manifest.json, the config, uncompressed layer tars by id. */
async function dockerSaveArchive(items: readonly LayerItem[]): Promise<Buffer> {
  const layer = await tarOf(items);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
  return tarOf([
    { path: 'manifest.json', content: JSON.stringify([{ Config: 'c0ffee.json', RepoTags: ['debian/app:old'], Layers: ['1a2b3c/layer.tar'] }]) },
    { path: 'c0ffee.json', content: config },
    { path: '1a2b3c/VERSION', content: '1.0' },
    { path: '1a2b3c/layer.tar', content: layer },
  ]);
}
