import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALPINE_319_OS_RELEASE, DEBIAN_12_OS_RELEASE, FEDORA_39_OS_RELEASE, UBUNTU_2204_OS_RELEASE } from '../../../../test/support/package-fixtures.js';
import { mergeLayers } from '../layers/image-files.js';
import type { LayerEntry } from '../layers/layer-reader.js';
import { distributionOf, ecosystemOf, parseOsReleaseFields, readOsRelease } from './os-release.js';

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

  it('maps every distribution OSV covers, with its release naming', () => {
    const ecosystem = (text: string): string | null => {
      const os = readOsRelease(filesOf({ 'etc/os-release': text }));
      return os ? ecosystemOf(os) : null;
    };
    assert.equal(ecosystem('ID=rocky\nVERSION_ID="9.3"\n'), 'Rocky Linux:9');
    assert.equal(ecosystem('ID="almalinux"\nVERSION_ID="8.10"\n'), 'AlmaLinux:8');
    assert.equal(ecosystem('ID="rhel"\nVERSION_ID="9.4"\n'), 'Red Hat:enterprise_linux:9::baseos');
    assert.equal(ecosystem('ID=azurelinux\nVERSION_ID="3.0"\nPRETTY_NAME="Microsoft Azure Linux 3.0"\n'), 'Azure Linux:3');
    assert.equal(ecosystem('ID=photon\nVERSION_ID=5.0\nPRETTY_NAME="VMware Photon OS/Linux"\n'), 'Photon OS:5.0');
    assert.equal(ecosystem('ID="openEuler"\nVERSION_ID="22.03"\nPRETTY_NAME="openEuler 22.03 (LTS-SP1)"\n'), 'openEuler:22.03-LTS-SP1');
    assert.equal(ecosystem('ID="openEuler"\nVERSION_ID="24.03"\nPRETTY_NAME="openEuler 24.03 (LTS)"\n'), 'openEuler:24.03-LTS');
    assert.equal(ecosystem('ID="sles"\nVERSION_ID="15.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\n'), 'SUSE:Linux Enterprise Server 15 SP5');
    assert.equal(ecosystem('ID="opensuse-leap"\nVERSION_ID="15.5"\nPRETTY_NAME="openSUSE Leap 15.5"\n'), 'openSUSE:Leap 15.5');
    assert.equal(ecosystem('ID="opensuse-tumbleweed"\nVERSION_ID="20240101"\nPRETTY_NAME="openSUSE Tumbleweed"\n'), 'openSUSE:Tumbleweed');
    assert.equal(ecosystem('ID=mageia\nVERSION_ID=9\n'), 'Mageia:9');
    assert.equal(ecosystem('ID=alpaquita\nVERSION_ID=23\n'), 'Alpaquita:23');
    assert.equal(ecosystem('ID=alpaquita\nVERSION_ID=stream\n'), 'Alpaquita:stream');
    assert.equal(ecosystem('ID=chainguard\n'), 'Chainguard');
    assert.equal(ecosystem('ID=minimos\n'), 'MinimOS');
    assert.equal(ecosystem('ID=mariner\nVERSION_ID="2.0"\nPRETTY_NAME="CBL-Mariner/Linux"\n'), null, 'OSV has no CBL-Mariner data');
  });

  it('names a distribution without advisories for the image note, and gives its packages an ecosystem no advisory uses', () => {
    const of = (text: string) => distributionOf(readOsRelease(filesOf({ 'etc/os-release': text })));
    assert.deepEqual(of('ID=mariner\nVERSION_ID="2.0"\nPRETTY_NAME="CBL-Mariner/Linux"\n'), { ecosystem: 'CBL-Mariner:2.0', covered: false, label: 'CBL-Mariner 2.0' });
    assert.deepEqual(of('ID=amzn\nVERSION_ID="2023"\nPRETTY_NAME="Amazon Linux 2023.4.20240401"\n'), { ecosystem: 'Amazon Linux:2023', covered: false, label: 'Amazon Linux 2023' });
    assert.deepEqual(of(DEBIAN_12_OS_RELEASE), { ecosystem: 'Debian:12', covered: true, label: 'Debian GNU/Linux 12 (bookworm)' });
  });
});
