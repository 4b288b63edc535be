/** Runs `fn` while sampling this process's RSS; returns its duration and the peak seen. */
export async function measured(fn: () => Promise<unknown>): Promise<{ ms: number; peakRss: number }> {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 5);
  const started = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  return { ms: performance.now() - started, peakRss: Math.max(peakRss, process.memoryUsage.rss()) };
}

/** The middle value (the upper one of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
