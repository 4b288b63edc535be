import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ServerProcess, startServer } from './support/cli-process.js';
import { type CountingProxy, startCountingProxy } from './support/counting-proxy.js';
import { databases } from './support/databases.js';
import { buildImage, buildIndex, buildLayer, type BuiltImage, type LayerItem, pushImage, pushIndex, type PushTarget } from './support/image-builder.js';
import { ALPINE_319_OS_RELEASE, ALPINE_INSTALLED, DEBIAN_12_OS_RELEASE, DEBIAN_12_VERSIONS_BELOW_FIXES, FEDORA_39_OS_RELEASE } from './support/package-fixtures.js';
import { findRegistryBinary, startRegistry, warnRegistryMissing, type RegistryServer } from './support/registry-server.js';

/**
 * The built-in scanner end to end: `ecrscan serve` as its own process, images built here
 * from real package databases and pushed to the reference registry, advisories imported
 * from the committed OSV fixtures, and everything observed through the HTTP API. The
 * registry sits behind a counting proxy, so that the blob downloads of a scan are known.
 */

const DEBIAN_FIXTURES = fileURLToPath(new URL('./fixtures/osv/debian-12/', import.meta.url));
const ALPINE_RECORD = fileURLToPath(new URL('./fixtures/osv/ALPINE-CVE-2025-26519.json', import.meta.url));

const installed = findRegistryBinary() !== null;
if (!installed) warnRegistryMissing('test/builtin-service.test.ts');
const rpmInstalled = spawnSync('rpm', ['--version'], { stdio: 'ignore' }).status === 0;
const dialects = installed ? await databases() : [];

interface ExpectedFinding {
  name: string;
  package: string;
  version: string;
  fixedVersion: string;
  severity: string;
}

function expected(pkg: string, name: string, fixedVersion: string, severity = 'UNDEFINED', version = DEBIAN_12_VERSIONS_BELOW_FIXES[pkg] ?? ''): ExpectedFinding {
  return { name, package: pkg, version, fixedVersion, severity };
}

/** What the older Debian 12 image must show, exactly: the fixtures' README explains each line. */
const OLDER_FINDINGS: ExpectedFinding[] = [
  expected('libc6', 'CVE-2025-4802', '2.36-9+deb12u11'),
  expected('libssl3', 'CVE-2025-15467', '3.0.18-1~deb12u2', 'HIGH'),
  expected('libssl3', 'CVE-2025-68160', '3.0.18-1~deb12u2', 'LOW'),
  expected('libssl3', 'CVE-2026-31789', '3.0.19-1~deb12u2'),
  expected('openssl', 'CVE-2025-15467', '3.0.18-1~deb12u2', 'HIGH'),
  expected('openssl', 'CVE-2025-68160', '3.0.18-1~deb12u2', 'LOW'),
  expected('openssl', 'CVE-2026-31789', '3.0.19-1~deb12u2'),
  expected('tar', 'CVE-2022-48303', '1.34+dfsg-1.2+deb12u1'),
  expected('tar', 'CVE-2023-39804', '1.34+dfsg-1.2+deb12u1'),
  expected('zlib1g', 'CVE-2022-37434', '1:1.2.11.dfsg-4.1'),
];

/** Alpine 3.19's musl 1.2.4_git20230717-r4 against ALPINE-CVE-2025-26519 (CVSS 3.1 vector, base 7.0). */
const ALPINE_FINDINGS: ExpectedFinding[] = [
  { name: 'CVE-2025-26519', package: 'musl', version: '1.2.4_git20230717-r4', fixedVersion: '1.2.4_git20230717-r5', severity: 'HIGH' },
];

/** The stanzas with other versions (and architecture), the rest of each stanza as the system wrote it. */
function rewriteStatus(status: string, versions: Readonly<Record<string, string>>, architecture?: string): string {
  return status
    .split('\n\n')
    .map((stanza) => {
      const name = /^Package: (\S+)/m.exec(stanza)?.[1] ?? '';
      let out = stanza;
      const version = versions[name];
      if (version) out = out.replace(/^Version: .*$/m, `Version: ${version}`);
      if (architecture) out = out.replace(/^Architecture: amd64$/m, `Architecture: ${architecture}`);
      return out;
    })
    .join('\n\n');
}

