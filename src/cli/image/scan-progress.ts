import { Transform } from 'node:stream';
import type { BlobOpener } from '../../scanners/builtin/layers/read-image.js';

/** What a one-shot scan reports while it works: shown on a terminal, nowhere else. */
export interface ScanProgress {
  /** A step without numbers: "importing advisories", "resolving registry/app:1". */
  step(text: string): void;
  /** Wraps blob streams to count their layers and bytes. */
  counting(blobs: BlobOpener, layers: number, totalBytes: number): BlobOpener;
  packages(count: number): void;
  done(): void;
}

const REDRAW_MS = 100;

/** Progress on one line of a terminal, redrawn in place at most every 100 ms. */
export function terminalProgress(stream: NodeJS.WriteStream): ScanProgress {
  let line = '';
  let drawnAt = 0;
  const draw = (text: string, force = false): void => {
    line = text;
    const now = Date.now();
    if (!force && now - drawnAt < REDRAW_MS) return;
    drawnAt = now;
    stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, (stream.columns ?? 80) - 1))}`);
  };
  return {
    step: (text) => draw(text, true),
    counting(blobs, layers, totalBytes) {
      let done = 0;
      let bytes = 0;
      const show = (force = false): void => draw(`layers ${done}/${layers}, ${megabytes(bytes)} of ${megabytes(totalBytes)} MiB`, force);
      show(true);
      return {
        async openBlob(digest, size, signal) {
          const source = await blobs.openBlob(digest, size, signal);
          // A pass-through that counts: a 'data' listener on the source would start it flowing before its reader is there.
          const counted = new Transform({
            transform(chunk: Buffer, _encoding, next) {
              bytes += chunk.length;
              show();
              next(null, chunk);
            },
            flush(next) {
              done++;
              show(true);
              next();
            },
          });
          source.on('error', (err) => counted.destroy(err));
          counted.on('close', () => source.destroy());
          return source.pipe(counted);
        },
      };
    },
    packages: (count) => draw(`${count} packages found`, true),
    done() {
      if (line !== '') stream.write('\r\x1b[2K');
      line = '';
    },
  };
}

/** No terminal (a pipe, a CI log): nothing is shown. */
export const silentProgress: ScanProgress = {
  step: () => undefined,
  counting: (blobs) => blobs,
  packages: () => undefined,
  done: () => undefined,
};

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
