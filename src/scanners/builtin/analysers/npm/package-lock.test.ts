import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NpmFileProblem, cleanNpmVersion, isNpmPackageName } from './npm-package.js';
import { parseNpmLock } from './package-lock.js';

const pairs = (text: string) => parseNpmLock(text, 'app/package-lock.json').packages.map((p) => `${p.name}@${p.version}`);

// The shapes of docs.npmjs.com's "package-lock.json" page, as npm 6 (v1), 7–8 (v2) and 9+ (v3) write them.
const V1 = JSON.stringify({
  name: 'app',
  version: '1.0.0',
  lockfileVersion: 1,
  requires: true,
  dependencies: {
    minimist: { version: '1.2.5', resolved: 'https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz', integrity: 'sha512-x' },
    mkdirp: {
      version: '0.5.1',
      requires: { minimist: '0.0.8' },
      dependencies: { minimist: { version: '0.0.8' } },
    },
    '@babel/core': { version: '7.0.0', dev: true, dependencies: { semver: { version: '5.7.1', dev: true } } },
    'left-pad': { version: 'npm:pad-left@1.0.2' },
    'my-fork': { version: 'git+https://github.com/me/fork.git#0123456789abcdef' },
    local: { version: 'file:../local' },
  },
});

const V2 = JSON.stringify({
  name: 'app',
  version: '1.0.0',
  lockfileVersion: 2,
  requires: true,
  packages: {
    '': { name: 'app', version: '1.0.0', dependencies: { minimist: '^1.2.5' } },
    'node_modules/minimist': { version: '1.2.5' },
    'node_modules/mkdirp': { version: '0.5.1', dependencies: { minimist: '0.0.8' } },
    'node_modules/mkdirp/node_modules/minimist': { version: '0.0.8' },
    'node_modules/@isaacs/string-locale-compare': { version: '1.1.0' },
    'node_modules/typescript': { version: '5.4.5', dev: true },
    'node_modules/fsevents': { version: '2.3.3', optional: true },
    'node_modules/left-pad': { name: 'pad-left', version: '1.0.2' },
    'node_modules/workspace-a': { resolved: 'packages/a', link: true },
    'packages/a': { name: 'workspace-a', version: '0.0.1' },
  },
  dependencies: { ignored: { version: '9.9.9' } },
});

