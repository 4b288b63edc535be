import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeLayers } from '../../layers/image-files.js';
import type { LayerEntry } from '../../layers/layer-reader.js';
import { createPathSelector } from '../../layers/path-selector.js';
import { PythonFileProblem, normalisePythonName, parseCoreMetadata } from './core-metadata.js';
import { pythonAnalyser } from './python-analyser.js';

function filesOf(entries: Record<string, string | Buffer>) {
  const selector = createPathSelector({ keep: pythonAnalyser.paths, note: [] });
  const map = new Map<string, LayerEntry>();
  for (const [path, value] of Object.entries(entries)) if (selector.interestIn(path) === 'keep') map.set(path, { kind: 'file', data: Buffer.from(value) });
  return mergeLayers([{ entries: map, whiteouts: [], opaqueDirs: [] }]);
}

// As pip writes it for a wheel: metadata 2.1 headers, a blank line, the description.
const METADATA = (name: string, version: string): string =>
  `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: HTTP library\nClassifier: Programming Language :: Python\nRequires-Dist: idna (<4,>=2.5)\nDescription-Content-Type: text/markdown\n\nVersion: 9.9.9 is in the description, not a field\n`;

function parse(text: string | Buffer) {
  return parseCoreMetadata(Buffer.isBuffer(text) ? text : Buffer.from(text), 'site-packages/x.dist-info/METADATA');
}

function problem(text: string | Buffer): string {
  try {
    parse(text);
  } catch (err) {
    assert.ok(err instanceof PythonFileProblem);
    return err.reason;
  }
  assert.fail('expected a problem');
}

describe('core metadata', () => {
  it('reads Name and Version from the header only, normalising both', () => {
    assert.deepEqual(parse(METADATA('Requests', '2.25.0')), { name: 'requests', version: '2.25.0' });
    assert.deepEqual(parse(METADATA('zope.interface', '5.4.0')), { name: 'zope-interface', version: '5.4.0' });
    assert.deepEqual(parse(METADATA('Foo__Bar-.baz', '1.0RC1')), { name: 'foo-bar-baz', version: '1.0rc1' });
    assert.deepEqual(parse('Metadata-Version: 1.0\r\nName: legacy\r\nVersion: 1.0-1\r\n\r\nbody'), { name: 'legacy', version: '1.0.post1' });
  });

  it('PEP 503 normalisation', () => {
    for (const [name, normal] of [['PyYAML', 'pyyaml'], ['Django', 'django'], ['ruamel.yaml', 'ruamel-yaml'], ['typing_extensions', 'typing-extensions'], ['A-_.-b', 'a-b']]) {
      assert.equal(normalisePythonName(name as string), normal);
    }
  });

  it('copes with odd encodings: a byte order mark, UTF-16, Latin-1 text', () => {
    assert.deepEqual(parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(METADATA('bom', '1.0'))])), { name: 'bom', version: '1.0' });
    assert.deepEqual(parse(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(METADATA('utf16', '2.0'), 'utf16le')])), { name: 'utf16', version: '2.0' });
    const be = Buffer.from(METADATA('utf16be', '3.0'), 'utf16le').swap16();
    assert.deepEqual(parse(Buffer.concat([Buffer.from([0xfe, 0xff]), be])), { name: 'utf16be', version: '3.0' });
    const latin1 = Buffer.from('Metadata-Version: 1.1\nName: caf\nVersion: 1.0\nAuthor: Fran\xe7ois\n\n', 'latin1');
    assert.deepEqual(parse(latin1), { name: 'caf', version: '1.0' });
  });

  it('says what is wrong with metadata it cannot use', () => {
    assert.equal(problem('Metadata-Version: 2.1\nVersion: 1.0\n'), 'it has no Name field');
    assert.equal(problem('Name: x\nSummary: y\n'), 'x has no Version field');
    assert.equal(problem('Name: x\nVersion: 2004d\n'), 'x has the version "2004d", which is not PEP 440');
    assert.equal(problem('Name: -bad-\nVersion: 1.0\n'), 'the invalid project name "-bad-"');
    assert.equal(problem(Buffer.from('Name: x\0y\nVersion: 1\n')), 'it holds NUL bytes, not text');
    assert.equal(problem(''), 'it has no Name field');
  });

  it('reads only to the end of the header, however long the description', () => {
    const text = `Name: big\nVersion: 1.0\n\n${'description line\n'.repeat(200_000)}`;
    const started = performance.now();
    assert.deepEqual(parse(text), { name: 'big', version: '1.0' });
    assert.ok(performance.now() - started < 500);
  });
});

describe('python analyser', () => {
  it('reports dist-info and egg-info distributions wherever they are installed, with their files', () => {
    const result = pythonAnalyser.analyse(
      filesOf({
        'usr/local/lib/python3.12/site-packages/requests-2.25.0.dist-info/METADATA': METADATA('requests', '2.25.0'),
        'usr/local/lib/python3.12/site-packages/requests-2.25.0.dist-info/RECORD': 'requests/__init__.py,,\n',
        'usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO': METADATA('PyYAML', '5.3.1'),
        'usr/lib/python3/dist-packages/six-1.16.0.egg-info': METADATA('six', '1.16.0'),
        'opt/venv/lib/python3.11/site-packages/pip/_vendor/vendored-1.0.dist-info/METADATA': METADATA('vendored', '1.0'),
        'srv/deps/py-1.11.0.dist-info/METADATA': METADATA('py', '1.11.0'),
      }),
      null,
    );
    assert.deepEqual(result.notes, []);
    assert.deepEqual(
      result.packages.map((p) => `${p.ecosystem} ${p.name} ${p.version} ${p.path}`).sort(),
      [
        'PyPI py 1.11.0 srv/deps/py-1.11.0.dist-info/METADATA',
        'PyPI pyyaml 5.3.1 usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO',
        'PyPI requests 2.25.0 usr/local/lib/python3.12/site-packages/requests-2.25.0.dist-info/METADATA',
        'PyPI six 1.16.0 usr/lib/python3/dist-packages/six-1.16.0.egg-info',
        'PyPI vendored 1.0 opt/venv/lib/python3.11/site-packages/pip/_vendor/vendored-1.0.dist-info/METADATA',
      ],
    );
  });

  it('notes a file it cannot read and reports the others', () => {
    const result = pythonAnalyser.analyse(
      filesOf({
        'site-packages/good-1.0.dist-info/METADATA': METADATA('good', '1.0'),
        'site-packages/bad-1.0.dist-info/METADATA': Buffer.from([0x4e, 0x61, 0x6d, 0x65, 0x3a, 0x00, 0x01]),
      }),
      null,
    );
    assert.deepEqual(result.packages.map((p) => p.name), ['good']);
    assert.deepEqual(result.notes, ['Python: site-packages/bad-1.0.dist-info/METADATA: it holds NUL bytes, not text (left out)']);
  });

  it('finds nothing in an image without Python distributions', () => {
    assert.deepEqual(pythonAnalyser.analyse(filesOf({ 'usr/lib/python3/os.py': '' }), null), { found: false, packages: [], notes: [] });
  });
});
