import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { Suppression } from '../suppression.js';
import { suppressionsFromVex, VexDocumentError, vexFromSuppressions } from './openvex.js';
import { parseImageReference, parsePurl } from './purl.js';

async function fixture(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(new URL(`../../../test/fixtures/openvex/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

describe('OpenVEX import', () => {
  it('reads the specification\'s Spring Boot example as a not_affected suppression of the Maven package', async () => {
    const { suppressions, skipped } = suppressionsFromVex(await fixture('spring-boot-log4shell.json'));
    assert.deepEqual(skipped, []);
    assert.equal(suppressions.length, 1);
    const [suppression] = suppressions;
    assert.equal(suppression?.vulnerability, 'CVE-2021-44228');
    assert.equal(suppression?.package, 'org.springframework.boot:spring-boot');
    assert.equal(suppression?.status, 'not_affected');
    assert.equal(suppression?.justification, 'vulnerable_code_not_in_execute_path');
    assert.match(suppression?.reason ?? '', /^Spring Boot users are only affected/);
    assert.match(suppression?.id ?? '', /^vex-[0-9a-f]{32}$/);
  });

  it('turns fixed into a false positive per product, and keeps the later statement about the same product', async () => {
    const minimal = suppressionsFromVex(await fixture('minimal.json'));
    assert.deepEqual(minimal.suppressions.map((s) => [s.vulnerability, s.package, s.status]), [
      ['CVE-2023-12345', 'git', 'false_positive'],
    ]);
    // Two products that differ only in their qualifiers name the same package: one suppression.
    const first = suppressionsFromVex(await fixture('statement-inheritance-1.json'));
    assert.deepEqual(first.suppressions, []);
    assert.deepEqual(first.skipped, [{ statement: 0, reason: 'under_investigation: its findings stay open' }]);
    const second = suppressionsFromVex(await fixture('statement-inheritance-2.json'));
    assert.equal(second.suppressions.length, 1);
    assert.equal(second.suppressions[0]?.status, 'false_positive');
    assert.equal(second.skipped.length, 1);
  });

  it('refuses a document that breaks the schema, naming the statement', async () => {
    const document = await fixture('spring-boot-log4shell.json');
    const statements = document['statements'] as Array<Record<string, unknown>>;
    const bad = { ...document, statements: [statements[0], { vulnerability: { name: 'CVE-2024-0001' }, status: 'not_affected' }] };
    assert.throws(
      () => suppressionsFromVex(bad),
      (err: unknown) => err instanceof VexDocumentError && err.statement === 1 && /statement 1/.test(err.message),
    );
    assert.throws(
      () => suppressionsFromVex({ ...document, statements: [{ ...statements[0], products: [{ '@id': 'not a product' }] }] }),
      (err: unknown) => err instanceof VexDocumentError && err.statement === 0 && err.field === '/statements/0/products/0/@id',
    );
    assert.throws(() => suppressionsFromVex({ statements: [] }), (err: unknown) => err instanceof VexDocumentError && err.statement === null);
  });

  it('exports suppressions so that importing the export gives the same scopes and statuses back', () => {
    const base = { createdBy: null, createdAt: new Date(0), updatedAt: new Date(0), expiresAt: null, expiredAt: null, justification: null };
    const suppressions: Suppression[] = [
      { ...base, id: 'a', vulnerability: 'CVE-2024-1', package: 'openssl', configId: null, repository: 'team/*', tag: '1.*', status: 'accepted_risk', reason: 'behind the proxy' },
      { ...base, id: 'b', vulnerability: 'GHSA-xxxx-yyyy-zzzz', package: null, configId: 'cfg-1', repository: null, tag: null, status: 'not_affected', justification: 'component_not_present', reason: 'removed' },
      { ...base, id: 'c', vulnerability: 'CVE-2024-3', package: 'zlib', configId: null, repository: null, tag: null, status: 'false_positive', reason: 'wrong version read' },
      { ...base, id: 'd', vulnerability: 'CVE-2024-4', package: null, configId: null, repository: null, tag: null, status: 'will_not_fix', reason: 'end of life' },
    ];
    const document = vexFromSuppressions(suppressions, { author: 'test', tooling: 'test', now: new Date('2026-12-01T00:00:00Z') });
    const back = suppressionsFromVex(document);
    assert.deepEqual(back.skipped, []);
    const scoped = (s: Omit<Suppression, 'createdBy' | 'createdAt' | 'updatedAt' | 'expiredAt'>) => [s.vulnerability, s.package, s.configId, s.repository, s.tag, s.status, s.justification, s.reason];
    assert.deepEqual(back.suppressions.map(scoped), suppressions.map(scoped));
  });
});

describe('package URLs and image references', () => {
  it('reads type, namespace, name and qualifiers, and refuses what is not a purl', () => {
    const purl = parsePurl('pkg:oci/debian@sha256%3A244fd47e07d10?repository_url=docker.io/library/debian&arch=amd64&tag=bookworm');
    assert.equal(purl?.type, 'oci');
    assert.equal(purl?.name, 'debian');
    assert.equal(purl?.qualifiers.get('repository_url'), 'docker.io/library/debian');
    assert.equal(purl?.qualifiers.get('tag'), 'bookworm');
    assert.equal(parsePurl('pkg:npm/%40angular/core@1.0.0')?.namespace, '@angular');
    assert.equal(parsePurl('ghcr.io/team/api:1.0'), null);
    assert.equal(parsePurl('pkg:deb/debian/%E0%A4%A@1'), null);
  });

  it('reads image references with and without a registry host', () => {
    assert.deepEqual(parseImageReference('ghcr.io/team/api:1.0'), { repository: 'team/api', tag: '1.0' });
    assert.deepEqual(parseImageReference('127.0.0.1:5000/api'), { repository: 'api', tag: null });
    assert.deepEqual(parseImageReference('team/api@sha256:' + 'a'.repeat(64)), { repository: 'team/api', tag: null });
    assert.equal(parseImageReference('Team/API'), null);
  });
});
