import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALPINE_319_OS_RELEASE, DEBIAN_12_OS_RELEASE, FEDORA_39_OS_RELEASE, UBUNTU_2204_OS_RELEASE } from '../../../../test/support/package-fixtures.js';
import { mergeLayers } from '../layers/image-files.js';
import type { LayerEntry } from '../layers/layer-reader.js';
import { ecosystemOf, parseOsReleaseFields, readOsRelease } from './os-release.js';

function filesOf(entries: Record<string, string | { link: string }>) {
  const map = new Map<string, LayerEntry>();
  for (const [path, value] of Object.entries(entries)) {
    map.set(path, typeof value === 'string' ? { kind: 'file', data: Buffer.from(value) } : { kind: 'symlink', target: value.link });
  }
  return mergeLayers([{ entries: map, whiteouts: [], opaqueDirs: [] }]);
}

describe('os-release', () => {
  it('parses quoted, unquoted and escaped values and skips comments', () => {
    const fields = parseOsReleaseFields('# comment\nID=debian\nPRETTY_NAME="Debian \\"GNU\\"/Linux"\nNAME=\'Single\'\n\nbad line\n');
    assert.equal(fields.get('ID'), 'debian');
    assert.equal(fields.get('PRETTY_NAME'), 'Debian "GNU"/Linux');
    assert.equal(fields.get('NAME'), 'Single');
  });

  it('follows etc/os-release when it is a symlink to usr/lib/os-release', () => {
    const os = readOsRelease(filesOf({ 'usr/lib/os-release': DEBIAN_12_OS_RELEASE, 'etc/os-release': { link: '../usr/lib/os-release' } }));
    assert.deepEqual(os, { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
  });

  it('prefers etc/os-release and falls back to usr/lib/os-release', () => {
    assert.equal(readOsRelease(filesOf({ 'etc/os-release': ALPINE_319_OS_RELEASE, 'usr/lib/os-release': DEBIAN_12_OS_RELEASE }))?.id, 'alpine');
    assert.equal(readOsRelease(filesOf({ 'usr/lib/os-release': UBUNTU_2204_OS_RELEASE }))?.id, 'ubuntu');
    assert.equal(readOsRelease(filesOf({})), null);
    assert.equal(readOsRelease(filesOf({ 'etc/os-release': 'ID="not an id!"\n' })), null);
  });

  it('derives Debian testing’s release from its codename', () => {
    const os = readOsRelease(filesOf({ 'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\nID=debian\n' }));
    assert.equal(os?.versionId, '13');
  });

  it('maps releases to OSV ecosystems as OSV spells them', () => {
    const ecosystem = (text: string): string | null => {
      const os = readOsRelease(filesOf({ 'etc/os-release': text }));
      return os ? ecosystemOf(os) : null;
    };
    assert.equal(ecosystem(DEBIAN_12_OS_RELEASE), 'Debian:12');
    assert.equal(ecosystem(UBUNTU_2204_OS_RELEASE), 'Ubuntu:22.04:LTS');
    assert.equal(ecosystem('ID=ubuntu\nVERSION_ID="23.10"\nPRETTY_NAME="Ubuntu 23.10"\n'), 'Ubuntu:23.10');
    assert.equal(ecosystem('ID=ubuntu\nVERSION_ID="24.04"\n'), 'Ubuntu:24.04:LTS', 'April releases of even years are LTS');
    assert.equal(ecosystem(ALPINE_319_OS_RELEASE), 'Alpine:v3.19');
    assert.equal(ecosystem('ID=wolfi\nVERSION_ID=20230201\n'), 'Wolfi');
    assert.equal(ecosystem(FEDORA_39_OS_RELEASE), null);
    assert.equal(ecosystem('ID=debian\n'), null, 'no release, no ecosystem');
  });
});
