import type { ScanProgress } from '../domain/scan-config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { ProgressListener } from './scan-job.js';

/**
 * A scan's progress, written to the store at most once per `intervalMs` (the first report,
 * when the total is known, at once): a scan of 10,000 images must not cost 10,000 writes.
 * Writes never overlap and never fail the scan; the last report waiting is the one written.
 */
export function progressWriter(store: Pick<Store, 'reportProgress'>, configId: string, owner: string, logger: Logger, intervalMs = 1000): ProgressListener {
  let lastWrite = Number.NEGATIVE_INFINITY;
  let writing = false;
  let pending: ScanProgress | null = null;
  let timer: NodeJS.Timeout | null = null;

  function flush(): void {
    timer = null;
    if (writing || pending === null) return;
    const progress = pending;
    pending = null;
    writing = true;
    lastWrite = Date.now();
    store
      .reportProgress(configId, owner, progress)
      .catch((err: unknown) => logger.warn({ err, configId }, 'scan progress not recorded'))
      .finally(() => {
        writing = false;
        if (pending !== null) schedule();
      });
  }

  function schedule(): void {
    if (timer !== null) return;
    const wait = Math.max(0, lastWrite + intervalMs - Date.now());
    timer = setTimeout(flush, wait);
    timer.unref();
  }

  return (progress) => {
    pending = progress;
    if (progress.done === progress.total && timer !== null) {
      // The last report would only repeat what the commit says a moment later.
      return;
    }
    schedule();
  };
}
