import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { analyseImage } from '../analysers/analyse-image.js';
import { ImageBudget } from '../layers/image-budget.js';
import type { BlobOpener } from '../layers/read-image.js';
import { BlobFailed, type FromWorker, type ToWorker, serializeError } from './worker-messages.js';

/**
 * An analysis worker: one image at a time, each with state of its own (the pool sends the
 * next only once this one is answered). See `worker-messages.ts` for the conversation.
 */

const port = parentPort;
if (!port) throw new Error('analysis-worker.ts runs as a worker thread');

function send(message: FromWorker): void {
  port?.postMessage(message);
}

let streams = new Map<number, Readable>();
/** Takes a chunk of a layer into its reader, acknowledging it now or once the reader has room. */
let accept = new Map<number, (bytes: Buffer) => void>();
let opened = new Set<number>();
/** Layers whose download failed: whatever the analysis then fails with, that failure is the cause. */
let failedDownloads: number[] = [];

/** A layer's bytes, as the scanning thread sends them: a few messages ahead, each acknowledged once taken. */
const blobs = (job: { layers: { digest: string }[] }): BlobOpener => ({
  async openBlob(digest) {
    // An image may list one layer twice: each opening reads the next copy.
    const layer = job.layers.findIndex((candidate, index) => candidate.digest === digest && !opened.has(index));
    opened.add(layer);
    let owed = 0;
    const stream = new Readable({
      highWaterMark: 1024 * 1024,
      // The reader has room again: the chunks it could not take at once are acknowledged now.
      read: () => {
        for (; owed > 0; owed--) send({ type: 'taken', layer });
      },
      destroy: (err, callback) => {
        streams.delete(layer);
        accept.delete(layer);
        send({ type: 'close', layer });
        callback(err);
      },
    });
    streams.set(layer, stream);
    accept.set(layer, (bytes) => {
      if (stream.push(bytes)) send({ type: 'taken', layer });
      else owed++;
    });
    send({ type: 'open', layer });
    return stream;
  },
});

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'start': {
      const { job } = message;
      streams = new Map();
      accept = new Map();
      opened = new Set();
      failedDownloads = [];
      analyseImage({ blobs: blobs(job), layers: job.layers, limits: job.limits, concurrency: job.concurrency, budget: new ImageBudget(job.budgetBytes) }).then(
        (inventory) => send({ type: 'done', inventory }),
        (err: unknown) => send({ type: 'error', error: serializeError(err, failedDownloads[0] ?? null) }),
      );
      return;
    }
    case 'chunk':
      accept.get(message.layer)?.(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength));
      return;
    case 'end':
      streams.get(message.layer)?.push(null);
      return;
    case 'failed':
      failedDownloads.push(message.layer);
      streams.get(message.layer)?.destroy(new BlobFailed(message.layer));
      return;
  }
});
