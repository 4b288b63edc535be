import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { InstalledPackage, OsRelease } from '../scanners/builtin/inventory.js';
import { ociPurlOf } from './oci-purl.js';
import { formatPurl } from './purl-format.js';
import { purlOf, type PurlType } from './purl.js';

/**
 * purls against the purl specification's own test suite (test/fixtures/exports/purl-spec,
 * vendored from github.com/package-url/purl-spec) for every type we write: each of its
 * build cases must come out as the suite says. Its parse and round-trip cases are for
 * parsers; this service only writes purls, and every purl it writes is checked below.
 */

interface PurlComponents {
  type: string;
  namespace: string | null;
  name: string;
  version: string | null;
  qualifiers: Record<string, string> | null;
  subpath: string | null;
}

interface SpecCase {
  description: string;
  test_type: string;
  input: unknown;
  expected_output: unknown;
  expected_failure: boolean;
}

/** Every type we write: the package types, and `oci` for the image itself. */
const TYPES: readonly (PurlType | 'oci')[] = ['deb', 'apk', 'rpm', 'npm', 'pypi', 'oci'];

function buildCases(type: PurlType | 'oci'): { description: string; input: PurlComponents; expected: string }[] {
  const url = new URL(`../../test/fixtures/exports/purl-spec/${type}-test.json`, import.meta.url);
  const cases = (JSON.parse(readFileSync(url, 'utf8')) as { tests: SpecCase[] }).tests;
  return cases
    .filter((spec) => spec.test_type === 'build' && !spec.expected_failure)
    .map((spec) => ({ description: spec.description, input: spec.input as PurlComponents, expected: spec.expected_output as string }));
}

describe('purl specification test suite, for the types we write', () => {
  for (const type of TYPES) {
    const cases = buildCases(type);
    it(`${type}: ${cases.length} build cases`, () => {
      assert.ok(cases.length > 0);
      for (const spec of cases) assert.equal(formatPurl(spec.input), spec.expected, `${type}: ${spec.description}`);
    });
  }
});

function pkg(ecosystem: string, name: string, version: string, path: string): InstalledPackage {
  return { ecosystem, name, version, sourceName: null, sourceVersion: null, path };
}

const OS: Record<string, OsRelease> = {
  debian: { id: 'debian', versionId: '12', prettyName: null },
  alpine: { id: 'alpine', versionId: '3.19.1', prettyName: null },
  fedora: { id: 'fedora', versionId: '25', prettyName: null },
};

describe('the purls we write', () => {
  const written: [InstalledPackage, OsRelease | null, string][] = [
    [pkg('Debian:12', 'openssl', '3.0.15-1~deb12u1', 'var/lib/dpkg/status'), OS.debian ?? null, 'pkg:deb/debian/openssl@3.0.15-1~deb12u1?distro=debian-12'],
    // The suite's deb cases keep an epoch in the version, its `+` escaped.
    [pkg('Debian:12', 'attr', '1:2.4.47-2+b1', 'var/lib/dpkg/status.d/attr'), OS.debian ?? null, 'pkg:deb/debian/attr@1:2.4.47-2%2Bb1?distro=debian-12'],
    [pkg('Alpine:v3.19', 'curl', '7.83.0-r0', 'lib/apk/db/installed'), OS.alpine ?? null, 'pkg:apk/alpine/curl@7.83.0-r0?distro=alpine-3.19.1'],
    // As the suite's rpm case writes it: the epoch as a qualifier, qualifiers sorted.
    [pkg('Fedora:25', 'centerim', '1:4.22.10-1.el6', 'var/lib/rpm/Packages'), OS.fedora ?? null, 'pkg:rpm/fedora/centerim@4.22.10-1.el6?distro=fedora-25&epoch=1'],
    [pkg('npm', '@angular/animation', '12.3.1', 'srv/node_modules/@angular/animation/package.json'), null, 'pkg:npm/%40angular/animation@12.3.1'],
    [pkg('PyPI', 'Django_package', '1.11.1.dev1', 'usr/lib/python3/dist-packages/Django_package-1.11.1.dev1.dist-info/METADATA'), null, 'pkg:pypi/django-package@1.11.1.dev1'],
  ];
  for (const [installed, os, expected] of written) {
    it(`${installed.ecosystem} ${installed.name}: ${expected}`, () => {
      const purl = purlOf(installed, os);
      assert.equal(purl, expected);
    });
  }

  it('the image: oci, its digest as version, its repository as repository_url', () => {
    const purl = ociPurlOf({ name: 'docker.io/library/debian:latest', digest: 'sha256:244fd47e07d10', repository: 'docker.io/library/debian', platform: 'linux/amd64' });
    // The suite's own case, but for its `tag` qualifier, which we do not write.
    assert.equal(purl, 'pkg:oci/debian@sha256:244fd47e07d10?arch=amd64&repository_url=docker.io%2Flibrary%2Fdebian');
  });

  it('no purl for an OS package without a known distribution, nor for an unknown database', () => {
    assert.equal(purlOf(pkg('Debian:12', 'openssl', '3.0.15-1', 'var/lib/dpkg/status'), null), null);
    assert.equal(purlOf(pkg('Other', 'thing', '1', 'opt/thing/manifest'), OS.debian ?? null), null);
  });
});