function withoutPackages(status: string, removed: readonly string[]): string {
  return status
    .split('\n\n')
    .filter((stanza) => !removed.includes(/^Package: (\S+)/m.exec(stanza)?.[1] ?? ''))
    .join('\n\n');
}

const DEBIAN_BASE: LayerItem[] = [
  { path: 'usr/lib/os-release', content: DEBIAN_12_OS_RELEASE },
  { path: 'etc/os-release', symlink: '../usr/lib/os-release' },
];

interface ConfigJson {
  id: string;
  status: string;
  lastScan: string | null;
  lastError: string | null;
  images: { tag: string; digest: string | null; status: string }[];
}

interface FindingJson extends ExpectedFinding {
  uri: string | null;
  description: string | null;
  aliases: string[];
  tag: string;
  firstSeen: string;
  lastSeen: string;
  cvss: { score: number | null; vector: string | null } | null;
  path: string | null;
}

interface SummaryImage {
  tag: string;
  status: string;
  error: string | null;
}

class Api {
  constructor(readonly url: string) {}

  async register(body: object): Promise<string> {
    const response = await fetch(`${this.url}/configs/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 201, await response.clone().text());
    return ((await response.json()) as { id: string }).id;
  }

  async config(id: string): Promise<ConfigJson> {
    return (await (await fetch(`${this.url}/configs/${id}`)).json()) as ConfigJson;
  }

  /** Waits until a scan newer than `after` has finished. */
  async scanned(id: string, after: string | null = null, timeoutMs = 30_000): Promise<ConfigJson> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const config = await this.config(id);
      if (['COMPLETE', 'PARTIAL', 'FAILED'].includes(config.status) && config.lastScan !== after) return config;
      if (Date.now() > deadline) throw new Error(`scan of ${id} did not finish: ${JSON.stringify(config)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async findings(id: string): Promise<FindingJson[]> {
    const response = await fetch(`${this.url}/findings/${id}?format=json&limit=1000`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { findings: FindingJson[] }).findings;
  }

  async summaryImages(id: string): Promise<SummaryImage[]> {
    const summary = (await (await fetch(`${this.url}/summary?format=json`)).json()) as { configs: { id: string; images: SummaryImage[] }[] };
    return summary.configs.find((config) => config.id === id)?.images ?? [];
  }
}

function essentials(findings: readonly FindingJson[], tag?: string): ExpectedFinding[] {
  return findings
    .filter((finding) => tag === undefined || finding.tag === tag)
    .map(({ name, package: pkg, version, fixedVersion, severity }) => ({ name, package: pkg, version, fixedVersion, severity }))
    .sort((a, b) => a.package.localeCompare(b.package) || a.name.localeCompare(b.name));
}

interface TestImages {
  current: BuiltImage;
  older: BuiltImage;
}

describe('the built-in scanner in the service', { skip: !installed && 'docker-registry not installed' }, () => {
  let registry: RegistryServer;
  let proxy: CountingProxy;
  let dir: string;
  let images: TestImages;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecrscan-builtin-'));
    registry = await startRegistry();
    proxy = await startCountingProxy(registry);
    images = await pushTestImages({ url: registry.url });
  });

  after(async () => {
    await proxy?.close();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Every image the cases scan, pushed straight to the registry (the proxy counts only the service's traffic). */
  async function pushTestImages(target: PushTarget): Promise<TestImages> {
    const status = await readFile(join(DEBIAN_FIXTURES, 'dpkg-status'), 'utf8');
    const olderStatus = rewriteStatus(status, DEBIAN_12_VERSIONS_BELOW_FIXES);
    const debianImage = async (text: string): Promise<BuiltImage> => buildImage([await buildLayer([...DEBIAN_BASE, { path: 'var/lib/dpkg/status', content: text }])]);

    const current = await debianImage(status);
    const older = await debianImage(olderStatus);
    await pushImage(target, 'debian/app', 'current', current);
    await pushImage(target, 'debian/app', 'older', older);
    await pushImage(target, 'debian/app', 'older-again', older);

    const alpine = buildImage([
      await buildLayer([
        { path: 'etc/os-release', content: ALPINE_319_OS_RELEASE },
        { path: 'lib/apk/db/installed', content: ALPINE_INSTALLED },
      ]),
    ]);
    await pushImage(target, 'alpine/app', '3.19', alpine);

    // `dpkg --purge openssl tar` in a later layer: dpkg rewrites its status without them, and
    // the layer deletes their files from the ones below.
    const base = await buildLayer([...DEBIAN_BASE, { path: 'var/lib/dpkg/status', content: olderStatus }, { path: 'usr/bin/openssl', content: 'ELF' }, { path: 'bin/tar', content: 'ELF' }]);
    const purge = await buildLayer([
      { path: 'var/lib/dpkg/status', content: withoutPackages(olderStatus, ['openssl', 'tar']) },
      { path: 'usr/bin/.wh.openssl', content: '' },
      { path: 'bin/.wh.tar', content: '' },
    ]);
    await pushImage(target, 'layered/app', 'slim', buildImage([base, purge]));

    // The same packages as an arm64 system lists them, older there than on amd64.
    const arm64 = buildImage([await buildLayer([...DEBIAN_BASE, { path: 'var/lib/dpkg/status', content: rewriteStatus(olderStatus, {}, 'arm64') }])], {
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    await pushIndex(target, 'multi/app', 'latest', buildIndex([current, arm64]), [current, arm64]);

    const rpmdb = rpmInstalled ? await emptyRpmDatabase() : Buffer.from('SQLite format 3\0');
    const fedora = buildImage([await buildLayer([{ path: 'etc/os-release', content: FEDORA_39_OS_RELEASE }, { path: 'var/lib/rpm/rpmdb.sqlite', content: rpmdb }])]);
    await pushImage(target, 'fedora/app', '39', fedora);

    await pushImage(target, 'mixed/app', 'current', current);
    const traversal = buildImage([await buildLayer([...DEBIAN_BASE, { path: 'var/lib/dpkg/status', content: status }, { path: '../../../../tmp/escaped', content: 'pwned' }])]);
    await pushImage(target, 'mixed/app', 'traversal', traversal);
    return { current, older };
  }

  /** A real, empty RPM database as `rpm --initdb` writes it (Fedora's sqlite backend). */
  async function emptyRpmDatabase(): Promise<Buffer> {
    const dbpath = join(dir, 'rpmdb');
    const result = spawnSync('rpm', ['--dbpath', dbpath, '--initdb'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    return readFile(join(dbpath, 'rpmdb.sqlite'));
  }

  for (const dialect of dialects) {
    describe(`on ${dialect.name}`, () => {
      const context = {} as ScenarioContext;
      before(async () => {
        const databaseUrl = dialect.name === 'sqlite' ? join(dir, 'service.sqlite') : await dialect.createDatabase();
        const server = await startServer([], {
          DATABASE_URL: databaseUrl,
          ECRSCAN_INSECURE_REGISTRIES: proxy.host,
          ECRSCAN_OSV_SOURCES: `${DEBIAN_FIXTURES},${ALPINE_RECORD}`,
          DOCKER_CONFIG: join(dir, 'docker-config'),
        });
        Object.assign(context, { server, api: new Api(server.url), proxy, images });
      });
      after(() => context.server?.stop());
      scenarios(context);
    });
  }
});

interface ScenarioContext {
  server: ServerProcess;
  api: Api;
  proxy: CountingProxy;
  images: TestImages;
}

/** The cases, run in order against one service process; `context` is filled in by the suite's `before`. */
function scenarios(context: ScenarioContext): void {
  const use = () => ({ ...context, registry: context.proxy.host });

  it('(a) an older Debian 12 image shows exactly the CVEs its packages’ changelogs fixed later', async () => {
    const { api, registry, images, proxy } = use();
    const blobGets = proxy.blobGets();
    const id = await api.register({ registry, repository: 'debian/app', tags: ['older'] });
    const config = await api.scanned(id);
    assert.equal(config.status, 'COMPLETE');
    assert.equal(proxy.blobGets() - blobGets, images.older.layers.length, 'a first scan downloads each layer once');
    assert.deepEqual(config.images, [{ repository: 'debian/app', tag: 'older', digest: images.older.manifest.digest, status: 'COMPLETE', error: null }]);
    const findings = await api.findings(id);
    assert.deepEqual(essentials(findings), OLDER_FINDINGS);
    assert.deepEqual([...new Set(findings.map((finding) => finding.path))], ['var/lib/dpkg/status'], 'each finding names the file its package came from');
    const cmsOverflow = findings.find((finding) => finding.name === 'CVE-2025-15467' && finding.package === 'libssl3');
    assert.equal(cmsOverflow?.uri, 'https://security-tracker.debian.org/tracker/CVE-2025-15467');
    assert.deepEqual(cmsOverflow?.aliases, ['DEBIAN-CVE-2025-15467']);
    assert.match(cmsOverflow?.description ?? '', /^Stack buffer overflow in CMS AuthEnvelopedData parsing/);
    assert.equal(cmsOverflow?.cvss, null);
  });

  it('(b) the same packages at their current versions: no findings, COMPLETE', async () => {
    const { api, registry, images } = use();
    const id = await api.register({ registry, repository: 'debian/app', tags: ['current'] });
    const config = await api.scanned(id);
    assert.equal(config.status, 'COMPLETE');
    assert.deepEqual(config.images, [{ repository: 'debian/app', tag: 'current', digest: images.current.manifest.digest, status: 'COMPLETE', error: null }]);
    assert.deepEqual(await api.findings(id), []);
    const [image] = await api.summaryImages(id);
    assert.equal(image?.error, null);
  });

  it('lists tags by glob, each tag of a shared digest, and reports configured tags that do not exist', async () => {
    const { api, registry, images } = use();
    const id = await api.register({ registry, repository: 'debian/app', tags: ['older*', 'no-such-tag'] });
    const config = await api.scanned(id);
    assert.equal(config.status, 'PARTIAL');
    assert.deepEqual(
      [...config.images].sort((a, b) => a.tag.localeCompare(b.tag)),
      [
        { repository: 'debian/app', tag: 'no-such-tag', digest: null, status: 'NOT_FOUND', error: 'tag no-such-tag does not exist in debian/app' },
        { repository: 'debian/app', tag: 'older', digest: images.older.manifest.digest, status: 'COMPLETE', error: null },
        { repository: 'debian/app', tag: 'older-again', digest: images.older.manifest.digest, status: 'COMPLETE', error: null },
      ],
    );
    const findings = await api.findings(id);
    assert.deepEqual(essentials(findings, 'older'), OLDER_FINDINGS);
    assert.deepEqual(essentials(findings, 'older-again'), OLDER_FINDINGS);

    const every = await api.register({ registry, repository: 'debian/app' });
    const all = await api.scanned(every);
    assert.equal(all.status, 'COMPLETE');
    assert.deepEqual(all.images.map((image) => image.tag).sort(), ['current', 'older', 'older-again']);
  });

  it('(c) an Alpine image is read from its apk database', async () => {
    const { api, registry } = use();
    const id = await api.register({ registry, repository: 'alpine/app', tags: ['3.19'] });
    assert.equal((await api.scanned(id)).status, 'COMPLETE');
    const findings = await api.findings(id);
    assert.deepEqual(essentials(findings), ALPINE_FINDINGS);
    assert.deepEqual(findings[0]?.cvss, { score: 7, vector: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H' });
  });

  it('(d) packages a later layer removes have no findings', async () => {
    const { api, registry } = use();
    const id = await api.register({ registry, repository: 'layered/app', tags: ['slim'] });
    assert.equal((await api.scanned(id)).status, 'COMPLETE');
    const remaining = OLDER_FINDINGS.filter((finding) => finding.package !== 'openssl' && finding.package !== 'tar');
    assert.equal(remaining.length, 5);
    assert.deepEqual(essentials(await api.findings(id)), remaining);
  });

  it('(e) an image index is scanned for the configured platform', async () => {
    const { api, registry } = use();
    const arm = await api.register({ registry, repository: 'multi/app', tags: ['latest'], platform: 'linux/arm64' });
    const amd = await api.register({ registry, repository: 'multi/app', tags: ['latest'] });
    assert.equal((await api.scanned(arm)).status, 'COMPLETE');
    assert.equal((await api.scanned(amd)).status, 'COMPLETE');
    assert.deepEqual(essentials(await api.findings(arm)), OLDER_FINDINGS);
    assert.deepEqual(await api.findings(amd), [], 'linux/amd64, the default, holds the current packages');
  });

  it('(f) an image of a distribution without advisories is NO_ADVISORY_SOURCE with a readable error, never clean', async () => {
    const { api, registry } = use();
    const id = await api.register({ registry, repository: 'fedora/app', tags: ['39'] });
    const config = await api.scanned(id);
    assert.equal(config.status, 'PARTIAL');
    assert.match(config.lastError ?? '', /^1 of 1 images not fully scanned; tag 39: no advisory source for Fedora 39/);
    assert.equal(config.images[0]?.status, 'NO_ADVISORY_SOURCE');
    const [image] = await api.summaryImages(id);
    assert.match(image?.error ?? '', /^no advisory source for Fedora 39: its \d+ packages \(var\/lib\/rpm\/rpmdb\.sqlite\) are inventoried but not matched$/);
    assert.deepEqual(await api.findings(id), []);
    const text = await (await fetch(`${api.url}/summary?format=text`)).text();
    assert.match(text, /Results for fedora\/app:39 in [^\n]+:\n NO_ADVISORY_SOURCE: no advisory source for Fedora 39/, 'the summary never shows it as clean');
  });

  it('(g) a rescan of an unchanged image downloads no blob and keeps its findings and their firstSeen', async () => {
    const { api, registry, proxy } = use();
    const id = await api.register({ registry, repository: 'debian/app', tags: ['older'] });
    const first = await api.scanned(id);
    const before = await api.findings(id);
    assert.deepEqual(essentials(before), OLDER_FINDINGS);
    const blobGets = proxy.blobGets();
    const response = await fetch(`${api.url}/configs/${id}/scan`, { method: 'POST' });
    assert.equal(response.status, 202);
    const second = await api.scanned(id, first.lastScan);
    assert.equal(second.status, 'COMPLETE');
    assert.equal(proxy.blobGets() - blobGets, 0, 'the stored inventory is matched again; no layer is downloaded');
    const afterwards = await api.findings(id);
    assert.deepEqual(essentials(afterwards), OLDER_FINDINGS);
    const firstSeen = (findings: FindingJson[]) => new Map(findings.map((finding) => [`${finding.package} ${finding.name}`, finding.firstSeen]));
    assert.deepEqual(firstSeen(afterwards), firstSeen(before));
    for (const finding of afterwards) assert.ok(finding.lastSeen >= finding.firstSeen);
  });

  it('(h) a hostile image fails alone; the other images of its configuration complete', async () => {
    const { api, registry } = use();
    const id = await api.register({ registry, repository: 'mixed/app', tags: ['current', 'traversal'] });
    const config = await api.scanned(id);
    assert.equal(config.status, 'PARTIAL');
    const byTag = new Map((await api.summaryImages(id)).map((image) => [image.tag, image]));
    assert.equal(byTag.get('current')?.status, 'COMPLETE');
    assert.equal(byTag.get('traversal')?.status, 'FAILED');
    assert.match(byTag.get('traversal')?.error ?? '', /climbs out of the image root/);
  });
}
