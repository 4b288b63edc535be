import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { configurationTable } from '../src/config.js';
import { ERROR_CODES, type ErrorCode, problemType } from '../src/errors.js';

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');

it('documents every configuration option exactly as the option table says', () => {
  const documented = /<!-- configuration-table:start -->\n([\s\S]*?)\n<!-- configuration-table:end -->/.exec(readme)?.[1];
  assert.equal(documented, configurationTable(), 'regenerate the README section from configurationTable()');
});

it('documents every error code with its status', () => {
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    const name = problemType(code).replace('urn:ecrscan:problem:', '');
    assert.match(readme, new RegExp(`\\| \`${name}\` \\| ${ERROR_CODES[code].status} \\|`), `${code} is documented`);
  }
});

it('keeps the quick start commands', () => {
  assert.match(readme, /npm ci && npm start/);
  assert.match(readme, /npm test/);
});
