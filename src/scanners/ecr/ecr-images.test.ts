import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { selectImages } from './ecr-images.js';

const A = 'sha256:' + 'a'.repeat(64);
const B = 'sha256:' + 'b'.repeat(64);
const REPOSITORY = [
  { tag: 'latest', digest: A },
  { tag: '2.1', digest: A },
  { tag: '2.0', digest: B },
  { tag: '1.9', digest: B },
];

describe('selectImages', () => {
  test('without tags: every tag once, in tag order', () => {
    const listed = selectImages([...REPOSITORY, { tag: 'latest', digest: A }], null);
    assert.deepEqual(
      listed.images.map((i) => i.tag),
      ['1.9', '2.0', '2.1', 'latest'],
    );
    assert.deepEqual(listed.missingTags, []);
  });

  test('exact tags and globs; tags sharing a digest stay separate', () => {
    const listed = selectImages(REPOSITORY, ['latest', '2.*', 'latest-rc', '3.*']);
    assert.deepEqual(listed.images, [
      { tag: 'latest', digest: A },
      { tag: '2.1', digest: A },
      { tag: '2.0', digest: B },
    ]);
    assert.deepEqual(listed.missingTags, ['latest-rc'], 'a glob matching nothing is not missing');
  });

  test('an empty repository leaves every exact tag missing', () => {
    assert.deepEqual(selectImages([], ['1', '*']), { images: [], missingTags: ['1'] });
  });
});
