import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalyserError } from '../analyser.js';
import { RPM_TYPE, RPMTAG, parseRpmHeader, parseSourceRpm } from './rpm-header.js';
import { buildRpmHeaderBlob, packageHeaderBlob } from './rpm-header-blob.js';

const OPENSSL_LIBS = { name: 'openssl-libs', epoch: 1, version: '3.0.7', release: '16.el9_2', arch: 'x86_64', sourceRpm: 'openssl-3.0.7-16.el9_2.src.rpm' };

function rejects(blob: Buffer, reason: RegExp): void {
  assert.throws(
    () => parseRpmHeader(blob, 'rpmdb.sqlite, package 7,'),
    (err: unknown) => err instanceof AnalyserError && /^rpmdb\.sqlite, package 7, is a corrupt RPM header: /.test(err.message) && reason.test(err.message),
  );
}

/** A copy of `blob` with the 32-bit big-endian value at `at` replaced. */
function patched(blob: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(blob);
  copy.writeUInt32BE(value >>> 0, at);
  return copy;
}

describe('RPM header blobs', () => {
  it('reads name, epoch, version, release, arch and source RPM', () => {
    assert.deepEqual(parseRpmHeader(packageHeaderBlob(OPENSSL_LIBS), 'x'), { ...OPENSSL_LIBS, files: [] });
    const withFiles = { ...OPENSSL_LIBS, files: ['/usr/lib64/libssl.so.3', '/usr/lib64/libcrypto.so.3', '/etc/pki/tls/openssl.cnf'] };
    assert.deepEqual(parseRpmHeader(packageHeaderBlob(withFiles), 'x').files, ['usr/lib64/libssl.so.3', 'usr/lib64/libcrypto.so.3', 'etc/pki/tls/openssl.cnf']);
  });

  it('reports a missing epoch as null and a missing source RPM or arch as null', () => {
    const blob = buildRpmHeaderBlob([
      { tag: RPMTAG.name, string: 'gpg-pubkey' },
      { tag: RPMTAG.version, string: 'fd431d51' },
      { tag: RPMTAG.release, string: '4ae0493b' },
    ]);
    assert.deepEqual(parseRpmHeader(blob, 'x'), { name: 'gpg-pubkey', epoch: null, version: 'fd431d51', release: '4ae0493b', arch: null, sourceRpm: null, files: [] });
  });

  it('skips tags it does not read, of every type, and keeps the first of a repeated tag', () => {
    const blob = buildRpmHeaderBlob([
      { tag: 63, type: RPM_TYPE.bin, raw: Buffer.alloc(16), count: 16 },
      { tag: RPMTAG.name, string: 'bash' },
      { tag: 1004, type: RPM_TYPE.i18nString, raw: Buffer.from('The GNU Bourne Again shell\0'), count: 1 },
      { tag: RPMTAG.version, string: '5.1.8' },
      { tag: RPMTAG.release, string: '6.el9_1' },
      { tag: RPMTAG.name, string: 'ignored' },
      { tag: 1047, type: RPM_TYPE.stringArray, raw: Buffer.from('bash\0sh\0'), count: 2 },
    ]);
    assert.equal(parseRpmHeader(blob, 'x').name, 'bash');
  });

  it('fails blobs too short for their counts, or whose counts do not add up', () => {
    rejects(Buffer.alloc(4), /4 bytes, shorter than its two counts/);
    const blob = packageHeaderBlob(OPENSSL_LIBS);
    rejects(blob.subarray(0, blob.length - 1), /but 8 \+ 16 × 6 entries \+ \d+ bytes of data make/);
    rejects(Buffer.concat([blob, Buffer.alloc(3)]), /bytes, but 8 \+ 16/);
    rejects(patched(blob, 0, 0), /0 index entries/);
    rejects(patched(blob, 0, 0x7fffffff), /2147483647 index entries/);
    rejects(patched(blob, 4, 0xffffffff), /4294967295 bytes of data/);
  });

  it('fails index entries of unknown type, outside the data, misaligned or overrunning', () => {
    const blob = packageHeaderBlob(OPENSSL_LIBS);
    const entry = (index: number, field: number): number => 8 + index * 16 + field;
    rejects(patched(blob, entry(0, 4), 42), /tag 1000 has the unknown type 42/);
    rejects(patched(blob, entry(1, 8), 0xfffffff0), /tag 1001 points outside the data \(offset -16/);
    rejects(patched(blob, entry(1, 8), 100_000), /tag 1001 points outside the data/);
    rejects(patched(blob, entry(0, 12), 0), /tag 1000 has the impossible count 0/);
    rejects(patched(blob, entry(3, 8), 2), /tag 1003 is not aligned to 4 bytes/);
    rejects(patched(blob, entry(3, 12), 1000), /tag 1003 (has the impossible count|runs past the end)/);
  });

  it('fails strings that run past the data and tags of the wrong type', () => {
    const unterminated = buildRpmHeaderBlob([
      { tag: RPMTAG.version, string: '1' },
      { tag: RPMTAG.release, string: '1' },
      { tag: RPMTAG.name, type: RPM_TYPE.string, raw: Buffer.from('no-nul'), count: 1 },
    ]);
    rejects(unterminated, /tag 1000: its string runs past the end of the data/);
    const numericName = buildRpmHeaderBlob([{ tag: RPMTAG.name, int32: 7 }]);
    rejects(numericName, /tag 1000 should be a string but has type 4/);
    const textEpoch = buildRpmHeaderBlob([{ tag: RPMTAG.name, string: 'a' }, { tag: RPMTAG.version, string: '1' }, { tag: RPMTAG.release, string: '1' }, { tag: RPMTAG.epoch, string: '1' }]);
    rejects(textEpoch, /tag 1003 should be a 32-bit integer but has type 6/);
  });

  it('fails headers without a name, version or release, or with unprintable ones', () => {
    rejects(buildRpmHeaderBlob([{ tag: RPMTAG.version, string: '1' }, { tag: RPMTAG.release, string: '1' }]), /it has no name/);
    rejects(buildRpmHeaderBlob([{ tag: RPMTAG.name, string: 'a' }, { tag: RPMTAG.release, string: '1' }]), /it has no version/);
    rejects(buildRpmHeaderBlob([{ tag: RPMTAG.name, string: 'a b' }, { tag: RPMTAG.version, string: '1' }, { tag: RPMTAG.release, string: '1' }]), /its name "a b" is not a printable token/);
  });

  it('survives random corruption of every byte without throwing anything but a clear error', () => {
    const blob = packageHeaderBlob(OPENSSL_LIBS);
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 3000; round++) {
      const copy = Buffer.from(blob);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      try {
        const parsed = parseRpmHeader(copy, 'x');
        assert.equal(typeof parsed.name, 'string');
      } catch (err) {
        assert.ok(err instanceof AnalyserError, String(err));
      }
    }
  });
});

describe('source RPM file names', () => {
  it('split into name, version and release', () => {
    assert.deepEqual(parseSourceRpm('openssl-3.0.7-16.el9_2.src.rpm'), { name: 'openssl', version: '3.0.7', release: '16.el9_2' });
    assert.deepEqual(parseSourceRpm('python-urllib3-1.26.5-3.el9.src.rpm'), { name: 'python-urllib3', version: '1.26.5', release: '3.el9' });
    assert.deepEqual(parseSourceRpm('kernel-5.14.0-427.13.1.el9_4.nosrc.rpm'), { name: 'kernel', version: '5.14.0', release: '427.13.1.el9_4' });
    assert.equal(parseSourceRpm('(none)'), null);
    assert.equal(parseSourceRpm('openssl.src.rpm'), null);
  });
});
