import { startEcrEndpoint, syntheticImages } from '../../test/support/ecr-endpoint/index.js';
import { ENDPOINT_OPERATIONS, parseEndpointSpec, type EndpointSpec } from './ecr-endpoint-spec.js';

/**
 * The ECR-compatible endpoint as a process of its own, for benchmarks: answering an ECR
 * call costs CPU (JSON, signing checks, findings pages), and on the scheduler's event loop
 * that cost would count against the scheduler.
 *
 *   node --import tsx ecr-endpoint-process.ts '{"latencyMs":20,"pollsUntilDone":0,"repositories":{…}}'
 *
 * Prints `{"url":"http://127.0.0.1:PORT"}` on stdout once it listens. Over the IPC channel
 * it answers `{"type":"calls"}` with the calls received per operation and `{"type":"reset"}`
 * by forgetting them. It exits when its parent goes (the channel closes) or on SIGTERM.
 */

async function main(): Promise<void> {
  const spec: EndpointSpec = parseEndpointSpec(process.argv[2]);
  const endpoint = await startEcrEndpoint({ latencyMs: spec.latencyMs, pollsUntilDone: spec.pollsUntilDone, pageSize: spec.pageSize });
  const { prefix, count, imagesPerRepository, findingsPerImage, scannedAgoMs } = spec.repositories;
  // A scan completed this long ago: StartImageScan answers with the 24-hour quota and the findings are read at once.
  const lastScanAt = scannedAgoMs === null ? undefined : new Date(Date.now() - scannedAgoMs);
  for (let i = 0; i < count; i++) {
    // Digests derive from the repository's name, so no two configurations share an image.
    const images = syntheticImages(`${prefix}-${i}`, imagesPerRepository, findingsPerImage).map((image) => (lastScanAt ? { ...image, lastScanAt } : image));
    endpoint.addRepository(`${prefix}-${i}`, images);
  }

  process.on('message', (message: unknown) => {
    const type = typeof message === 'object' && message !== null && 'type' in message ? message.type : undefined;
    if (type === 'calls') {
      const calls = Object.fromEntries(ENDPOINT_OPERATIONS.map((operation) => [operation, endpoint.callCount(operation)]));
      process.send?.({ type: 'calls', calls, total: endpoint.callCount() });
    } else if (type === 'reset') {
      endpoint.resetCalls();
      process.send?.({ type: 'reset' });
    }
  });
  const stop = (): void => void endpoint.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  process.stdout.write(`${JSON.stringify({ url: endpoint.url })}\n`);
}

await main();
