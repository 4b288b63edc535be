import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { analyseImage, registryBlobs } from '../src/scanners/builtin/analysers/analyse-image.js';
import { AnalyserError } from '../src/scanners/builtin/analysers/analyser.js';
import { LayerError } from '../src/scanners/builtin/layers/layer-error.js';
import { createRegistryClient, type RegistryClient, type RepositoryRef } from '../src/scanners/builtin/registry/registry-client.js';
import { RegistryError } from '../src/scanners/builtin/registry/registry-error.js';
import {
  buildImage,
  buildIndex,
  buildLayer,
  pushImage,
  pushIndex,
  zstdAvailable,
  type BuiltImage,
  type Blob,
  type PushTarget,
} from './support/image-builder.js';
import {
  ALPINE_319_OS_RELEASE,
  ALPINE_INSTALLED,
  DEBIAN_12_OS_RELEASE,
  DEBIAN_STATUS,
  DEBIAN_STATUS_INSTALLED,
  FEDORA_39_OS_RELEASE,
  UBUNTU_2204_OS_RELEASE,
} from './support/package-fixtures.js';
import { findRegistryBinary, startRegistry, warnRegistryMissing, type RegistryServer } from './support/registry-server.js';

const installed = findRegistryBinary() !== null;
if (!installed) warnRegistryMissing('test/builtin-registry.test.ts');

const debianBase = [
  { path: 'usr/lib/os-release', content: DEBIAN_12_OS_RELEASE },
  { path: 'etc/os-release', symlink: '../usr/lib/os-release' },
];

