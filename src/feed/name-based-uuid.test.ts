import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameBasedUuid } from './name-based-uuid.js';

const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

describe('nameBasedUuid', () => {
  it('matches the well-known v5 value of www.example.com in the DNS namespace', () => {
    // The value every v5 implementation (Python's uuid.uuid5, the npm uuid package) produces.
    assert.equal(nameBasedUuid(DNS_NAMESPACE, 'www.example.com'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('accepts the namespace in upper case and sets version 5 and the RFC variant', () => {
    const id = nameBasedUuid(DNS_NAMESPACE.toUpperCase(), 'another name');
    assert.equal(id, nameBasedUuid(DNS_NAMESPACE, 'another name'));
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('hashes names as UTF-8', () => {
    assert.notEqual(nameBasedUuid(DNS_NAMESPACE, 'é'), nameBasedUuid(DNS_NAMESPACE, 'e\u0301'));
  });

  it('rejects a namespace that is not a UUID', () => {
    assert.throws(() => nameBasedUuid('not-a-uuid', 'x'), TypeError);
  });
});
