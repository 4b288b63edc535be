import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { analyseImage } from '../analysers/analyse-image.js';
import { ImageBudget } from '../layers/image-budget.js';
import type { BlobOpener } from '../layers/read-image.js';
import { BlobFailed, type FromWorker, type ToWorker, serializeError } from './worker-messages.js';

/**
 * An analysis worker: one image, then it is done (the pool ends the thread, which frees
 * everything the image made it hold). See `worker-messages.ts` for the conversation.
 */

const port = parentPort;
if (!port) throw new Error('analysis-worker.ts runs as a worker thread');

function send(message: FromWorker): void {
  port?.postMessage(message);
}

const streams = new Map<number, Readable>();
const opened = new Set<number>();
/** Layers whose download failed: whatever the analysis then fails with, that failure is the cause. */
const failedDownloads: number[] = [];

/** A layer's bytes, asked of the scanning thread one chunk at a time. */
const blobs = (job: { layers: { digest: string }[] }): BlobOpener => ({
  async openBlob(digest) {
    // An image may list one layer twice: each opening reads the next copy.
    const layer = job.layers.findIndex((candidate, index) => candidate.digest === digest && !opened.has(index));
    opened.add(layer);
    const stream = new Readable({
      read: () => send({ type: 'more', layer }),
      destroy: (err, callback) => {
        streams.delete(layer);
        send({ type: 'close', layer });
        callback(err);
      },
    });
    streams.set(layer, stream);
    send({ type: 'open', layer });
    return stream;
  },
});

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'start': {
      const { job } = message;
      analyseImage({ blobs: blobs(job), layers: job.layers, limits: job.limits, concurrency: job.concurrency, budget: new ImageBudget(job.budgetBytes) }).then(
        (inventory) => send({ type: 'done', inventory }),
        (err: unknown) => send({ type: 'error', error: { ...serializeError(err), blobLayer: failedDownloads[0] ?? null } }),
      );
      return;
    }
    case 'chunk':
      streams.get(message.layer)?.push(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength));
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
