import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CliError } from '../cli-error.js';
import { parseImageReference } from './image-reference.js';

it('reads image names as docker pull does', () => {
  const digest = `sha256:${'0'.repeat(64)}`;
  const cases: [string, string, string, string | null, string | null][] = [
    ['alpine', 'docker.io', 'library/alpine', 'latest', null],
    ['bitnami/redis:7.2', 'docker.io', 'bitnami/redis', '7.2', null],
    ['ghcr.io/acme/api:1.4', 'ghcr.io', 'acme/api', '1.4', null],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000', 'team/app', 'latest', null],
    ['localhost/app:dev', 'localhost', 'app', 'dev', null],
    [`registry.local:5000/app@${digest}`, 'registry.local:5000', 'app', null, digest],
    [`Registry.Local/app:1@${digest}`, 'registry.local', 'app', '1', digest],
  ];
  for (const [text, registry, repository, tag, wantedDigest] of cases) {
    const ref = parseImageReference(text);
    assert.deepEqual([ref.registry, ref.repository, ref.tag, ref.digest], [registry, repository, tag, wantedDigest], text);
  }
  assert.equal(parseImageReference('alpine').display, 'docker.io/library/alpine:latest');
});

it('refuses what is not an image reference, as a usage error', () => {
  for (const text of ['', 'Upper/Case', 'app:bad tag', 'app@sha256:short', 'app@md5:00', 'ghcr.io/', 'a//b']) {
    assert.throws(() => parseImageReference(text), (err: unknown) => err instanceof CliError && err.exitCode === 2, text);
  }
});