describe('built-in scanner against the reference registry', { skip: !installed && 'docker-registry not installed' }, () => {
  let registry: RegistryServer;
  let target: PushTarget;
  let client: RegistryClient;
  const repo = (repository: string): RepositoryRef => ({ registry: registry.host, repository });
  const images: Record<string, BuiltImage> = {};
  const indexes: Record<string, Blob> = {};

  before(async () => {
    registry = await startRegistry();
    target = { url: registry.url };
    client = createRegistryClient({ insecureHosts: [registry.host], retry: { baseDelayMs: 10 } });

    const debianLayer = await buildLayer([...debianBase, { path: 'var/lib/dpkg/status', content: DEBIAN_STATUS }], { format: 'docker' });
    images.debian = buildImage([debianLayer], { format: 'docker' });
    await pushImage(target, 'debian/app', '12', images.debian);

    const alpineLayer = await buildLayer(
      [
        { path: 'etc/os-release', content: ALPINE_319_OS_RELEASE },
        { path: 'lib/apk/db/installed', content: ALPINE_INSTALLED },
      ],
      { compression: zstdAvailable() ? 'zstd' : 'gzip' },
    );
    images.alpineArm = buildImage([alpineLayer], { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    images.debianOci = buildImage([await buildLayer([...debianBase, { path: 'var/lib/dpkg/status', content: DEBIAN_STATUS }])]);
    indexes.multi = buildIndex([images.debianOci, images.alpineArm]);
    await pushIndex(target, 'multi/app', 'latest', indexes.multi, [images.debianOci, images.alpineArm]);
    images.ubuntu = buildImage(
      [await buildLayer([{ path: 'etc/os-release', content: UBUNTU_2204_OS_RELEASE }, { path: 'var/lib/dpkg/status', content: DEBIAN_STATUS_INSTALLED }], { format: 'docker' })],
      { format: 'docker' },
    );
    indexes.list = buildIndex([images.ubuntu, images.alpineArm], 'docker');
    await pushIndex(target, 'list/app', '1', indexes.list, [images.ubuntu, images.alpineArm]);

    await pushLayeredImages();
    await pushHostileImages();
    for (const tag of ['1.0', '1.1', '2.0', 'latest', 'edge']) await pushImage(target, 'pages/app', tag, images.debian);
  });

  /** Images whose later layers delete, replace or hide the package databases of earlier ones. */
  async function pushLayeredImages(): Promise<void> {
    const base = await buildLayer([
      ...debianBase,
      { path: 'var/lib/dpkg/status', content: DEBIAN_STATUS },
      { path: 'var/lib/dpkg/status.d/a', content: 'Package: a\nVersion: 1.0-1\n' },
      { path: 'var/lib/dpkg/status.d/b', content: 'Package: b\nVersion: 1.0-1\n' },
    ]);
    const removeAll = await buildLayer([
      { path: 'var/lib/dpkg/.wh.status', content: '' },
      { path: 'var/lib/dpkg/status.d/.wh..wh..opq', content: '' },
      { path: 'var/lib/dpkg/status.d/c', content: 'Package: c\nVersion: 3.0-1\n' },
    ]);
    const unrelated = await buildLayer([{ path: 'usr/share/doc/readme', content: 'later layer' }]);
    images.layered = buildImage([base, removeAll, unrelated]);
    await pushImage(target, 'layers/app', 'removed', images.layered);

    const replacement = await buildLayer([{ path: 'var/lib/dpkg/status', content: 'Package: libc6\nStatus: install ok installed\nSource: glibc\nVersion: 2.36-9+deb12u15\n' }]);
    images.replaced = buildImage([base, replacement]);
    await pushImage(target, 'layers/app', 'replaced', images.replaced, { chunkSize: 1000 });

    const wipeDirectory = await buildLayer([{ path: 'var/lib/.wh.dpkg', content: '' }]);
    images.wiped = buildImage([base, wipeDirectory]);
    await pushImage(target, 'layers/app', 'wiped', images.wiped);

    const distroless = await buildLayer([
      ...debianBase,
      { path: 'var/lib/dpkg/status.d/base-files', content: 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n' },
      { path: 'var/lib/dpkg/status.d/base-files.md5sums', content: 'd41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n' },
      { path: 'var/lib/dpkg/status.d/libssl3', content: 'Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n' },
    ]);
    images.distroless = buildImage([distroless]);
    await pushImage(target, 'distroless/base', 'nonroot', images.distroless);

    images.rpm = buildImage([await buildLayer([{ path: 'etc/os-release', content: FEDORA_39_OS_RELEASE }, { path: 'var/lib/rpm/rpmdb.sqlite', content: 'SQLite format 3\0' }])]);
    await pushImage(target, 'fedora/app', '39', images.rpm);
  }

  /** Layers built to break a scanner: path traversal, a bomb, a huge and a malformed database. */
  async function pushHostileImages(): Promise<void> {
    const os = { path: 'etc/os-release', content: DEBIAN_12_OS_RELEASE };
    images.traversal = buildImage([await buildLayer([os, { path: '../../../../tmp/escaped', content: 'pwned' }])]);
    await pushImage(target, 'hostile/app', 'traversal', images.traversal);
    images.absolute = buildImage([await buildLayer([os, { path: '/etc/cron.d/evil', content: '* * * * * root sh' }])]);
    await pushImage(target, 'hostile/app', 'absolute', images.absolute);
    images.bomb = buildImage([await buildLayer([os, { path: 'usr/share/bomb', zeros: 256 * 1024 * 1024 }])]);
    await pushImage(target, 'hostile/app', 'bomb', images.bomb);
    images.hugeDb = buildImage([await buildLayer([os, { path: 'var/lib/dpkg/status', zeros: 300 * 1024 * 1024 }])]);
    await pushImage(target, 'hostile/app', 'huge-db', images.hugeDb);
    images.badDb = buildImage([await buildLayer([os, { path: 'var/lib/dpkg/status', content: 'Package: libc6\nVersion: 2.36\n<<<binary junk>>>\n' }])]);
    await pushImage(target, 'hostile/app', 'bad-db', images.badDb);
  }

  after(async () => {
    await registry?.stop();
  });

  it('resolves a tag of a Docker schema 2 image and inventories its dpkg packages', async () => {
    const resolved = await client.resolveImage(repo('debian/app'), '12');
    assert.equal(resolved.digest, images.debian?.manifest.digest);
    assert.equal(resolved.manifestDigest, resolved.digest);
    assert.equal(resolved.manifestMediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(resolved.platform, null);
    assert.deepEqual(resolved.layers, images.debian?.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size })));
    const inventory = await analyseImage({ blobs: registryBlobs(client, repo('debian/app')), layers: resolved.layers });
    assert.equal(inventory.os?.prettyName, 'Debian GNU/Linux 12 (bookworm)', 'etc/os-release is a symlink into usr/lib');
    const libc = inventory.packages.find((p) => p.name === 'libc6');
    assert.deepEqual(libc, { ecosystem: 'Debian:12', name: 'libc6', version: '2.36-9+deb12u14', sourceName: 'glibc', sourceVersion: '2.36-9+deb12u14', path: 'var/lib/dpkg/status' });
    const bsdutils = inventory.packages.find((p) => p.name === 'bsdutils');
    assert.equal(bsdutils?.sourceVersion, '2.38.1-5+deb12u3');
    assert.equal(inventory.packages.length, 6, 'removed and purged packages are not listed');
    assert.deepEqual(inventory.unsupported, []);
  });

  it('resolves a tag to its digest with HEAD, and a digest to itself', async () => {
    assert.equal(await client.resolveDigest(repo('debian/app'), '12'), images.debian?.manifest.digest);
    assert.equal(await client.resolveDigest(repo('multi/app'), 'latest'), indexes.multi?.digest);
    const digest = images.debian?.manifest.digest ?? '';
    assert.equal(await client.resolveDigest(repo('debian/app'), digest), digest);
  });

  it('picks linux/amd64 from an OCI index by default, and linux/arm64 when asked', async () => {
    const amd64 = await client.resolveImage(repo('multi/app'), 'latest');
    assert.equal(amd64.digest, indexes.multi?.digest, 'the digest of what the tag points at');
    assert.equal(amd64.manifestDigest, images.debianOci?.manifest.digest);
    assert.deepEqual(amd64.platform, { os: 'linux', architecture: 'amd64' });
    const arm64 = await client.resolveImage(repo('multi/app'), 'latest', { os: 'linux', architecture: 'arm64' });
    assert.equal(arm64.manifestDigest, images.alpineArm?.manifest.digest);
    assert.deepEqual(arm64.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
    const inventory = await analyseImage({ blobs: registryBlobs(client, repo('multi/app')), layers: arm64.layers });
    assert.deepEqual(inventory.os, { id: 'alpine', versionId: '3.19.1', prettyName: 'Alpine Linux v3.19' });
    assert.deepEqual(
      inventory.packages.map((p) => `${p.ecosystem} ${p.name} ${p.version} ${p.sourceName}`),
      [
        'Alpine:v3.19 busybox 1.36.1-r15 busybox',
        'Alpine:v3.19 libcrypto3 3.1.4-r5 openssl',
        'Alpine:v3.19 libssl3 3.1.4-r5 openssl',
        'Alpine:v3.19 musl 1.2.4_git20230717-r4 musl',
        'Alpine:v3.19 zlib 1.3.1-r0 zlib',
      ],
    );
  });

  it('fails a platform the index lacks as unsupported, naming what it has', async () => {
    await assert.rejects(
      client.resolveImage(repo('multi/app'), 'latest', { os: 'linux', architecture: 's390x' }),
      (err: unknown) => err instanceof RegistryError && err.status === 'UNSUPPORTED_IMAGE' && /linux\/amd64, linux\/arm64\/v8/.test(err.message),
    );
  });

  it('reads a Docker manifest list and an Ubuntu LTS image', async () => {
    const resolved = await client.resolveImage(repo('list/app'), '1');
    assert.equal(resolved.digest, indexes.list?.digest);
    const inventory = await analyseImage({ blobs: registryBlobs(client, repo('list/app')), layers: resolved.layers });
    assert.ok(inventory.packages.length === 6 && inventory.packages.every((p) => p.ecosystem === 'Ubuntu:22.04:LTS'));
  });

  it('lists every tag of a repository, asking for pages', async () => {
    // distribution 2.8 answers all tags at once whatever `n` says; `Link` paging is
    // exercised against a registry that pages in builtin-registry-faults.test.ts.
    const paged = createRegistryClient({ insecureHosts: [registry.host], tagPageSize: 2 });
    assert.deepEqual((await paged.listTags(repo('pages/app'))).sort(), ['1.0', '1.1', '2.0', 'edge', 'latest']);
  });

  it('applies a later layer’s whiteout and opaque directory to the package databases', async () => {
    const resolved = await client.resolveImage(repo('layers/app'), 'removed');
    assert.equal(resolved.layers.length, 3);
    const inventory = await analyseImage({ blobs: registryBlobs(client, repo('layers/app')), layers: resolved.layers });
    assert.deepEqual(
      inventory.packages.map((p) => `${p.name} ${p.version} ${p.path}`),
      ['c 3.0-1 var/lib/dpkg/status.d/c'],
      'status deleted, status.d/a and b hidden by the opaque directory',
    );
  });

  it('sees a package database replaced by a later layer as the last layer leaves it', async () => {
    const resolved = await client.resolveImage(repo('layers/app'), 'replaced');
    const inventory = await analyseImage({ blobs: registryBlobs(client, repo('layers/app')), layers: resolved.layers });
    assert.deepEqual(
      inventory.packages.map((p) => `${p.name} ${p.version}`),
      ['a 1.0-1', 'b 1.0-1', 'libc6 2.36-9+deb12u15'],
    );
  });

  it('says so, not "clean", when a whiteout removed the whole dpkg directory', async () => {
    const resolved = await client.resolveImage(repo('layers/app'), 'wiped');
    const inventory = await analyseImage({ blobs: registryBlobs(client, repo('layers/app')), layers: resolved.layers });
    assert.deepEqual(inventory.packages, []);
    assert.deepEqual(inventory.unsupported, ['no package database found that an analyser reads']);
  });

  it('reads a distroless image’s status.d', async () => {
    const resolved = await client.resolveImage(repo('distroless/base'), 'nonroot');
    const inventory = await analyseImage({ blobs: registryBlobs(client, repo('distroless/base')), layers: resolved.layers });
    assert.deepEqual(
      inventory.packages.map((p) => `${p.name} ${p.version} ${p.sourceName}`),
      ['base-files 12.4+deb12u5 base-files', 'libssl3 3.0.11-1~deb12u2 openssl'],
    );
  });

  it('reports an RPM image whose database is unreadable as not analysed', async () => {
    const resolved = await client.resolveImage(repo('fedora/app'), '39');
    const inventory = await analyseImage({ blobs: registryBlobs(client, repo('fedora/app')), layers: resolved.layers });
    assert.equal(inventory.os?.id, 'fedora');
    assert.match(inventory.unsupported.join('\n'), /RPM packages are not reported: var\/lib\/rpm\/rpmdb\.sqlite is not a readable RPM SQLite database/);
  });

  it('refuses layers with names that climb out of the root or are absolute', async () => {
    for (const tag of ['traversal', 'absolute']) {
      const resolved = await client.resolveImage(repo('hostile/app'), tag);
      await assert.rejects(
        analyseImage({ blobs: registryBlobs(client, repo('hostile/app')), layers: resolved.layers }),
        (err: unknown) => err instanceof LayerError && err.kind === 'unsafe-path' && err.status === 'FAILED',
        tag,
      );
    }
  });

  it('stops a decompression bomb at the per-layer cap in bounded time and memory', async () => {
    const resolved = await client.resolveImage(repo('hostile/app'), 'bomb');
    assert.ok((resolved.layers[0]?.size ?? 0) < 2 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const started = Date.now();
    await assert.rejects(
      analyseImage({ blobs: registryBlobs(client, repo('hostile/app')), layers: resolved.layers, limits: { maxLayerBytes: 32 * 1024 * 1024 } }),
      (err: unknown) => err instanceof LayerError && err.kind === 'too-large' && /32 MiB allowed per layer/.test(err.message),
    );
    assert.ok(Date.now() - started < 5000);
    assert.ok(process.memoryUsage().rss - before < 128 * 1024 * 1024, 'the layer is streamed, not held');
  });

  it('fails only dpkg on a package database of hundreds of MiB with the default caps, in bounded time and memory', async () => {
    const resolved = await client.resolveImage(repo('hostile/app'), 'huge-db');
    const before = process.memoryUsage().rss;
    const inventory = await analyseImage({ blobs: registryBlobs(client, repo('hostile/app')), layers: resolved.layers });
    assert.ok(process.memoryUsage().rss - before < 128 * 1024 * 1024, 'the file is stepped over, not held');
    assert.equal(inventory.os?.id, 'debian');
    assert.deepEqual(inventory.packages, []);
    assert.deepEqual(inventory.unsupported, ['dpkg packages are not reported: var/lib/dpkg/status is 300 MiB, larger than the 64 MiB read per file']);
  });

  it('fails an image with a malformed package database instead of calling it clean', async () => {
    const resolved = await client.resolveImage(repo('hostile/app'), 'bad-db');
    await assert.rejects(
      analyseImage({ blobs: registryBlobs(client, repo('hostile/app')), layers: resolved.layers }),
      (err: unknown) => err instanceof AnalyserError && /var\/lib\/dpkg\/status is malformed: line 3/.test(err.message),
    );
  });

  it('reports a tag or repository that does not exist as not found', async () => {
    await assert.rejects(client.resolveImage(repo('debian/app'), 'nope'), (err: unknown) => err instanceof RegistryError && err.status === 'NOT_FOUND' && /MANIFEST_UNKNOWN/.test(err.message));
    await assert.rejects(client.listTags(repo('no/such-repo')), (err: unknown) => err instanceof RegistryError && err.kind === 'not-found' && /NAME_UNKNOWN/.test(err.message));
  });
});
