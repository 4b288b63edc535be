import type { Readable } from 'node:stream';

/** Chunks the stream's consumer may fall behind by before the stream is paused. */
const MAX_QUEUED_CHUNKS = 8;

/**
 * A stream's chunks as they come. Readable's own async iterator joins everything buffered
 * into one new buffer at every step: on a download faster than the layer is read, that is
 * a copy of the whole layer, and garbage for the collector.
 */
export async function* chunksOf(stream: Readable): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const signal = (): void => {
    const resume = wake;
    wake = null;
    resume?.();
  };
  const onData = (chunk: Buffer | string): void => {
    queue.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (queue.length >= MAX_QUEUED_CHUNKS) stream.pause();
    signal();
  };
  const onEnd = (): void => {
    ended = true;
    signal();
  };
  const onError = (err: unknown): void => {
    failure ??= err;
    signal();
  };
  const onClose = (): void => {
    if (!ended) failure ??= stream.errored ?? prematureClose();
    signal();
  };
  // A stream that is over before we listen says so with no event.
  if (stream.readableEnded) ended = true;
  else if (stream.destroyed) failure = stream.errored ?? prematureClose();
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('close', onClose);
  try {
    for (;;) {
      if (failure !== null) throw failure;
      const chunk = queue.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        stream.resume();
      });
    }
  } finally {
    // The error listener stays: an error already on its way would otherwise be an uncaught one.
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('close', onClose);
    // As Readable's own iterator does: a consumer that stops early abandons the stream.
    if (!ended) stream.destroy();
  }
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
