import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createInventoryCache, createInventoryReader } from '../src/scanners/builtin/inventory-cache.js';
import type { Inventory } from '../src/scanners/builtin/inventory.js';
import { openDatabase } from '../src/store/open-store.js';
import { databases } from './support/databases.js';
import { cycloneDxErrors, spdxErrors } from './support/export-validators.js';
import { createFakeClock } from './support/fake-clock.js';
import { finding } from './support/memory-scanner.js';
import { createTestService, type TestService } from './support/test-service.js';

/** `GET /images/{digest}/sbom` and `GET /configs/{id}/images/{tag}/sbom`: the kept inventory as CycloneDX and SPDX, on every dialect. */

const KEPT = `sha256:${'a'.repeat(64)}`;
const NOT_KEPT = `sha256:${'b'.repeat(64)}`;
const INVENTORY: Inventory = {
  os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  packages: [
    { ecosystem: 'Debian:12', name: 'libssl3', version: '3.0.15-1~deb12u1', sourceName: 'openssl', sourceVersion: '3.0.15-1~deb12u1', path: 'var/lib/dpkg/status' },
    { ecosystem: 'npm', name: 'lodash', version: '4.17.20', sourceName: null, sourceVersion: null, path: 'app/node_modules/lodash/package.json' },
  ],
  analysers: { dpkg: '1', npm: '1', 'os-release': '1' },
  unsupported: [],
  unsettled: [],
  advisoryGaps: [],
};

for (const dialect of await databases()) {
  describe(`SBOMs over HTTP (${dialect.name})`, () => {
    let service: TestService;
    let id: string;

    before(async () => {
      const { store, db } = await openDatabase(await dialect.createDatabase());
      await createInventoryCache(db, { clock: createFakeClock() }).put({ digest: KEPT, platform: 'linux/amd64', analysers: INVENTORY.analysers }, KEPT, INVENTORY);
      service = await createTestService(store, { inventories: createInventoryReader(db) });
      service.scanner.setRepository('team/app', {
        tags: { '1.0': KEPT, '2.0': NOT_KEPT },
        findings: { [KEPT]: [finding('CVE-2024-0001', 'HIGH')], [NOT_KEPT]: [] },
      });
      const created = await service.app.inject({
        method: 'POST',
        url: '/configs',
        headers: { 'content-type': 'application/json' },
        payload: { registry: 'registry.example.internal:5000', repository: 'team/app', tags: ['1.0', '2.0'] },
      });
      id = (created.json() as { id: string }).id;
      await service.scheduler.runDue();
    });
    after(() => service.close());

    it('CycloneDX by default: valid 1.6, the image as root, the OS and every package with its purl', async () => {
      const response = await service.app.inject({ method: 'GET', url: `/configs/${id}/images/1.0/sbom` });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'application/vnd.cyclonedx+json; charset=utf-8');
      assert.equal(await cycloneDxErrors(response.body), null);
      const bom = response.json() as { metadata: { component: { name: string; version: string; purl: string } }; components: { type: string; name: string; purl?: string }[] };
      assert.equal(bom.metadata.component.name, 'registry.example.internal:5000/team/app:1.0');
      assert.equal(bom.metadata.component.version, KEPT);
      assert.equal(bom.metadata.component.purl, `pkg:oci/app@${KEPT}?arch=amd64&repository_url=registry.example.internal:5000%2Fteam%2Fapp`);
      assert.deepEqual(bom.components.map((component) => [component.type, component.name, component.purl ?? null]).sort(), [
        ['library', 'libssl3', 'pkg:deb/debian/libssl3@3.0.15-1~deb12u1?distro=debian-12'],
        ['library', 'lodash', 'pkg:npm/lodash@4.17.20'],
        ['operating-system', 'debian', null],
      ]);
    });

    it('SPDX: valid 2.3, the image described, packages with purl and source', async () => {
      const response = await service.app.inject({ method: 'GET', url: `/images/${KEPT}/sbom?format=spdx` });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'application/spdx+json; charset=utf-8');
      const document = response.json() as { name: string; packages: { name: string; sourceInfo?: string; checksums?: { checksumValue: string }[] }[] };
      assert.deepEqual(spdxErrors(document), []);
      assert.equal(document.name, KEPT);
      assert.equal(document.packages[0]?.checksums?.[0]?.checksumValue, 'a'.repeat(64));
      assert.deepEqual(document.packages.map((pkg) => pkg.name).sort(), ['debian', 'libssl3', 'lodash', KEPT].sort());
      assert.equal(document.packages.find((pkg) => pkg.name === 'libssl3')?.sourceInfo, 'built package from: openssl 3.0.15-1~deb12u1');
    });

    it('no inventory kept, an unknown tag or configuration: a 404 problem', async () => {
      for (const url of [`/images/${NOT_KEPT}/sbom`, `/configs/${id}/images/2.0/sbom`, `/configs/${id}/images/9.9/sbom`, '/configs/4471c156-29f5-40fe-883b-3cd26738d5a6/images/1.0/sbom']) {
        const response = await service.app.inject({ method: 'GET', url });
        assert.equal(response.statusCode, 404, url);
        assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', url);
      }
    });

    it('a malformed digest or an unknown format: a 400 problem', async () => {
      for (const url of [`/images/sha256:zz/sbom`, `/images/${KEPT}/sbom?format=swid`]) {
        const response = await service.app.inject({ method: 'GET', url });
        assert.equal(response.statusCode, 400, url);
        assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', url);
      }
    });
  });
}
