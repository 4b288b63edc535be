import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { ScanError } from '../../scanner.js';
import type { Inventory } from '../inventory.js';
import type { LayerLimits } from '../layers/layer-reader.js';
import type { BlobOpener } from '../layers/read-image.js';
import { chunksOf } from '../stream-chunks.js';
import { type FromWorker, type ToWorker, deserializeError } from './worker-messages.js';

/**
 * Image analysis off the event loop: decompression, tar parsing and the analysers
 * (including the reading of untrusted SQLite and BerkeleyDB databases) run in worker
 * threads, at most `size` at once, each with a V8 heap limit and an image budget for the
 * buffers it keeps. A scan's `AbortSignal` (its deadline, a deleted configuration, the
 * service stopping) terminates the worker, whatever it is doing in JavaScript.
 */
export interface AnalysisPool {
  analyse(job: AnalysisRequest, signal: AbortSignal): Promise<Inventory>;
  /** Terminates the workers running; later calls fail. */
  close(): Promise<void>;
}

export interface AnalysisRequest {
  blobs: BlobOpener;
  layers: readonly { digest: string; size: number }[];
  limits?: Partial<LayerLimits>;
  /** Layers downloaded at once. */
  concurrency?: number;
}

export interface AnalysisPoolOptions {
  /** Workers at once; more requests wait their turn. */
  size: number;
  /** What one image may use, in MiB: the worker's heap limit, and again its kept buffers and decoder windows. */
  memoryMb: number;
}

/** 96 MiB of heap and 96 MiB of kept buffers per image: four scans at once stay within the service's 1 GiB. */
export const DEFAULT_IMAGE_MEMORY_MB = 96;

export function createAnalysisPool(options: AnalysisPoolOptions): AnalysisPool {
  const running = new Set<Worker>();
  const waiting: (() => void)[] = [];
  let active = 0;
  let closed = false;

  /** Takes a place at once when one is free, else waits for one to be handed over. */
  async function acquire(signal: AbortSignal): Promise<void> {
    if (active < options.size) {
      active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const handOver = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        waiting.splice(waiting.indexOf(handOver), 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      waiting.push(handOver);
    });
  }

  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }

  return {
    async analyse(request, signal) {
      signal.throwIfAborted();
      await acquire(signal);
      let worker: Worker | null = null;
      try {
        if (closed) throw new Error('the analysis pool is closed');
        worker = startWorker(options.memoryMb);
        running.add(worker);
        return await converse(worker, request, options.memoryMb, signal);
      } finally {
        if (worker) {
          running.delete(worker);
          await worker.terminate();
        }
        release();
      }
    },
    async close() {
      closed = true;
      await Promise.all([...running].map((worker) => worker.terminate()));
    },
  };
}

/**
 * From the compiled service the worker is a `.js` file beside this one; from the sources
 * (tests, `tsx`), the TypeScript loader is registered in the worker first.
 */
function startWorker(memoryMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 };
  if (import.meta.url.endsWith('.js')) return new Worker(new URL('./analysis-worker.js', import.meta.url), { resourceLimits });
  const entry = JSON.stringify(new URL('./analysis-worker.ts', import.meta.url).href);
  const loader = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${loader}).then((tsx) => { tsx.register(); return import(${entry}); })`, { eval: true, resourceLimits });
}

/** Feeds the worker the layers it asks for until it answers with an inventory or an error. */
function converse(worker: Worker, request: AnalysisRequest, memoryMb: number, signal: AbortSignal): Promise<Inventory> {
  const downloads = new Map<number, { stream: Readable; chunks: AsyncGenerator<Buffer> }>();
  const downloadErrors = new Map<number, unknown>();
  const post = (message: ToWorker, transfer: ArrayBuffer[] = []): void => worker.postMessage(message, transfer);

  async function open(layer: number): Promise<void> {
    const descriptor = request.layers[layer];
    if (!descriptor) return;
    try {
      const stream = await request.blobs.openBlob(descriptor.digest, descriptor.size, signal);
      downloads.set(layer, { stream, chunks: chunksOf(stream) });
      // The worker's first read may have come before the download opened.
      if (pendingMore.delete(layer)) await more(layer);
    } catch (err) {
      fail(layer, err);
    }
  }

  const pendingMore = new Set<number>();
  async function more(layer: number): Promise<void> {
    const download = downloads.get(layer);
    if (!download) {
      pendingMore.add(layer);
      return;
    }
    try {
      const next = await download.chunks.next();
      if (next.done) return post({ type: 'end', layer });
      // A copy the worker owns: the download's buffers may be views into shared pools.
      const bytes = new Uint8Array(next.value);
      post({ type: 'chunk', layer, bytes }, [bytes.buffer]);
    } catch (err) {
      fail(layer, err);
    }
  }

  function fail(layer: number, err: unknown): void {
    downloadErrors.set(layer, err);
    close(layer);
    post({ type: 'failed', layer });
  }

  function close(layer: number): void {
    const download = downloads.get(layer);
    downloads.delete(layer);
    if (download && !download.stream.destroyed) download.stream.destroy();
  }

  return new Promise<Inventory>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      for (const layer of [...downloads.keys()]) close(layer);
      worker.removeAllListeners();
      // A worker terminated later may still report: nothing listens any more.
      worker.on('error', () => undefined);
      outcome();
    };
    const onAbort = (): void => finish(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'open':
          void open(message.layer);
          return;
        case 'more':
          void more(message.layer);
          return;
        case 'close':
          close(message.layer);
          return;
        case 'done':
          finish(() => resolve(message.inventory));
          return;
        case 'error': {
          const blobLayer = message.error.blobLayer;
          const own = blobLayer === null ? undefined : downloadErrors.get(blobLayer);
          finish(() => reject(own ?? deserializeError(message.error)));
          return;
        }
      }
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        finish(() => reject(new ScanError('FAILED', `the image needs more than the ${memoryMb} MiB one image scan may use (ECRSCAN_IMAGE_MEMORY_MB)`)));
      } else finish(() => reject(err));
    });
    worker.on('exit', (code) => finish(() => reject(new Error(`the analysis worker stopped (exit code ${code}) before it answered`))));
    post({ type: 'start', job: { layers: [...request.layers], limits: request.limits ?? {}, concurrency: request.concurrency, budgetBytes: memoryMb * 1024 * 1024 } });
  });
}
