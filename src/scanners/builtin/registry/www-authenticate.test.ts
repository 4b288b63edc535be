import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWwwAuthenticate } from './www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it('reads a bearer challenge as the reference registry sends it', () => {
    const header = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull"';
    assert.deepEqual(parseWwwAuthenticate(header), [
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/debian:pull' },
      },
    ]);
  });

  it('keeps commas and escaped quotes inside quoted values, and reads error parameters', () => {
    const header = 'Bearer realm="https://t.example/token",scope="repository:a:pull,push",error="insufficient_scope",error_description="say \\"hi\\""';
    const [challenge] = parseWwwAuthenticate(header);
    assert.equal(challenge?.params.scope, 'repository:a:pull,push');
    assert.equal(challenge?.params.error, 'insufficient_scope');
    assert.equal(challenge?.params.error_description, 'say "hi"');
  });

  it('separates several challenges and lower-cases schemes and parameter names', () => {
    const challenges = parseWwwAuthenticate('Basic realm="ECR", BEARER Realm=https://t.example/token , Service=reg');
    assert.deepEqual(challenges, [
      { scheme: 'basic', params: { realm: 'ECR' } },
      { scheme: 'bearer', params: { realm: 'https://t.example/token', service: 'reg' } },
    ]);
  });

  it('accepts spaces around "=" and a bare scheme', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm = "x"'), [{ scheme: 'basic', params: { realm: 'x' } }]);
    assert.deepEqual(parseWwwAuthenticate('Negotiate'), [{ scheme: 'negotiate', params: {} }]);
  });

  it('returns nothing for empty or garbage headers and never loops on them', () => {
    assert.deepEqual(parseWwwAuthenticate(''), []);
    assert.deepEqual(parseWwwAuthenticate('  ,, '), []);
    const odd = parseWwwAuthenticate('Bearer realm="unterminated');
    assert.equal(odd[0]?.params.realm, 'unterminated');
    assert.ok(Array.isArray(parseWwwAuthenticate('Bearer realm==="x",,=,"')));
  });
});