describe('package-lock.json', () => {
  it('version 1: walks the nested tree, keeps nested copies, follows aliases, skips dev and non-registry sources', () => {
    assert.deepEqual(pairs(V1).sort(), ['minimist@0.0.8', 'minimist@1.2.5', 'mkdirp@0.5.1', 'pad-left@1.0.2']);
  });

  it('version 2: reads the flat packages map, not the v1 copy beside it', () => {
    assert.deepEqual(pairs(V2).sort(), ['@isaacs/string-locale-compare@1.1.0', 'fsevents@2.3.3', 'minimist@0.0.8', 'minimist@1.2.5', 'mkdirp@0.5.1', 'pad-left@1.0.2']);
  });

  it('version 3: the flat map alone, with the same rules', () => {
    const v3 = JSON.parse(V2) as Record<string, unknown>;
    v3.lockfileVersion = 3;
    delete v3.dependencies;
    assert.deepEqual(pairs(JSON.stringify(v3)).sort(), pairs(V2).sort());
  });

  it('an empty project has no packages', () => {
    assert.deepEqual(pairs('{"lockfileVersion":3,"packages":{"":{"name":"app"}}}'), []);
    assert.deepEqual(pairs('{"lockfileVersion":1}'), []);
  });

  it('notes entries it leaves out and keeps the rest', () => {
    const text = JSON.stringify({
      lockfileVersion: 3,
      packages: {
        'node_modules/ok': { version: '1.0.0' },
        'node_modules/no-version': {},
        'node_modules/bad-version': { version: 'latest' },
        'node_modules/not-an-object': 7,
        'node_modules/bad name': { version: '1.0.0' },
      },
    });
    const result = parseNpmLock(text, 'app/package-lock.json');
    assert.deepEqual(result.packages, [{ name: 'ok', version: '1.0.0' }]);
    assert.deepEqual(
      result.problems.map((problem) => problem.message),
      [
        'app/package-lock.json, "node_modules/no-version": no-version has no version',
        'app/package-lock.json, "node_modules/bad-version": bad-version has the version "latest", which is not SemVer',
        'app/package-lock.json, "node_modules/not-an-object": the entry is not an object',
        'app/package-lock.json, "node_modules/bad name": the invalid package name "bad name"',
      ],
    );
  });

  it('fails a file that is not a lock file with the reason', () => {
    const fails = (text: string, reason: RegExp): void => {
      assert.throws(() => parseNpmLock(text, 'app/package-lock.json'), (err: unknown) => err instanceof NpmFileProblem && reason.test(err.message));
    };
    fails('{"lockfileVersion": 3, "packages": {', /^app\/package-lock\.json: not valid JSON/);
    fails('[1, 2]', /not a JSON object/);
    fails('{"lockfileVersion": 4, "packages": {}}', /lockfileVersion 4, not 1, 2 or 3/);
    fails('{"packages": {}}', /lockfileVersion is missing/);
    fails('{"lockfileVersion": 2, "packages": []}', /"packages" is not an object/);
    fails('{"lockfileVersion": 1, "dependencies": "x"}', /"dependencies" is not an object/);
  });

  it('refuses a v1 tree nested deeper than any npm writes, without recursion', () => {
    // Written as text: JSON.stringify itself recurses and would not get that deep.
    const depth = 50_000;
    const text = `{"lockfileVersion":1,"dependencies":${'{"a":{"version":"1.0.0","dependencies":'.repeat(depth)}{}${'}}'.repeat(depth)}}`;
    assert.throws(() => parseNpmLock(text, 'p'), /nested more than 128 deep/);
  });

  it('reads a lock of 100 000 packages in bounded time', () => {
    const packages: Record<string, unknown> = { '': { name: 'app' } };
    for (let i = 0; i < 100_000; i++) packages[`node_modules/p${i}`] = { version: `1.${i % 100}.0`, resolved: `https://registry.npmjs.org/p${i}/-/p${i}-1.0.0.tgz`, integrity: 'sha512-aaaa' };
    const text = JSON.stringify({ lockfileVersion: 3, packages });
    const started = performance.now();
    assert.equal(parseNpmLock(text, 'p').packages.length, 100_000);
    // A guard against quadratic work (minutes at this size), not a speed figure: those are in bench/.
    // Loose, because the whole suite may run on a loaded machine (6.7 s was seen there).
    assert.ok(performance.now() - started < 30_000);
  });
});

describe('npm names and versions', () => {
  it('accepts the names npm publishes, scoped and legacy upper-case ones included', () => {
    for (const name of ['lodash', '@babel/core', 'JSONStream', 'lodash.template', 'left-pad', '@types/node']) assert.equal(isNpmPackageName(name), true, name);
    for (const name of ['', 'a b', '@scope', '@/x', 'a/b', `x${'y'.repeat(214)}`, '@a/b/c']) assert.equal(isNpmPackageName(name), false, name);
  });

  it('cleans versions as node-semver does and refuses what is not SemVer', () => {
    assert.equal(cleanNpmVersion('v1.2.3'), '1.2.3');
    assert.equal(cleanNpmVersion(' 1.2.3-beta.1+build '), '1.2.3-beta.1+build');
    for (const version of ['1.2', 'latest', '^1.2.3', '1.2.3.4', '', '01.2.3', `1.2.${'9'.repeat(300)}`]) assert.equal(cleanNpmVersion(version), null, version);
    assert.equal(cleanNpmVersion('1.2.3\n'), '1.2.3');
    for (const version of ['0.0.0', '10.20.30', `1.2.${'9'.repeat(100)}`]) assert.equal(cleanNpmVersion(version), version);
  });
});
