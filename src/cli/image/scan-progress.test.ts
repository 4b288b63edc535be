import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { it } from 'node:test';
import { terminalProgress } from './scan-progress.js';

function fakeTerminal(): { stream: NodeJS.WriteStream; written: () => string } {
  let written = '';
  const stream = { isTTY: true, columns: 80, write: (chunk: string) => ((written += chunk), true) } as unknown as NodeJS.WriteStream;
  return { stream, written: () => written };
}

it('counts layers and bytes as the blobs are read, passing their bytes through unchanged', async () => {
  const terminal = fakeTerminal();
  const progress = terminalProgress(terminal.stream);
  const blobs = progress.counting({ openBlob: async () => Readable.from([Buffer.alloc(1024 * 1024, 1), Buffer.alloc(1024 * 1024, 2)]) }, 1, 2 * 1024 * 1024);
  const stream = await blobs.openBlob('sha256:x', 2 * 1024 * 1024, new AbortController().signal);
  const content = await text(stream);
  assert.equal(content.length, 2 * 1024 * 1024);
  progress.packages(42);
  assert.match(terminal.written(), /layers 0\/1, 0\.0 of 2\.0 MiB/);
  assert.match(terminal.written(), /layers 1\/1, 2\.0 of 2\.0 MiB/);
  assert.match(terminal.written(), /42 packages found/);
  progress.done();
  assert.ok(terminal.written().endsWith('\r\x1b[2K'), 'the line is cleared before the report');
});

it('passes a blob error on to the reader', async () => {
  const progress = terminalProgress(fakeTerminal().stream);
  const failing = new Readable({
    read() {
      this.destroy(new Error('connection reset'));
    },
  });
  const stream = await progress.counting({ openBlob: async () => failing }, 1, 10).openBlob('sha256:x', 10, new AbortController().signal);
  await assert.rejects(text(stream), /connection reset/);
});
