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
 * buffers it keeps. A worker that answered is kept for the next image; one that did not
 * (aborted, out of memory, crashed) is ended. A scan's `AbortSignal` (its deadline, a deleted configuration, the
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

  /** Workers that answered their last image and wait for the next: starting one costs tens of milliseconds. */
  const idle: Worker[] = [];

  function keep(worker: Worker): void {
    if (closed) {
      void worker.terminate();
      return;
    }
    // An idle worker does not keep the process alive.
    worker.unref();
    idle.push(worker);
    worker.once('exit', () => {
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
    });
  }

  return {
    async analyse(request, signal) {
      signal.throwIfAborted();
      await acquire(signal);
      let worker: Worker | null = null;
      const state = { answered: false };
      try {
        if (closed) throw new Error('the analysis pool is closed');
        worker = idle.pop() ?? startWorker(options.memoryMb);
        worker.ref();
        running.add(worker);
        return await converse(worker, request, options.memoryMb, signal, state);
      } finally {
        if (worker) {
          running.delete(worker);
          // A worker that answered is in a known state and is kept; one aborted, out of memory or crashed is ended.
          if (state.answered) keep(worker);
          else await ended(worker);
        }
        release();
      }
    },
    async close() {
      closed = true;
      await Promise.all([...running, ...idle.splice(0)].map((worker) => worker.terminate()));
    },
  };
}

/**
 * Terminates a worker, waiting at most `TERMINATE_WAIT_MS`: termination takes effect when
 * the thread next runs JavaScript, and a thread inside one long native call (a SQLite
 * statement) must not keep its place in the pool, or the scan that aborted it, waiting.
 */
const TERMINATE_WAIT_MS = 5_000;

async function ended(worker: Worker): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, TERMINATE_WAIT_MS);
    timer.unref();
  });
  await Promise.race([worker.terminate().then(() => undefined), timeout]);
  clearTimeout(timer);
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

/** Messages of one layer sent ahead of the worker's reading: at most 2 MiB. */
const CHUNKS_IN_FLIGHT = 8;
const MESSAGE_BYTES = 256 * 1024;

/** Feeds the worker the layers it asks for until it answers with an inventory or an error. */
function converse(worker: Worker, request: AnalysisRequest, memoryMb: number, signal: AbortSignal, state: { answered: boolean }): Promise<Inventory> {
  const downloads = new Map<number, { stream: Readable; chunks: AsyncGenerator<Buffer>; inFlight: number; pumping: boolean }>();
  const downloadErrors = new Map<number, unknown>();
  const post = (message: ToWorker, transfer: ArrayBuffer[] = []): void => worker.postMessage(message, transfer);

  async function open(layer: number): Promise<void> {
    const descriptor = request.layers[layer];
    if (!descriptor) return;
    try {
      const stream = await request.blobs.openBlob(descriptor.digest, descriptor.size, signal);
      downloads.set(layer, { stream, chunks: chunksOf(stream), inFlight: 0, pumping: false });
      await pump(layer);
    } catch (err) {
      fail(layer, err);
    }
  }

  /** Sends chunks until `CHUNKS_IN_FLIGHT` wait unacknowledged: a round trip per chunk would halve the throughput. */
  async function pump(layer: number): Promise<void> {
    const download = downloads.get(layer);
    if (!download || download.pumping) return;
    download.pumping = true;
    try {
      while (download.inFlight < CHUNKS_IN_FLIGHT && downloads.get(layer) === download) {
        // Download chunks (16 to 64 KiB) joined into one message of up to 256 KiB: fewer messages, less work on this thread.
        const parts: Buffer[] = [];
        let length = 0;
        let done = false;
        while (length < MESSAGE_BYTES) {
          const next = await download.chunks.next();
          if (next.done) {
            done = true;
            break;
          }
          parts.push(next.value);
          length += next.value.length;
        }
        if (length > 0) {
          // A copy the worker owns: the download's buffers may be views into shared pools.
          const bytes = new Uint8Array(length);
          let at = 0;
          for (const part of parts) {
            bytes.set(part, at);
            at += part.length;
          }
          download.inFlight++;
          post({ type: 'chunk', layer, bytes }, [bytes.buffer]);
          // Buffered download chunks resolve as microtasks: without a turn of the event loop
          // here, a fast worker would have this thread copy megabytes before an API request runs.
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (done) {
          post({ type: 'end', layer });
          downloads.delete(layer);
          return;
        }
      }
    } catch (err) {
      fail(layer, err);
    } finally {
      download.pumping = false;
    }
  }

  function acknowledged(layer: number): void {
    const download = downloads.get(layer);
    if (!download) return;
    download.inFlight--;
    void pump(layer);
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
    // A kept worker still carries the listeners of its last image.
    worker.removeAllListeners();
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
        case 'taken':
          acknowledged(message.layer);
          return;
        case 'close':
          close(message.layer);
          return;
        case 'done':
          state.answered = true;
          finish(() => resolve(message.inventory));
          return;
        case 'error': {
          state.answered = true;
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
