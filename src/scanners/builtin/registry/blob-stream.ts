import { Readable } from 'node:stream';
import { chunksOf } from '../stream-chunks.js';
import { createDigestVerifier, type DigestVerifier } from './digest.js';
import { failureOf, type RequestDeadline } from './http.js';
import { RegistryError } from './registry-error.js';

export interface BlobStreamOptions {
  body: Readable;
  digest: string;
  /** The size a descriptor announced; more or fewer bytes fail the stream. */
  expectedSize: number | null;
  /** The request's deadline, re-armed for every chunk so that only silence counts. */
  deadline: RequestDeadline;
  idleMs: number;
  /** The whole download, from the headers on. */
  totalMs: number;
  /** Bytes per second of waiting for the server, checked once `idleMs` of waiting has passed. */
  minBytesPerSecond: number;
  signal?: AbortSignal;
  what: string;
}

/**
 * A blob's bytes as a Node stream that fails, instead of ending, when the bytes do not
 * hash to the digest, when there are more or fewer of them than the descriptor said, or
 * when the server stays silent longer than `idleMs`, sends slower than
 * `minBytesPerSecond` or takes longer than `totalMs` in all. Destroying the stream aborts
 * the download at once, so a consumer that gives up frees the connection.
 */
export class BlobStream extends Readable {
  readonly #body: Readable;
  readonly #chunks: AsyncIterator<Buffer>;
  readonly #verifier: DigestVerifier;
  readonly #options: BlobStreamOptions;
  #size = 0;
  #pumping = false;
  /** Time spent waiting for the server's next chunk (not for our consumer). */
  #waitedMs = 0;
  readonly #total: NodeJS.Timeout;

  constructor(options: BlobStreamOptions) {
    super({ highWaterMark: 256 * 1024 });
    this.#options = options;
    this.#body = options.body;
    // Readable's own iterator would join whatever is buffered into a new copy at every step.
    this.#chunks = chunksOf(options.body);
    this.#verifier = createDigestVerifier(options.digest, options.what);
    // Headers are in; from now on only the server's silence while we wait counts.
    options.deadline.pause();
    this.#total = setTimeout(() => {
      options.deadline.abort(new RegistryError('timeout', `${options.what} took longer than ${options.totalMs} ms in all`));
    }, options.totalMs);
    this.#total.unref();
  }

  override _read(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    this.#pump().catch((err: unknown) => {
      this.destroy(failureOf(err, this.#options.deadline, this.#options.signal, this.#options.what) as Error);
    });
  }

  async #pump(): Promise<void> {
    const { deadline, idleMs, expectedSize, what } = this.#options;
    const stalled = (): Error => new RegistryError('timeout', `${what} stalled: no data for ${idleMs} ms`);
    for (;;) {
      deadline.restart(idleMs, stalled);
      const waitStart = performance.now();
      const { done, value } = await this.#chunks.next();
      this.#waitedMs += performance.now() - waitStart;
      deadline.pause();
      if (this.destroyed) return;
      this.#checkRate(done);
      if (done) {
        deadline.clear();
        if (expectedSize !== null && this.#size !== expectedSize) {
          throw new RegistryError('invalid-response', `${what}: ${this.#size} bytes arrived, the descriptor says ${expectedSize}`);
        }
        this.#verifier.finish();
        this.push(null);
        return;
      }
      this.#size += value.length;
      if (expectedSize !== null && this.#size > expectedSize) {
        throw new RegistryError('invalid-response', `${what}: more bytes arrived than the ${expectedSize} its descriptor says`);
      }
      this.#verifier.update(value);
      if (!this.push(value)) {
        this.#pumping = false;
        return;
      }
    }
  }

  /** Past `idleMs` of waiting, the bytes so far must have come at `minBytesPerSecond`. */
  #checkRate(done: boolean | undefined): void {
    const { idleMs, minBytesPerSecond, what } = this.#options;
    if (done || this.#waitedMs < idleMs) return;
    const rate = (this.#size * 1000) / this.#waitedMs;
    if (rate < minBytesPerSecond) {
      throw new RegistryError('timeout', `${what} arrives too slowly: ${Math.round(rate)} bytes/s, less than the ${minBytesPerSecond} bytes/s required`);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#total);
    this.#options.deadline.clear();
    if (!this.readableEnded) {
      this.#options.deadline.abort(error ?? new RegistryError('network', `${this.#options.what} was abandoned`));
      this.#body.on('error', () => undefined);
      this.#body.destroy();
    }
    callback(error);
  }
}
